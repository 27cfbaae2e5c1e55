"""What reading data can go wrong with: a row some LFs cannot read, and a data error."""

from __future__ import annotations

from dataclasses import dataclass

from explicate.errors import DataError, Diagnostic


@dataclass(frozen=True)
class RowProblem:
    """A data row that some LFs cannot read: they abstain on it, and it is reported."""

    row: int  # 1-based record number
    field: str
    problem: str

    def __str__(self) -> str:
        return f"row {self.row}: field '{self.field}' {self.problem}"


def data_error(message: str, *hints: str, code: str = "E401") -> DataError:
    """A data problem that stops reading (no file, unknown format, unreadable content)."""
    return DataError([Diagnostic(code, message, None, "", tuple(hints))])
