"""CSV/TSV files, read record by record so that no row shifts, vanishes or goes unreported.

pandas alone gets three things silently wrong, which is why records are split here first (with the
standard ``csv`` module) and only the checked records are handed to pandas for type inference:

- a trailing delimiter on every data row (``win cash now,SPAM,``) makes it infer an index column
  and shift every column left; here the empty trailing field is dropped and counted;
- blank lines are skipped, so in a one-column file five records become three rows; here a blank
  line is a record (its field is missing, and it is reported like any missing field);
- a record with a different number of fields either stops the whole file (with a parser message
  that misleads for an unclosed quote) or is padded silently. Here it is kept as a row whose fields
  are all missing (so row numbers still line up with ids and labels kept elsewhere) and reported
  by number with what is wrong; the rest of the file is read.

``--columns`` naming more or fewer columns than the records have is an E403 error.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd

from explicate.runtime.data.problems import RowProblem, data_error

# Record-level problems go into ``df.attrs[PROBLEMS]`` (a list of RowProblem) so every caller of
# read_table reports them with the field problems found while applying.
PROBLEMS = "explicate_read_problems"
# A share of records at least this large with one extra, empty last field means the file puts a
# delimiter at the end of each row.
TRAILING_SHARE = 0.5

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # long documents are fields too

_CSV_QUOTED = re.compile(r'"(?:[^"]|"")*"')


def tsv_is_quoted(lines: Sequence[str]) -> bool:
    """Whether a TSV uses CSV quoting ("a ""b"" c"): some field is quoted that way and no field
    merely starts with a quote. Plain TSVs (quotes are text) are read without quoting."""
    quoted = False
    for line in lines[:200]:
        for cell in line.rstrip("\r\n").split("\t"):
            if cell.startswith('"'):
                if not _CSV_QUOTED.fullmatch(cell):
                    return False
                quoted = True
    return quoted


def decode_utf8(p: Path) -> str:
    """A file's text (a UTF-8 byte-order mark dropped); not UTF-8: E401 naming the line."""
    data = p.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise data_error(f"'{p}' is not UTF-8 text: byte {data[exc.start]:#04x} on line {line}",
                         "save the file as UTF-8", code="E401") from None


def _records(lines: list[str], sep: str, quoted: bool
             ) -> Iterator[tuple[int, list[str] | None, str]]:
    """(first line number, fields, problem) for each record; an unclosed quote is a bad record
    (fields None) and reading resumes on the next line."""
    start = 0
    while start < len(lines):
        source = iter(lines[start:])
        reader = csv.reader(source, delimiter=sep, strict=True,
                            quoting=csv.QUOTE_MINIMAL if quoted else csv.QUOTE_NONE)
        consumed = 0
        try:
            for fields in reader:
                yield start + consumed + 1, fields, ""
                consumed = reader.line_num
        except csv.Error as exc:
            message = str(exc)
            if "end of data" in message or "unexpected end" in message:
                message = "an unclosed quote (the field runs to the end of the file)"
            yield start + consumed + 1, None, message
            start += consumed + 1
            continue
        return


def read_delimited(p: Path, columns: Sequence[str] | None) -> pd.DataFrame:
    """A CSV/TSV/TXT file: a header row, or ``columns`` for a file without one."""
    sep = "\t" if p.suffix.lower() == ".tsv" else ","
    lines = decode_utf8(p).splitlines(keepends=True)
    quoted = sep == "," or tsv_is_quoted(lines)
    records = list(_records(lines, sep, quoted))
    if columns:
        header, body = list(columns), records
    elif records and records[0][1] is not None:
        header, body = list(records[0][1] or []), records[1:]
    else:
        raise data_error(f"'{p}' has no header row", "name the columns with --columns a,b,c",
                         code="E403")
    width = len(header)
    if width and not header[-1] and not columns:
        width -= 1  # "text,label," header: the empty last name is the trailing delimiter
        header = header[:-1]
    extra = sum(1 for _, f, _ in body if f is not None and len(f) == width + 1 and f[-1] == "")
    trailing = bool(body) and extra >= TRAILING_SHARE * len(body)
    if columns:
        counts = [len(f) - (1 if trailing and f and f[-1] == "" else 0)
                  for _, f, _ in body if f]
        usual = max(set(counts), key=counts.count) if counts else width
        if usual != width:
            raise data_error(f"'{p}' has {usual} fields per row, --columns names {width}",
                             "name every column of the file, in order", code="E403")
    rows: list[list[str]] = []
    problems: list[RowProblem] = []
    for number, (line, fields, problem) in enumerate(body, start=1):
        if fields is not None and not fields and width == 1:
            fields = [""]  # a blank line in a one-column file is an empty record
        if fields is not None and trailing and len(fields) == width + 1 and fields[-1] == "":
            fields = fields[:-1]
        if fields is None or len(fields) != width:
            what = problem or (f"has {len(fields or [])} field(s), the header has {width}"
                               if not columns else
                               f"has {len(fields or [])} field(s), --columns names {width}")
            problems.append(RowProblem(number, "", f"{what} (line {line}); its fields are read "
                                       "as missing"))
            fields = [""] * width
        rows.append(fields)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=",", quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    writer.writerow([f"c{i}" for i in range(width)])
    writer.writerows(rows)
    buffer.seek(0)
    if width:
        df = pd.read_csv(buffer, sep=",", header=0, index_col=False, skip_blank_lines=False,
                         dtype_backend="numpy_nullable", keep_default_na=False, na_values=[""])
    else:
        df = pd.DataFrame(index=range(len(rows)))
    df.columns = pd.Index(header[: len(df.columns)])
    if trailing:
        df.attrs["explicate_trailing_delimiter"] = True
    df.attrs[PROBLEMS] = problems
    return df
