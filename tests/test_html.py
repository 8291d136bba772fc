"""The HTML report: self-contained, drawn where the findings are, and opened in a real browser.

The browser test drives Debian's `chromium` through Playwright's Python API (only as a driver: no
browser download) and fails on any console error or any request but the file itself. It checks the
data the page holds (each shaded stretch's rule and steps, and where on the axis it is drawn), not
pixels, and saves a screenshot beside the test's output. It is skipped only where no chromium (or
no playwright) is installed; CI installs both.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from lossdoctor.cli import run
from lossdoctor.reporters.charts import MAX_BUCKETS, curve

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_logs"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def html_of(tmp_path: Path, *args: str | Path, name: str = "report.html") -> Path:
    out = tmp_path / name
    code = run(["analyze", *map(str, args), "--format", "html", "--output", str(out), "--fail-on", "never"])
    assert code == 0
    return out


def page_data(text: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="lossdoctor-data">(.*?)</script>', text, re.S)
    assert match, "the page holds no chart data"
    data: dict[str, Any] = json.loads(match.group(1).replace("<\\/", "</"))
    return data


# --- without a browser -----------------------------------------------------------------------------


def test_html_is_self_contained(tmp_path: Path) -> None:
    text = html_of(tmp_path, SAMPLES / "flow_stalled").read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert "default-src 'none'" in text  # the browser itself refuses any request
    assert not re.search(r"""(src|href)\s*=\s*["'](?!#)""", text), (
        "the page links to something outside itself"
    )
    assert "http://" not in text.replace("http://www.w3.org", "") and "https://" not in text


def test_diagnosis_comes_first_and_links_to_its_charts(tmp_path: Path) -> None:
    text = html_of(tmp_path, SAMPLES / "flow_stalled").read_text(encoding="utf-8")
    assert text.index("Diagnoses") < text.index("Checks") < text.index("Charts")
    diagnosis = text[text.index('id="diagnosis-lr-too-low-or-over-regularised"') :]
    diagnosis = diagnosis[: diagnosis.index("</div></div>")]
    assert 'href="#chart-loss_flow"' in diagnosis and 'href="#chart-dbg-grad_flow"' in diagnosis
    assert 'id="chart-loss_flow"' in text


def test_every_metric_a_rule_read_has_a_chart_and_stretches_sit_on_them(tmp_path: Path) -> None:
    text = html_of(tmp_path, SAMPLES / "z_var_high").read_text(encoding="utf-8")
    charts = {c["metric"]: c for c in page_data(text)["charts"]}
    for metric in ("loss", "loss_flow", "dbg/grad_flow", "z_init/var", "kl_raw", "dino_global"):
        assert metric in charts
    stretches = charts["z_init/var"]["stretches"]
    assert [s["rule"] for s in stretches] == ["z-var-out-of-range"]
    assert 'class="band"' in text and 'data-value="1.5"' in text  # the normal range and the rule's limit


def test_resume_boundaries_and_chinese(tmp_path: Path) -> None:
    text = html_of(tmp_path, SAMPLES / "resumed_healthy", "--lang", "zh").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in text and "诊断" in text and "续训" in text
    assert 'class="resume"' in text and 'data-step="1050"' in text


def test_what_is_drawn_is_downsampled_with_spikes_kept() -> None:
    steps = np.arange(1, 200_001)
    values = 1.0 + 0.01 * np.sin(steps / 500.0)
    values[123_457] = 50.0  # one spike must survive downsampling
    chart = curve("loss", pd.Series(values, index=steps), "chart-loss")
    assert len(chart.steps) <= 2 * MAX_BUCKETS and chart.points == 200_000
    assert chart.values.max() == 50.0 and 123_458 in chart.steps.tolist()


def test_log_scale_where_a_metric_spans_decades() -> None:
    steps = np.arange(1, 1001)
    assert curve("lr", pd.Series(np.geomspace(1e-6, 1e-2, 1000), index=steps), "x").log
    assert not curve("loss", pd.Series(np.linspace(2.0, 1.0, 1000), index=steps), "x").log


def test_a_metric_spanning_the_whole_float_range_is_charted(tmp_path: Path) -> None:
    """1e300 then 1e-3: the log axis used to label every decade and overflow computing 10**t (exit 3)."""
    log = tmp_path / "run.jsonl"
    rows = [{"step": s * 10, "loss": 1.0 / s, "dbg/update_ratio/flow": 1e300 if s < 3 else 1e-3}
            for s in range(1, 200)]
    log.write_text("".join(json.dumps(r) + "\n" for r in rows))
    text = html_of(tmp_path, log).read_text()
    chart = text[text.index("dbg/update_ratio/flow"):]
    chart = chart[: chart.index("</svg>")]
    labels = re.findall(r'<text class="tick"[^>]*text-anchor="end">', chart)
    assert 2 <= len(labels) <= 7  # a handful of decade labels, not 300


