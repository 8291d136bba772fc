"""The HTML report: one self-contained file with the terminal report's content and a chart per metric.

Made to be mailed, attached to a CI job or opened from a chat: no network, no CDN, no server. CSS,
the charts (inline SVG, see charts.py) and a 40-line hover script are all inside the file, and a
Content-Security-Policy of `default-src 'none'` makes the browser refuse any request the page might
still try. Diagnoses come first, each linking to the charts of the metrics its checks read; every
finding is shaded on those charts at its steps and labelled with its rule.

`page()` and `report_body()` are shared with the sweep and compare pages, so a run looks the same
wherever it is shown. Like every reporter this renders the `Report` and recomputes nothing: the
curves are drawn from the run's frame, downsampled for drawing only.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable

from lossdoctor.document import log_interval, not_evaluated_groups, step_extent
from lossdoctor.model import Diagnosis, Finding, Report
from lossdoctor.reporters.charts import Chart, build_charts, chart_data, charted_metrics, legend, svg
from lossdoctor.reporters.labels import coverage_word, every_interval, label, severity_word, verdict_word
from lossdoctor.reporters.markdown import (
    case_name,
    evidence_text,
    sorted_findings,
    steps_text,
    summary_sentence,
)
from lossdoctor.reporters.outside import html_text as escape
from lossdoctor.reporters.terminal import TREND_ARROW, format_number

CSS = """
:root{--red:#c62828;--warn:#b8860b;--info:#1565c0;--ok:#2e7d32;--ink:#1d232a;--dim:#5f6b76;--line:#d9dee3}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI","Noto Sans","PingFang SC","Microsoft YaHei",sans-serif;
color:var(--ink);max-width:1000px;margin:0 auto;padding:16px 20px 48px}
h1{font-size:22px;margin:4px 0}h2{font-size:17px;border-bottom:1px solid var(--line);padding-bottom:3px;
margin:28px 0 10px}h3{font-size:15px;margin:14px 0 4px}
.summary{font-weight:600}.summary.red{color:var(--red)}.summary.warn{color:var(--warn)}
.summary.ok{color:var(--ok)}
.badge{display:inline-block;min-width:44px;text-align:center;font-weight:700;font-size:12px;border-radius:3px;
padding:1px 6px;color:#fff;margin-right:6px}.badge.red{background:var(--red)}.badge.warn{background:#f2c94c;
color:#222}.badge.info{background:var(--info)}.badge.ok{background:var(--ok)}.badge.error{background:#555}
.card{border:1px solid var(--line);border-left:4px solid var(--line);border-radius:4px;padding:8px 12px;
margin:8px 0}.card.red{border-left-color:var(--red)}.card.warn{border-left-color:#f2c94c}
.card.info{border-left-color:var(--info)}.meta{color:var(--dim);font-size:13px}.remedy{color:var(--ok);
font-weight:600}.remedy:before{content:"→ "}.evidence{font-family:ui-monospace,monospace;font-size:12.5px;
color:#00695c}.links a{margin-right:8px}
table{border-collapse:collapse;margin:6px 0}th,td{text-align:left;padding:3px 10px 3px 0;
border-bottom:1px solid #eef0f2;vertical-align:top}th{font-size:12.5px;color:var(--dim)}
td.num{text-align:right;font-variant-numeric:tabular-nums}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:8px 0}
dl.facts dt{font-weight:600}dl.facts dd{margin:0;overflow-wrap:anywhere}
figure{margin:14px 0 22px}figcaption{font-weight:600;margin-bottom:2px}
svg.chart{width:100%;height:auto;display:block;font-size:10.5px;background:#fff}
.plot{fill:#fff;stroke:var(--line)}.grid{stroke:#eef0f2}.tick{fill:var(--dim)}
.raw{fill:none;stroke:#9fb7d3;stroke-width:1}.smooth{fill:none;stroke:#0d47a1;stroke-width:1.8}
.band{fill:#2e7d32;fill-opacity:.10}.band-label{fill:var(--ok)}
.limit{stroke:#6a1b9a;stroke-dasharray:5 3;stroke-width:1.2}.limit-label{fill:#6a1b9a}
.stretch{fill-opacity:.16}.stretch.sev-red{fill:var(--red)}.stretch.sev-warn{fill:#f2c94c;fill-opacity:.3}
.stretch.sev-info{fill:var(--info)}.stretch-label{font-weight:600}.stretch-label.sev-red{fill:var(--red)}
.stretch-label.sev-warn{fill:#8a6d00}.stretch-label.sev-info{fill:var(--info)}
.resume{stroke:#444;stroke-dasharray:2 3}.resume-label{fill:#444}.nonfinite{stroke:var(--red);stroke-width:2}
.cursor{stroke:#888;visibility:hidden}.readout{fill:var(--ink);font-weight:600}
.key:before{content:"";display:inline-block;width:16px;height:0;border-top:2px solid;margin:0 4px 3px 0}
.key.raw:before{border-color:#9fb7d3}.key.smooth:before{border-color:#0d47a1}.legend{color:var(--dim);font-size:12px}
.lead{font-size:15px;font-weight:600;margin:6px 0}
"""

SCRIPT = """
(function(){
var node=document.getElementById('lossdoctor-data');if(!node)return;
var data=JSON.parse(node.textContent),byId={};
(data.charts||[]).forEach(function(c){byId[c.id+'-svg']=c;});
function fmt(v){var a=Math.abs(v);
  return (a!==0&&(a<1e-3||a>=1e5))?v.toExponential(2):String(+v.toPrecision(4));}
document.querySelectorAll('svg.chart').forEach(function(svg){
  var c=byId[svg.id];if(!c||!c.x.length)return;
  var x0=+svg.dataset.x0,x1=+svg.dataset.x1,p0=+svg.dataset.px0,p1=+svg.dataset.px1;
  var cursor=svg.querySelector('.cursor'),readout=svg.querySelector('.readout');
  svg.addEventListener('mousemove',function(e){
    var pt=svg.createSVGPoint();pt.x=e.clientX;pt.y=e.clientY;
    var p=pt.matrixTransform(svg.getScreenCTM().inverse());
    var step=x0+(p.x-p0)/((p1-p0)||1)*(x1-x0),lo=0,hi=c.x.length-1;
    while(hi-lo>1){var mid=(lo+hi)>>1;if(c.x[mid]<step)lo=mid;else hi=mid;}
    var i=(Math.abs(c.x[lo]-step)<=Math.abs(c.x[hi]-step))?lo:hi;
    var px=p0+(c.x[i]-x0)/((x1-x0)||1)*(p1-p0);
    cursor.setAttribute('x1',px);cursor.setAttribute('x2',px);cursor.style.visibility='visible';
    readout.textContent='step '+c.x[i]+': '+fmt(c.y[i]);
  });
  svg.addEventListener('mouseleave',function(){cursor.style.visibility='hidden';readout.textContent='';});
});
})();
"""

# the one script runs by its hash: an inline handler (`onerror=`, `onclick=`) that a value smuggled in
# would be refused by the browser, as would any other script
SCRIPT_HASH = base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode("ascii")
CSP = f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{SCRIPT_HASH}'; img-src data:"


def render(report: Report, *, width: int | None = None, color: bool | None = None) -> str:
    """The whole report as one HTML document; `width` and `color` mean nothing here."""
    body, charts = report_body(report)
    title = label("title", report.lang)
    return page(title, f"<h1>{escape(title)}</h1>\n{body}", report.lang, charts)


def page(title: str, body: str, lang: str, charts: list[Chart]) -> str:
    """The HTML skeleton: inline CSS, the charts' data as JSON, the hover script; nothing to fetch."""
    data = json.dumps(
        {"charts": [chart_data(c) for c in charts]},
        ensure_ascii=False,
        allow_nan=False,
        separators=(",", ":"),
    ).replace("</", "<\\/")
    return (
        f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}">\n'
        '<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n"
        f'<script type="application/json" id="lossdoctor-data">{data}</script>\n'
        f"<script>{SCRIPT}</script>\n</body>\n</html>\n"
    )


def report_body(report: Report, prefix: str = "", heading: int = 2) -> tuple[str, list[Chart]]:
    """One run's sections, in the terminal report's order with the charts after the verdicts.

    `prefix` keeps chart ids unique when several runs share a page; `heading` is the level of the
    section headings (a sweep nests runs one level down).
    """
    lang = report.lang
    charts = build_charts(report, prefix)
    links = _links_by_rule(report, prefix)
    h = f"h{heading}"
    parts = [
        f'<p class="summary {_summary_class(report)}">{escape(summary_sentence(report))}</p>',
        _run_facts(report),
    ]
    parts.append(f"<{h}>{label('diagnoses', lang)}</{h}>")
    parts += [_diagnosis(d, lang, links) for d in report.diagnoses] or [_empty(label("no_diagnoses", lang))]
    parts.append(f"<{h}>{label('checks', lang)}</{h}>")
    findings = sorted_findings(report)
    if findings:
        parts += [_finding(f, lang, links, report.baselined) for f in findings]
    else:
        key = "no_findings" if report.evaluated else "no_checks_run"
        parts.append(_empty(label(key, lang, n=len(report.evaluated))))
    parts.append(f"<{h}>{label('verdicts', lang)}</{h}>")
    parts.append(
        _table(
            [],
            [
                [escape(v.branch), escape(verdict_word(v.verdict, lang)), escape(v.evidence)]
                for v in report.verdicts
            ],
        )
        if report.verdicts
        else _empty(label("no_verdicts", lang))
    )
    parts.append(f"<{h}>{label('html_charts', lang)}</{h}>")
    parts += _charts(charts, lang, heading + 1) if charts else [_empty(label("html_no_charts", lang))]
    parts.append(f"<{h}>{label('metrics', lang)}</{h}>")
    parts.append(_metrics(report) if report.metrics else _empty(label("no_metrics", lang)))
    parts.append(f"<{h}>{label('coverage', lang)}</{h}>")
    rows = [[escape(name), escape(coverage_word(state, lang))] for name, state in report.coverage.items()]
    parts.append(_table([], rows) if rows else _empty(label("no_coverage", lang)))
    parts.append(f"<{h}>{label('not_evaluated', lang)}</{h}>")
    rows = [[escape(", ".join(names)), escape(reason)] for names, reason in not_evaluated_groups(report)]
    parts.append(
        _table([], rows) if rows else _empty(label("all_evaluated" if report.evaluated else "none", lang))
    )
    return "\n".join(parts), charts


def _summary_class(report: Report) -> str:
    worst = report.worst()
    return "ok" if worst in (None, "info") else str(worst)


def _links_by_rule(report: Report, prefix: str) -> dict[tuple[str, str | None], list[str]]:
    """(rule, tag) → links to the charts its findings are shaded on."""
    from lossdoctor.reporters.charts import anchor_of

    links: dict[tuple[str, str | None], list[str]] = {}
    for metric, stretches in charted_metrics(report).items():
        for stretch in stretches:
            anchor = anchor_of(metric, prefix)
            entry = links.setdefault((stretch.rule, stretch.tag), [])
            link = f'<a href="#{anchor}">{escape(metric)}</a>'
            if link not in entry:
                entry.append(link)
    return links


def _run_facts(report: Report) -> str:
    run, lang = report.run, report.lang
    extent = step_extent(run.frame)
    interval = log_interval(run.frame)
    # each value is a list of lines, escaped once where the <dd> is written
    facts: list[tuple[str, list[str]]] = [
        (label("format", lang), [run.format]),
        (label("points", lang), [str(len(run.frame))]),
        (label("steps", lang), [f"{extent[0]}–{extent[1]}" if extent else label("none", lang)]),
        (
            label("interval", lang),
            [
                every_interval(run.step_unit, interval, format_number(interval), lang)
                if interval is not None
                else label("unknown", lang)
            ],
        ),
    ]
    if report.config_source:
        facts.append((label("config", lang), [report.config_source]))
    if len(run.segments) > 1:
        files = [f"{s.file}  {s.first}–{s.last}" for s in run.segments]
        facts.append((label("segments_stitched", lang, n=len(run.segments)), files))
    else:
        facts.append((label("files", lang), list(run.files)))
    params = [f"{name} = {format_number(p.value)} ({p.source})" for name, p in sorted(report.params.items())]
    if params:
        facts.append((label("params", lang), params))
    if report.notes:
        facts.append((label("notes", lang), list(report.notes)))
    if run.warnings:
        shown = [
            f"{w.file}{f':{w.line}' if w.line is not None else ''}: {w.message}" for w in run.warnings[:10]
        ]
        if len(run.warnings) > 10:
            shown.append(label("and_more", lang, n=len(run.warnings) - 10))
        facts.append((f"{label('warnings', lang)} ({len(run.warnings)})", shown))
    items = "".join(
        f"<dt>{escape(k)}</dt><dd>{'<br>'.join(escape(line) for line in lines)}</dd>" for k, lines in facts
    )
    return f'<dl class="facts">{items}</dl>'


def _badge(severity: str, lang: str) -> str:
    return f'<span class="badge {severity}">{escape(severity_word(severity, lang))}</span>'


def _see(links: list[str], lang: str) -> str:
    return f'<div class="links meta">{label("html_see", lang)}: {" ".join(links)}</div>' if links else ""


def _diagnosis(diagnosis: Diagnosis, lang: str, links: dict[tuple[str, str | None], list[str]]) -> str:
    """The answer first: title, the checks it rests on, cause, remedy, and the charts that show it."""
    shown = list(
        dict.fromkeys(
            link for (rule, _), found in links.items() if rule in diagnosis.checks for link in found
        )
    )
    checks = ", ".join(diagnosis.checks) or label("none", lang)
    return (
        f'<div class="card {diagnosis.severity}" id="diagnosis-{escape(diagnosis.rule)}">'
        f"{_badge(diagnosis.severity, lang)}<strong>{escape(diagnosis.title)}</strong>"
        f'<div class="meta">{escape(diagnosis.rule)} · {escape(label("rests_on", lang, checks=checks))}</div>'
        f'<div>{escape(diagnosis.cause)}</div><div class="remedy">{escape(diagnosis.remedy)}</div>'
        f"{_see(shown, lang)}</div>"
    )


def _finding(
    finding: Finding,
    lang: str,
    links: dict[tuple[str, str | None], list[str]],
    baselined: set[tuple[str, str | None]],
) -> str:
    where = steps_text(finding.first_step, finding.last_step, lang)
    extra = "" if finding.pack == "default" else f" · {finding.pack}"
    if (finding.rule, finding.tag) in baselined:
        extra += f" · {label('baselined', lang)}"
    evidence = (
        f'<div class="evidence">{escape(evidence_text(finding.evidence, sep="  "))}</div>'
        if finding.evidence
        else ""
    )
    return (
        f'<div class="card {finding.severity}">{_badge(finding.severity, lang)}'
        f"<strong>{escape(finding.title)}</strong>"
        f'<div class="meta">{escape(case_name(finding.rule, finding.tag))} · {escape(where)}'
        f" · {escape(finding.branch)}{escape(extra)}</div>{evidence}<div>{escape(finding.cause)}</div>"
        f'<div class="remedy">{escape(finding.remedy)}</div>'
        f"{_see(links.get((finding.rule, finding.tag), []), lang)}</div>"
    )


def _charts(charts: list[Chart], lang: str, level: int) -> list[str]:
    parts = []
    others = False
    for chart in charts:
        if not chart.stretches and not others and any(c.stretches for c in charts):
            parts.append(f"<h{level}>{label('html_charts_other', lang)}</h{level}>")
            others = True
        parts.append(
            f'<figure id="{chart.anchor}"><figcaption>{escape(chart.metric)}</figcaption>'
            f'{svg(chart, lang)}<div class="legend">{legend(chart, lang)}</div></figure>'
        )
    return parts


def _metrics(report: Report) -> str:
    lang = report.lang
    head = [label(k, lang) for k in ("col_metric", "col_last", "col_trend", "col_normal", "col_in_range")]
    rows = []
    for m in report.metrics:
        ok = "–" if m.in_range is None else ("✓" if m.in_range else "✗")
        rows.append(
            [
                escape(m.name),
                format_number(m.last) if m.last is not None else "–",
                TREND_ARROW.get(m.trend, "–"),
                escape(m.normal or "–"),
                ok,
            ]
        )
    return _table(head, rows, numeric={1})


def _table(head: list[str], rows: Iterable[list[str]], numeric: set[int] | None = None) -> str:
    """A table of already-escaped cells."""
    numeric = numeric or set()
    header = "<tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr>" if head else ""
    body = "".join(
        "<tr>"
        + "".join(f"<td{' class=num' if i in numeric else ''}>{cell}</td>" for i, cell in enumerate(row))
        + "</tr>"
        for row in rows
    )
    return f"<table>{header}{body}</table>"


def _empty(text: str) -> str:
    return f'<p class="meta">{escape(text)}</p>'


__all__ = ["page", "render", "report_body"]
