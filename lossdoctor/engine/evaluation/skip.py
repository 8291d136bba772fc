"""`Skip`: the one way a check says it cannot be judged on this run, shared by evaluate and detectors.

It sits apart from both so the windowed checks (evaluate.py) can call the Python detectors
(detectors.py) and both can raise it, with imports running one way.
"""

from __future__ import annotations


class Skip(Exception):
    """This rule (or tag) cannot be judged on this run; the message is the reason."""
