"""The words a reporter prints around the engine's text, in every `--lang`.

Rule titles, causes and remedies arrive in the report already translated (they
live in the rule YAML); what is left is the frame around them: headings,
severity and verdict words, coverage states. Keeping them in one table per
language lets a test prove that no English label lacks a Chinese one, and keeps
reporters free of string literals a translator would have to hunt for.
The Chinese follows the guide's own wording (红旗信号, 在学习, 停滞 …).
"""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "lossdoctor report",
        "files": "Files",
        "format": "Format",
        "config": "Config",
        "baselined": "in the baseline (does not fail the gate)",
        "points": "Points",
        "steps": "Steps",
        "interval": "Log interval",
        "every_n_steps": "every {n} steps",
        "every_epoch": "every epoch",
        "every_n_epochs": "every {n} epochs",
        "segments_stitched": "{n} launches stitched; later wins where steps overlap",
        "params": "Parameters",
        "notes": "Notes",
        "warnings": "Read warnings",
        "and_more": "… and {n} more",
        "diagnoses": "Diagnoses",
        "checks": "Checks",
        "verdicts": "Branch verdicts",
        "metrics": "Metrics",
        "coverage": "Coverage (§8 checklist)",
        "not_evaluated": "Not evaluated",
        "rests_on": "rests on: {checks}",
        "step_range": "steps {first}–{last}",
        "step_single": "step {first}",
        "none": "none",
        "unknown": "unknown",
        "no_diagnoses": "No diagnosis.",
        "no_findings": "No red flags found: none of the {n} evaluated checks fired.",
        "no_verdicts": "No branch verdicts.",
        "no_metrics": "No metrics.",
        "no_coverage": "No checklist metrics.",
        "all_evaluated": "Every rule was evaluated.",
        "col_metric": "metric",
        "col_last": "last",
        "col_trend": "trend",
        "col_spark": "curve",
        "col_normal": "normal",
        "col_in_range": "ok",
        "summary_counts": "{red} red, {warn} warn, {info} info findings",
        "summary_diagnoses": "{n} diagnoses",
        "summary_diagnosis_one": "{n} diagnosis",
        "summary_nothing": "Nothing was evaluated: no red flags can be ruled out",
        "no_checks_run": "No checks were evaluated.",
        "summary_rules": "{evaluated} checks evaluated, {not_evaluated} not evaluated",
        "summary_clean": "No red flags found",
        "sev_red": "RED",
        "sev_warn": "WARN",
        "sev_info": "INFO",
        "verdict_learning": "learning",
        "verdict_stalled": "stalled",
        "verdict_unstable": "unstable",
        "verdict_too strong": "too strong",
        "verdict_too weak": "too weak",
        "verdict_unknown": "unknown",
        "cov_present": "present",
        "cov_shadow only": "shadow only",
        "cov_missing": "missing",
        # CI reporters (junit, github, markdown)
        "ci_run": "Run",
        "ci_col_severity": "severity",
        "ci_col_diagnosis": "diagnosis",
        "ci_col_cause": "cause",
        "ci_col_remedy": "remedy",
        "ci_col_rule": "rule",
        "ci_col_tag": "tag",
        "ci_col_steps": "steps",
        "ci_col_evidence": "key evidence",
        "ci_col_branch": "branch",
        "ci_col_verdict": "verdict",
        # HTML report, sweep table, compare (reporters/html.py, sweep_report.py, comparison_report.py)
        "html_charts": "Charts",
        "html_charts_other": "Other metrics the rules read",
        "html_see": "shown on",
        "html_raw": "raw",
        "html_smoothed": "smoothed",
        "html_log": "log scale",
        "html_normal": "normal range",
        "html_resume": "resume",
        "html_nonfinite": "non-finite",
        "html_downsampled": "{drawn} of {points} points drawn (min and max of each bucket); all judged",
        "html_no_charts": "No rule read a metric of this run.",
        "sweep_title": "lossdoctor sweep: {n} runs",
        "sweep_col_run": "run",
        "sweep_col_status": "status",
        "sweep_col_red": "red",
        "sweep_col_warn": "warn",
        "sweep_col_first_red": "first red",
        "sweep_col_diagnosis": "leading diagnosis",
        "sweep_col_verdicts": "branches",
        "sweep_status_red": "red",
        "sweep_status_warn": "warn",
        "sweep_status_ok": "ok",
        "sweep_status_error": "unreadable",
        "sweep_summary": "{n} runs: {red} red, {warn} warn, {ok} ok, {error} unreadable",
        "sweep_detail_hint": "Add --detail for each run's full report.",
        "sweep_details": "Runs in detail",
        "cmp_title": "lossdoctor compare: {base} against {others}",
        "cmp_base": "base",
        "cmp_branches": "Controlled experiment, per branch",
        "cmp_metrics": "Metrics",
        "cmp_col_metric": "metric",
        "cmp_col_verdict": "verdict",
        "cmp_col_base": "base",
        "cmp_col_other": "other",
        "cmp_col_diff": "difference",
        "cmp_col_band": "noise band",
        "cmp_col_from": "from step",
        "cmp_better": "better",
        "cmp_worse": "worse",
        "cmp_within": "within noise",
        "cmp_higher": "higher",
        "cmp_lower": "lower",
        "cmp_line_within": "with {other}, {metric} is within noise of {base} from step {step} on",
        "cmp_line_parted": "with {other}, {metric} parts from {base} at step {step}: {verdict} "
                           "({value} against {base_value}, noise band ±{band})",
        "cmp_no_branch": "no branch metric is logged by both runs",
        "cmp_shared": "steps {first}–{last} in both, compared in {bins} bins of {width} steps",
        "cmp_no_shared": "no steps in common",
    },
    "zh": {
        "title": "lossdoctor 诊断报告",
        "files": "文件",
        "format": "格式",
        "config": "配置",
        "baselined": "已在基线中（不导致失败）",
        "points": "记录点数",
        "steps": "步数范围",
        "interval": "记录间隔",
        "every_n_steps": "每 {n} 步",
        "every_epoch": "每个 epoch",
        "every_n_epochs": "每 {n} 个 epoch",
        "segments_stitched": "拼接了 {n} 次启动；步数重叠处以后者为准",
        "params": "参数",
        "notes": "备注",
        "warnings": "读取警告",
        "and_more": "… 另有 {n} 条",
        "diagnoses": "诊断",
        "checks": "检查项",
        "verdicts": "分支判定",
        "metrics": "指标",
        "coverage": "覆盖情况（§8 清单）",
        "not_evaluated": "未评估",
        "rests_on": "依据：{checks}",
        "step_range": "步 {first}–{last}",
        "step_single": "步 {first}",
        "none": "无",
        "unknown": "未知",
        "no_diagnoses": "无诊断。",
        "no_findings": "未发现红旗信号：已评估的 {n} 项检查均未触发。",
        "no_verdicts": "无分支判定。",
        "no_metrics": "无指标。",
        "no_coverage": "无清单指标。",
        "all_evaluated": "所有规则均已评估。",
        "col_metric": "指标",
        "col_last": "最新值",
        "col_trend": "趋势",
        "col_spark": "曲线",
        "col_normal": "正常范围",
        "col_in_range": "正常",
        "summary_counts": "检查结果：{red} 严重，{warn} 警告，{info} 提示",
        "summary_diagnoses": "{n} 条诊断",
        "summary_diagnosis_one": "{n} 条诊断",
        "summary_nothing": "未评估任何检查：无法排除红旗信号",
        "no_checks_run": "未评估任何检查。",
        "summary_rules": "已评估 {evaluated} 项检查，{not_evaluated} 项未评估",
        "summary_clean": "未发现红旗信号",
        "sev_red": "严重",
        "sev_warn": "警告",
        "sev_info": "提示",
        "verdict_learning": "在学习",
        "verdict_stalled": "停滞",
        "verdict_unstable": "不稳定",
        "verdict_too strong": "过强",
        "verdict_too weak": "过弱",
        "verdict_unknown": "未知",
        "cov_present": "已记录",
        "cov_shadow only": "仅影子键",
        "cov_missing": "缺失",
        # CI reporters (junit, github, markdown)
        "ci_run": "运行",
        "ci_col_severity": "级别",
        "ci_col_diagnosis": "诊断",
        "ci_col_cause": "原因",
        "ci_col_remedy": "处理办法",
        "ci_col_rule": "规则",
        "ci_col_tag": "tag",
        "ci_col_steps": "步数",
        "ci_col_evidence": "关键证据",
        "ci_col_branch": "分支",
        "ci_col_verdict": "判定",
        # HTML report, sweep table, compare (reporters/html.py, sweep_report.py, comparison_report.py)
        "html_charts": "曲线图",
        "html_charts_other": "规则读取的其他指标",
        "html_see": "见曲线",
        "html_raw": "原始",
        "html_smoothed": "平滑",
        "html_log": "对数坐标",
        "html_normal": "正常范围",
        "html_resume": "续训",
        "html_nonfinite": "非有限值",
        "html_downsampled": "绘制 {drawn}/{points} 个点（每段取最小和最大值）；判定使用全部数据",
        "html_no_charts": "没有规则读取本次运行的指标。",
        "sweep_title": "lossdoctor 批量诊断：{n} 个运行",
        "sweep_col_run": "运行",
        "sweep_col_status": "状态",
        "sweep_col_red": "严重",
        "sweep_col_warn": "警告",
        "sweep_col_first_red": "首个严重步",
        "sweep_col_diagnosis": "主要诊断",
        "sweep_col_verdicts": "分支",
        "sweep_status_red": "严重",
        "sweep_status_warn": "警告",
        "sweep_status_ok": "正常",
        "sweep_status_error": "无法读取",
        "sweep_summary": "{n} 个运行：{red} 严重，{warn} 警告，{ok} 正常，{error} 无法读取",
        "sweep_detail_hint": "加 --detail 查看每个运行的完整报告。",
        "sweep_details": "各运行详情",
        "cmp_title": "lossdoctor 对比：{base} 对 {others}",
        "cmp_base": "基准",
        "cmp_branches": "对照实验（按分支）",
        "cmp_metrics": "指标",
        "cmp_col_metric": "指标",
        "cmp_col_verdict": "结论",
        "cmp_col_base": "基准",
        "cmp_col_other": "对比",
        "cmp_col_diff": "差值",
        "cmp_col_band": "噪声带",
        "cmp_col_from": "起始步",
        "cmp_better": "更好",
        "cmp_worse": "更差",
        "cmp_within": "在噪声范围内",
        "cmp_higher": "更高",
        "cmp_lower": "更低",
        "cmp_line_within": "在 {other} 中，{metric} 从第 {step} 步起与 {base} 相差在噪声范围内",
        "cmp_line_parted": "在 {other} 中，{metric} 从第 {step} 步起偏离 {base}：{verdict}"
                           "（{value} 对 {base_value}，噪声带 ±{band}）",
        "cmp_no_branch": "两次运行没有共同记录的分支指标",
        "cmp_shared": "共同步数 {first}–{last}，分 {bins} 段比较，每段 {width} 步",
        "cmp_no_shared": "没有共同的步数",
    },
}

