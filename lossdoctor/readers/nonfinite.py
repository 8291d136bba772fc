"""JSON as training loggers write it: every spelling of a non-finite number read as one.

Strict JSON has no NaN. Python's `json` writes `NaN`/`Infinity`, several C and Lua
loggers write `nan`/`inf`/`-inf`, and orjson writes `null` for a NaN. A red flag must
not be missed because of the spelling, so:

- `nan`, `inf`, `-inf`, `+inf`, `infinity` (any case) outside strings are read as the
  non-finite floats they stand for (only a line that strict JSON rejects is rewritten,
  so good lines cost nothing extra);
- `null` as the value of a key that holds a number elsewhere in the same file is read
  as NaN: a key *present* with `null` is a value that could not be written. A key that
  is simply *absent* from a record stays a gap, and a key that is only ever `null` is
  not a metric at all. (`records_to_columns` applies this rule.)

Every spelling found is counted, and the reader says which ones in one warning per file.
A record nested deeper than the parser's recursion limit is an error like any bad line.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

from lossdoctor.model import ReadWarning

_CONSTANTS = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}
# A string (kept as is) or a bare non-finite word where a JSON value may stand.
_TOKEN = re.compile(r'("(?:[^"\\]|\\.)*")|(?<![\w.+-])([+-]?)(nan|inf(?:inity)?)(?![\w.])', re.IGNORECASE)


class Spellings:
    """The non-standard spellings of non-finite values met in one file, counted."""

    def __init__(self) -> None:
        self.found: Counter[str] = Counter()

    def loads(self, text: str) -> Any:
        """`json.loads`, also taking `nan`/`inf`; ValueError for anything else (too deep included)."""
        try:
            return json.loads(text)
        except RecursionError:
            raise ValueError("nested too deeply") from None
        except json.JSONDecodeError:
            rewritten = _TOKEN.sub(self._standard, text)
            if rewritten == text:
                raise
        try:
            return json.loads(rewritten, parse_constant=_CONSTANTS.__getitem__)
        except RecursionError:
            raise ValueError("nested too deeply") from None

    def _standard(self, match: re.Match[str]) -> str:
        if match.group(1) is not None:
            return match.group(1)
        sign, word = match.group(2), match.group(3)
        self.found[sign + word] += 1
        if word.lower() == "nan":
            return "NaN"
        return "-Infinity" if sign == "-" else "Infinity"

    def null(self, count: int) -> None:
        """`count` nulls read as NaN (see the module docstring for which nulls)."""
        if count:
            self.found["null"] += count

    def warnings(self, file: str) -> list[ReadWarning]:
        """One warning naming each spelling read as non-finite: the report says how it was written."""
        if not self.found:
            return []
        parts = ", ".join(f"{spelling} ({count}x)" for spelling, count in sorted(self.found.items()))
        return [ReadWarning(file, None, f"non-finite values spelled {parts}: read as NaN/inf")]
