"""``thinline doctor``: pre-flight checks of every enabled source, like a managed connector's
setup test. The same checks open each night's extract, so a sunset API version or a revoked
token stops the run before it loads anything, and their warnings reach
``ops.quality_results`` (and so ``analytics.rpt_data_health``).

Per source: the credentials are set; the API version is live (``extract/<source>/versions.toml``,
for a versioned API);
then the connector's own checks (the token works or refreshes, each configured account is
reachable, the scopes and fields Thinline reads are there).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from extract.api_versions import is_versioned, version_table
from extract.base import ConfigError, SourceError
from extract.preflight import Check, Level, failed, guarded
from extract.settings import SourceSettings
from quality.results import CRITICAL, WARNING, RuleResult, write_results

PREFLIGHT_SUITE = "preflight"


def source_checks(source: str, settings: SourceSettings, today: date) -> list[Check]:
    """Every pre-flight check of one source, in order; never raises for a source's fault."""
    from extract.registry import manifest  # imports the connector: only when checking

    try:
        settings.check_credentials()
    except ConfigError as error:
        detail, _, fix = str(error).partition(" — ")
        return [Check(source, "credentials", Level.FAIL, detail.removeprefix(f"{source}: "), fix)]
    checks = [Check(source, "credentials", Level.OK, "every required setting is set")]
    if is_versioned(source):
        table = version_table(source)
        checks.append(table.check(str(getattr(settings, table.setting)), today))
    if failed(checks):
        return checks  # a sunset version answers nothing else usefully
    connector = manifest(source).build_connector(settings)
    return checks + guarded(source, "connection", lambda: connector.preflight(today))


def check_sources(
    sources: list[str], settings_for: Callable[[str], SourceSettings], today: date | None = None
) -> list[Check]:
    day = today or datetime.now(UTC).date()
    return [check for name in sources for check in source_checks(name, settings_for(name), day)]


def render(checks: list[Check], echo: Callable[[str], None]) -> None:
    """One row per check: source, check, OK/WARN/FAIL, what was seen and the fix."""
    echo(f"{'source':<13} {'check':<28} {'':<4}  detail")
    for check in checks:
        echo(check.line())
    counts = {level: sum(c.level is level for c in checks) for level in Level}
    echo(
        f"{counts[Level.OK]} OK, {counts[Level.WARN]} WARN, {counts[Level.FAIL]} FAIL"
        + ("" if not counts[Level.FAIL] else " — fix the FAIL rows, then run again")
    )


def raise_on_failure(checks: list[Check]) -> None:
    """A :class:`SourceError` whose first line says which checks failed, one row each after."""
    failures = failed(checks)
    if failures:
        first = failures[0]
        head = f"{first.source}: pre-flight check '{first.name}' failed: {first.detail}"
        if first.fix:
            head += f" — {first.fix}"
        raise SourceError("\n".join([head, *(check.line() for check in failures[1:])]))


def rule_code(check: Check) -> str:
    """``PRE-`` and the check's kind: "api version" -> PRE-API-VERSION, "account 123" ->
    PRE-ACCOUNT (ids and object names stay in the expectation, not the code)."""
    kind = [word for word in check.name.split() if word.isalpha() and word.islower()]
    return "-".join(["PRE", *(word.upper() for word in kind or ["CHECK"])])


def record(warehouse_url: str, run_id: str, checks: list[Check]) -> None:
    """Store the checks as ``preflight`` results of this run (rpt_data_health shows them)."""
    now = datetime.now(UTC)
    results = [
        RuleResult(
            suite=f"{PREFLIGHT_SUITE}_{check.source}",
            table_name=f"source {check.source}",
            rule=rule_code(check),
            expectation=check.name,
            severity=CRITICAL if check.level is Level.FAIL else WARNING,
            passed=check.level is Level.OK,
            description=check.fix,
            observed_value=f"{check.level.value}: {check.detail}",
        )
        for check in checks
    ]
    if results:
        write_results(warehouse_url, run_id, now, results)
