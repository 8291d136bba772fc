"""The exception family and exit codes.

Only `lossdoctor.cli` catches these: everything below raises, so a message is
written once, as one line, in one place (the pattern of pre-commit's error_handler).
Exit code 1 is reserved for "a red flag fired", so an expected failure is never 1.
"""

from __future__ import annotations

OK = 0
FIRED = 1
BAD_INPUT = 2
INTERNAL = 3


class LossdoctorError(Exception):
    """An expected failure the user can fix: printed as one line, exit 2."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        rule: str | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.rule = rule
        self.field = field

    def one_line(self) -> str:
        """`file:line: rule "r", field "f": message` with whatever parts are known."""
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line is not None else "") + ": "
        what = ""
        if self.rule:
            what += f'rule "{self.rule}", '
        if self.field:
            what += f'field "{self.field}": '
        return f"{where}{what}{self.message}"


class UsageError(LossdoctorError):
    """Bad options or parameters on the command line."""


class InputError(LossdoctorError):
    """A log that cannot be read at all (nothing usable in it)."""


class RuleFileError(LossdoctorError):
    """A rule file that does not validate."""
