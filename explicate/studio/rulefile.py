"""The rule file's own text, kept as the expert wrote it.

A loaded file is cut into *pieces*: the text of each LF (its whole lines, with the comment lines
written directly above it: no blank line between) and the text between them (the header,
declarations, blank lines, comments that stand apart). Saving a state of kept LFs writes the
pieces back unchanged, leaving out the LFs the state no longer has, and appends the LFs kept in
the session at the end (an English one under its sentence as a comment; after a blank line when
the file ends in a comment, so that comment is not read back as the LF's own). So a state equal to
the loaded one writes the file byte for byte as it was read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class RuleText:
    """A rule file's text around its LFs: ``gaps[0]``, LF 0, ``gaps[1]``, LF 1, ..., and the
    last gap (so ``len(gaps) == len(lfs) + 1``)."""

    gaps: tuple[str, ...]
    lfs: tuple[str, ...]
    newline: str = "\n"  # the file's own line ending, used for appended LFs

    @classmethod
    def of(cls, text: str, spans: Sequence[tuple[int, int]]) -> RuleText:
        """Cut ``text`` at the character spans ``[start, end)`` of its LFs (in file order)."""
        gaps: list[str] = []
        lfs: list[str] = []
        at = 0
        for start, end in spans:
            lo = _attached_start(text, _line_start(text, start, at), at)
            hi = _line_end(text, end)
            gaps.append(text[at:lo])
            lfs.append(text[lo:hi])
            at = hi
        gaps.append(text[at:])
        return cls(tuple(gaps), tuple(lfs), "\r\n" if "\r\n" in text else "\n")

    def render(self, present: Sequence[bool], added: Sequence[str]) -> str:
        """The file with LF ``j`` written where ``present[j]``, then each text of ``added``
        (one or more whole lines) appended."""
        parts = [self.gaps[0]]
        for lf, keep, gap in zip(self.lfs, present, self.gaps[1:], strict=True):
            if keep:
                parts.append(lf)
            parts.append(gap)
        text = "".join(parts)
        nl = self.newline
        for block in added:
            if text and not text.endswith("\n"):
                text += nl
            last = text[text.rfind("\n", 0, len(text) - 1) + 1:]
            if last.lstrip().startswith("#"):  # not read back as this LF's own comment
                text += nl
            text += nl.join(block.rstrip("\n").split("\n")) + nl
        return text


def _line_start(text: str, i: int, floor: int) -> int:
    """The start of ``i``'s line when only blanks precede ``i`` on it (else ``i``)."""
    lo = max(text.rfind("\n", 0, i) + 1, floor)
    return lo if not text[lo:i].strip() else i


def _line_end(text: str, i: int) -> int:
    """Just past the line end after ``i`` when only blanks or a comment follow on that line."""
    if i > 0 and text[i - 1] == "\n":
        return i
    nl = text.find("\n", i)
    hi = len(text) if nl < 0 else nl + 1
    rest = text[i:hi].strip()
    return hi if not rest or rest.startswith("#") else i


def _attached_start(text: str, lo: int, floor: int) -> int:
    """Move ``lo`` (a line start) up over the comment lines directly above it."""
    while lo > floor and text[lo - 1] == "\n":
        prev = max(text.rfind("\n", floor, lo - 1) + 1, floor)
        if not text[prev:lo].lstrip().startswith("#"):
            break
        lo = prev
    return lo
