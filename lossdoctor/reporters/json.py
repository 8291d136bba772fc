"""The JSON report: the `lossdoctor.report/v1` document (lossdoctor/document.py), printed.

Scripts, CI jobs and the watch/sweep modes parse this, so the dump uses `allow_nan=False` to
prove the document holds no bare NaN. (`import json` below is the standard library: imports are
absolute.)
"""

from __future__ import annotations

import json

from lossdoctor.document import report_document
from lossdoctor.model import Report


def render(report: Report, *, width: int | None = None, color: bool | None = None) -> str:
    """The report as one JSON document; `width` and `color` mean nothing here."""
    return json.dumps(report_document(report), ensure_ascii=False, indent=2, allow_nan=False) + "\n"
