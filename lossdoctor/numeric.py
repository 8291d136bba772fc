"""What counts as a number where lossdoctor takes one from outside: a config, a rule file, a log line.

Its own small module so that checking a rule file (`rules list`, `rules check`) need not import the
report's dataclasses in `model.py` only for this test.
"""

from __future__ import annotations

from typing import TypeGuard


def is_number(value: object) -> TypeGuard[int | float]:
    """An int or a float, never a bool (an int to Python): one test for every place that takes a number."""
    return isinstance(value, int | float) and not isinstance(value, bool)
