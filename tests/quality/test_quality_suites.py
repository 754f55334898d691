"""The suites as code (no database): every expectation is coded and documented, and the
runner's URL handling never leaks the password."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from great_expectations.expectations.metrics.query_metric_provider import _query_has_join_clause

from quality.results import QualityGateError, QualityReport, RuleResult, redact
from quality.runner import driver_url, libpq_url
from quality.suites import MART_SUITES, RAW_SUITES

README = Path(__file__).parents[2] / "quality" / "README.md"
CODE = re.compile(r"^[A-Z]+-[A-Z]+-\d{3}$")
PREFIX = re.compile(r"^[A-Z]+-[A-Z]+$")


def suite_rules() -> dict[str, tuple[str, str]]:
    """rule code -> (table, severity) over every suite."""
    suites = [(name, build()) for name, build in RAW_SUITES.items()]
    suites += [(name, spec.build()) for name, spec in MART_SUITES.items()]
    rules: dict[str, tuple[str, str]] = {}
    for table, suite in suites:
        for expectation in suite.expectations:
            meta = expectation.meta or {}
            assert CODE.match(meta.get("rule", "")), (table, expectation)
            assert meta["severity"] in ("critical", "warning")
            assert expectation.severity.value == meta["severity"]
            assert expectation.description
            # one code, one table and one severity, whatever the number of expectations
            assert rules.setdefault(meta["rule"], (table, meta["severity"])) == (
                table,
                meta["severity"],
            )
    return rules


def documented() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """README tables: shared raw rules (NNN -> severity), prefixes (-> table), codes."""
    shared, prefixes, codes = {}, {}, {}
    for line in README.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        names = re.findall(r"`([^`]+)`", cells[0]) if line.startswith("|") else []
        if not names:
            continue
        if names[0].startswith("<PREFIX>-"):
            shared[names[0].rsplit("-", 1)[1]] = cells[-1]
        elif len(cells) == 2 and PREFIX.match(names[0]):
            prefixes[names[0]] = cells[1].strip("`")
        elif CODE.match(names[0]):
            codes.update(dict.fromkeys(names, cells[-1]))
    return shared, prefixes, codes


def test_every_rule_is_coded_and_in_the_readme() -> None:
    rules = suite_rules()
    shared, prefixes, codes = documented()
    for code, (table, severity) in rules.items():
        prefix, number = code.rsplit("-", 1)
        if table.startswith("raw_") and number < "010":
            assert prefixes[prefix] == table, code
            assert shared[number] == severity, code
        else:
            assert codes[code] == severity, code
    assert set(codes) <= set(rules)
    assert set(prefixes.values()) == set(RAW_SUITES)


def test_urls_are_converted_and_never_echoed() -> None:
    url = "postgresql://thinline:p%40ss-w0rd@127.0.0.1:5433/warehouse?sslmode=disable"
    assert driver_url(url) == url.replace("postgresql://", "postgresql+psycopg2://")
    assert libpq_url(driver_url(url)) == url
    assert libpq_url("postgres://u@h/d") == "postgresql://u@h/d"
    with pytest.raises(ValueError) as raised:
        driver_url("mysql://thinline:p%40ss-w0rd@host/db")
    assert "p%40ss" not in str(raised.value)
    assert redact(f"failed: {url} (p@ss-w0rd)", url) == "failed: *** (***)"


def test_gate_message_is_a_summary_then_one_line_per_critical_failure() -> None:
    def result(rule: str, severity: str, passed: bool) -> RuleResult:
        return RuleResult(
            "raw_hubspot.deals",
            "raw_hubspot.deals",
            rule,
            "unexpected_rows_expectation",
            severity,
            passed,
            description="amount is a number when set",
            observed_value="1 unexpected rows",
            unexpected_count=None if passed else 1,
            sample_bad_values=[] if passed else [{"deal_id": 1, "amount": "n/a"}],
        )

    report = QualityReport.of(
        [
            result("HS-DEAL-001", "critical", True),
            result("HS-DEAL-010", "critical", False),
            result("HS-DEAL-013", "warning", False),
        ]
    )
    assert (report.passed, report.failed, report.warnings) == (1, 1, 1)
    lines = str(QualityGateError(report, "run-1")).splitlines()
    assert lines[0].startswith("quality gate failed for run run-1: 1 critical check(s)")
    assert lines[1:] == [
        "raw_hubspot.deals HS-DEAL-010 [critical] unexpected_rows_expectation (amount is a "
        'number when set): 1 unexpected rows; sample [{"deal_id": 1, "amount": "n/a"}]'
    ]


def test_a_query_with_a_join_aliases_its_batch() -> None:
    """GX hands a query with a join ``{batch}`` as a bare subquery; PostgreSQL before 16 (the
    PostgreSQL 15 test of test_nightly) refuses one without an alias."""
    suites = [build() for build in RAW_SUITES.values()]
    suites += [spec.build() for spec in MART_SUITES.values()]
    for suite in suites:
        for expectation in suite.expectations:
            query = getattr(expectation, "unexpected_rows_query", None) or ""
            if _query_has_join_clause(query):
                bare = re.findall(r"\{batch\}(?!\s+as\s)", query)
                assert not bare, (expectation.meta["rule"], query)