LANGUAGES: tuple[str, ...] = tuple(LABELS)


def label(key: str, lang: str, **values: object) -> str:
    """One label in `lang`, formatted with `values`.

    An unknown language falls back to English rather than failing: a report
    is still worth reading with English headings. An unknown key is a bug in a
    reporter and raises KeyError, so a test catches it.
    """
    table = LABELS.get(lang, LABELS["en"])
    text = table.get(key, LABELS["en"][key])
    return text.format(**values) if values else text


def every_interval(unit: str, interval: int | float, shown: str, lang: str) -> str:
    """"every 10 steps", or "every epoch" when the log's axis is the epoch (a per-epoch history)."""
    if unit == "epoch":
        return label("every_epoch", lang) if interval == 1 else label("every_n_epochs", lang, n=shown)
    return label("every_n_steps", lang, n=shown)


def severity_word(severity: str, lang: str) -> str:
    """The badge word for a severity (RED / 严重)."""
    return label(f"sev_{severity}", lang)


def verdict_word(verdict: str, lang: str) -> str:
    """A branch verdict in `lang`; an engine-side verdict we do not know is shown as is."""
    key = f"verdict_{verdict}"
    return label(key, lang) if key in LABELS["en"] else verdict


def coverage_word(state: str, lang: str) -> str:
    """A §8 coverage state in `lang`; an unknown state is shown as is."""
    key = f"cov_{state}"
    return label(key, lang) if key in LABELS["en"] else state
