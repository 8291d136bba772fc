"""Text from outside — a log's metric names, file and folder names, a config's values, read warnings.

Anyone who can open a pull request controls these, and lossdoctor prints them into terminals and CI
logs: a metric named `[link=…]` must not become a hyperlink (nor `[/oops]` a crash), `\\x1b]0;…\\x07`
must not retitle a terminal, and a name with a newline must not start a line with `::set-env` that
GitHub Actions would run as a workflow command. Every reporter goes through these helpers: names are
`clean`ed where they are put in, and each finished output passes `safe_output`, so a name a reporter
forgot still cannot do harm. Our own annotations (reporters/github.py) are the only lines that may
begin with `::`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # rich is imported when a Text is made: the CLI's error path uses `clean` without it
    from rich.text import Text

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_NEWLINE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")
_OUR_STYLES = re.compile(r"\x1b\[[0-9;]*m")  # the SGR colours rich writes when colour is on
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# a line that begins, after blanks (or our colours), with `::` is a workflow command to GitHub Actions
_COMMAND_START = re.compile(r"^((?:[ \t\f\v]|\x1b\[[0-9;]*m)*)::", re.MULTILINE)


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED.get(char, f"\\x{ord(char):02x}")


def clean(value: object) -> str:
    """One line of inert text: control characters (newline, ESC, BEL, NUL, C1) as visible escapes."""
    return _CONTROL.sub(_escaped, str(value))


def as_text(value: object, style: str = "") -> Text:
    """`clean` as a rich Text: printed as it is, never read as markup."""
    from rich.text import Text

    return Text(clean(value), style=style)


def html_text(value: object) -> str:
    """A value escaped once for HTML text or a quoted attribute: `<img onerror=…>` stays text, control
    characters show as escapes, and a newline is `&#10;` (the same blank to a browser, but no line of the
    page's source begins with what a value holds)."""
    import html  # only pages escape for HTML; a terminal run need not import it

    shown = _CONTROL_BUT_NEWLINE.sub(_escaped, str(value))
    return html.escape(shown, quote=True).replace("\n", "&#10;")


def no_commands(output: str) -> str:
    """A `\\` before any `::` that begins a line, so no line of ours is read as a workflow command."""
    return _COMMAND_START.sub(lambda m: m.group(1) + "\\::", output)


def safe_output(output: str, styled: bool = False) -> str:
    """A finished output made inert: control characters escaped (newlines kept, and our own colour
    sequences when `styled`), and no line beginning with `::`."""
    if styled:
        pieces = _OUR_STYLES.split(output)
        styles = _OUR_STYLES.findall(output)
        kept = [_CONTROL_BUT_NEWLINE.sub(_escaped, piece) for piece in pieces]
        output = "".join(p + s for p, s in zip(kept, [*styles, ""], strict=True))
    else:
        output = _CONTROL_BUT_NEWLINE.sub(_escaped, output)
    return no_commands(output)