# --- in a real browser -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    if executable is None:
        pytest.skip(
            "no chromium installed (apt-get install chromium): the HTML report was not opened in a browser"
        )
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright (the browser driver) is not installed"
    )
    with sync_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def open_page(browser: Any) -> Iterator[Callable[[Path], tuple[Any, list[str], list[str]]]]:
    contexts = []

    def open_(path: Path) -> tuple[Any, list[str], list[str]]:
        context = browser.new_context(viewport={"width": 1100, "height": 1600})
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        requests: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(path.as_uri(), wait_until="load")
        return page, errors, requests

    yield open_
    for context in contexts:
        context.close()


def test_report_opens_in_chromium_with_stretches_at_the_right_steps(
    tmp_path: Path, open_page: Callable[[Path], tuple[Any, list[str], list[str]]]
) -> None:
    path = html_of(tmp_path, SAMPLES / "flow_stalled")
    json_path = tmp_path / "report.json"
    assert (
        run(
            [
                "analyze",
                str(SAMPLES / "flow_stalled"),
                "-f",
                "json",
                "-o",
                str(json_path),
                "--fail-on",
                "never",
            ]
        )
        == 0
    )
    findings = json.loads(json_path.read_text(encoding="utf-8"))["findings"]
    page, errors, requests = open_page(path)
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert errors == []
    assert requests == [path.as_uri()]  # the page itself, nothing else
    assert (tmp_path / "report.png").stat().st_size > 10_000
    drawn = page.evaluate("""() => [...document.querySelectorAll('svg.chart')].flatMap(svg =>
        [...svg.querySelectorAll('rect.stretch')].map(r => ({
            metric: svg.dataset.metric, rule: r.dataset.rule, first: +r.dataset.first, last: +r.dataset.last,
            x: r.x.baseVal.value, width: r.width.baseVal.value,
            x0: +svg.dataset.x0, x1: +svg.dataset.x1, px0: +svg.dataset.px0, px1: +svg.dataset.px1})))""")
    stalled = next(f for f in findings if f["rule"] == "flow-stalled")
    on_flow = [d for d in drawn if d["rule"] == "flow-stalled" and d["metric"] == "loss_flow"]
    assert len(on_flow) == 1
    d = on_flow[0]
    assert (d["first"], d["last"]) == (stalled["first_step"], stalled["last_step"])

    def px(step: float) -> float:
        return d["px0"] + (step - d["x0"]) / (d["x1"] - d["x0"]) * (d["px1"] - d["px0"])

    assert d["x"] == pytest.approx(px(d["first"]), abs=0.2)
    assert d["x"] + d["width"] == pytest.approx(px(d["last"]), abs=0.2)
    fired = {(f["rule"], f["first_step"], f["last_step"]) for f in findings}
    assert {(x["rule"], x["first"], x["last"]) for x in drawn} == fired
    # the hover readout works: the script ran and found the chart's data
    svg = page.locator("#chart-loss_flow-svg")
    svg.hover()
    assert page.locator("#chart-loss_flow-svg .readout").text_content().startswith("step ")


def test_sweep_and_compare_pages_open_cleanly(
    tmp_path: Path, open_page: Callable[[Path], tuple[Any, list[str], list[str]]]
) -> None:
    runs = tmp_path / "runs"
    for name in ("healthy", "flow_stalled"):
        shutil.copytree(SAMPLES / name, runs / name)
    sweep = tmp_path / "sweep.html"
    assert run(["analyze", str(runs), "--detail", "-f", "html", "-o", str(sweep), "--jobs", "1"]) == 1
    compared = tmp_path / "compare.html"
    assert (
        run(
            [
                "compare",
                str(SAMPLES / "healthy"),
                str(SAMPLES / "resumed_healthy"),
                "-f",
                "html",
                "-o",
                str(compared),
            ]
        )
        == 0
    )
    for path in (sweep, compared):
        page, errors, requests = open_page(path)
        page.screenshot(path=str(path.with_suffix(".png")), full_page=True)
        assert errors == [] and requests == [path.as_uri()]
        assert page.locator("svg.chart").count() > 0
