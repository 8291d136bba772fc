"""`lossdoctor rules list|show|check|test`: the rule packs as a product (like promtool for alerts)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from lossdoctor.cli.app import app
from lossdoctor.cli.options import RULE_FILES
from lossdoctor.errors import BAD_INPUT, FIRED, OK, RuleFileError, UsageError

if TYPE_CHECKING:
    from lossdoctor.engine.rulefiles.packs import RuleSet
    from lossdoctor.engine.rulefiles.schema import CheckRule

rules_app = typer.Typer(
    help="List, explain, check and unit-test rule files.", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(rules_app, name="rules")

OUT_OF_SCOPE = (
    "Out of scope for the default pack: §2.1's ‖z_text‖ vs ‖x1‖ scale check (the guide names no log key "
    "for it) and §5's 'already been reduced' errors (a crash, not a curve)."
)


def _load(rule_files: list[Path]) -> RuleSet:
    from lossdoctor.engine.rulefiles.packs import load_rules

    return load_rules(rule_files)


@rules_app.command("list")
def list_rules(
    rule_files: list[Path] = RULE_FILES,
    fmt: str = typer.Option("terminal", "--format", "-f", help="terminal or json"),
    lang: str = typer.Option("en", "--lang", help="en or zh"),
) -> int:
    """Every rule: name, severity, branch, metrics needed, summary, pack."""
    ruleset = _load(rule_files)
    rows = [_row(rule) for rule in ruleset.checks]
    if fmt == "json":
        diagnoses = [{"rule": d.id, "severity": d.severity, "guide": d.guide} for d in ruleset.diagnoses]
        sys.stdout.write(
            json.dumps(
                {"checks": rows, "diagnoses": diagnoses, "out_of_scope": OUT_OF_SCOPE},
                ensure_ascii=False,
                indent=2,
            )
            + "\n"
        )
        return OK
    if fmt != "terminal":
        raise UsageError(f'unknown format "{fmt}"; known: terminal, json', field="--format")
    from rich.console import Console
    from rich.table import Table

    table = Table("rule", "sev", "branch", "needs", "what it flags", "pack", show_lines=False)
    table.columns[0].no_wrap = True
    for rule, row in zip(ruleset.checks, rows, strict=True):
        title = rule.text.get(lang, rule.text["en"]).title
        table.add_row(
            row["rule"], row["severity"], row["branch"], "\n".join(row["metrics"]), title, row["pack"]
        )
    console = Console()
    console.print(table)
    console.print("Diagnoses: " + ", ".join(d.id for d in ruleset.diagnoses), highlight=False)
    console.print(OUT_OF_SCOPE, highlight=False)
    return OK


def _row(rule: CheckRule) -> dict[str, Any]:
    metrics = [" or ".join(names) for names in rule.metrics.values()] or ["every *loss* metric"]
    return {
        "rule": rule.id,
        "severity": rule.severity,
        "branch": rule.branch,
        "metrics": metrics,
        "summary": rule.summary,
        "pack": rule.pack,
        "guide": rule.guide,
    }


@rules_app.command("show")
def show_rule(
    name: str = typer.Argument(..., help="A rule name, e.g. z-var-out-of-range."),
    rule_files: list[Path] = RULE_FILES,
) -> int:
    """Everything about one rule: condition, window, parameters, texts, guide section, example evidence."""
    from lossdoctor.engine.devtools.ruledoc import show

    ruleset = _load(rule_files)
    rule = ruleset.check(name)
    if rule is None:
        raise UsageError(f"no rule named {name!r}; `lossdoctor rules list` shows them", field="NAME")
    sys.stdout.write(show(rule, _example_evidence(rule, ruleset)))
    return OK


def _example_evidence(rule: CheckRule, ruleset: RuleSet) -> dict[str, Any] | None:
    """The evidence of the rule's first firing case in the bundled tests, as a real example."""
    from importlib import resources

    from lossdoctor.engine.devtools.ruletests import run_case
    from lossdoctor.engine.rulefiles.yamlfile import load_yaml

    text = resources.files("lossdoctor.rules").joinpath("tests/default.yaml").read_text(encoding="utf-8")
    for case in load_yaml(text, "rules/tests/default.yaml")["cases"]:
        if any(e["rule"] == rule.id and e.get("severity", "red") != "info" for e in case.get("expect", [])):
            report, _ = run_case(case, ruleset)
            found = next((f for f in report.findings if f.rule == rule.id), None)
            if found is not None:
                return {
                    "case": case["name"],
                    "first_step": found.first_step,
                    "last_step": found.last_step,
                    **dict(found.evidence),
                }
    return None


@rules_app.command("check")
def check_files(files: list[Path] = typer.Argument(..., help="Rule files to validate.")) -> int:
    """Validate rule files without running them; every problem with file, line, rule and field."""
    from lossdoctor.engine.rulefiles.lint import window_problems

    problems: list[str] = []
    for path in files:
        try:
            ruleset = _load([path])
        except RuleFileError as exc:
            problems.extend(getattr(exc, "problems", None) or [exc.one_line()])
            continue
        problems.extend(p for rule in ruleset.checks if rule.file == str(path) for p in window_problems(rule))
    for problem in problems:
        typer.echo(problem, err=True)
    if problems:
        typer.echo(f"{len(problems)} problem(s) in {len(files)} file(s)", err=True)
        return BAD_INPUT
    typer.echo(f"{len(files)} file(s) valid")
    return OK


@rules_app.command("test")
def test_files(
    files: list[Path] = typer.Argument(..., help="Rule test files (YAML: rule_files, cases)."),
    rule_files: list[Path] = RULE_FILES,
) -> int:
    """Run rule unit tests: synthetic series in, expected findings out."""
    from lossdoctor.engine.devtools.ruletests import load_test_file, run_case, unknown_rules

    passed = failed = 0
    for path in files:
        test = load_test_file(path)
        ruleset = _load([*test.rule_files, *rule_files])
        unknown = unknown_rules(test, ruleset)
        if unknown:
            raise RuleFileError(f"names rules no pack defines: {', '.join(unknown)}", file=str(path))
        for case in test.cases:
            _, result = run_case(case, ruleset)
            if result.failures:
                failed += 1
                typer.echo(f"FAIL {path}: {result.name}")
                for failure in result.failures:
                    typer.echo("  " + failure.replace("\n", "\n  "))
            else:
                passed += 1
                typer.echo(f"ok   {path}: {result.name}")
    typer.echo(f"{passed} passed, {failed} failed")
    return FIRED if failed else OK
