"""``thinline doctor`` and the pre-flight of ``thinline run``, as a user meets them: against the
stand-ins at their defaults every row is OK; a sunset version, a wrong account id, a missing
scope or a bad secret is a FAIL row with its fix, exit code 2, no traceback, no secret."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from extract.registry import source_names
from sandbox import World, WorldConfig, build_world, serve
from sandbox.hubspot_server import SERVICE_KEY_SCOPES, HubSpotServer
from tests.conftest import run_cli

THINLINE = str(Path(sys.executable).parent / "thinline")
SOURCES = list(source_names())  # every registered source


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(
        WorldConfig(seed=3, scale=0.3, start=date(2026, 2, 1), end=date(2026, 2, 20))
    )


@pytest.fixture(scope="module")
def env(world: World) -> Iterator[dict[str, str]]:
    with serve(world) as sources:
        yield {**sources.env, "THINLINE_SOURCES": ",".join(SOURCES)}


def rows(output: str) -> list[list[str]]:
    """The check rows: source, check words, level, detail (split on the level column)."""
    found = []
    for line in output.splitlines():
        for level in (" OK ", " WARN ", " FAIL "):
            if line.split(" ", 1)[0] in SOURCES and level in line:
                head, detail = line.split(level, 1)
                found.append([head.split()[0], " ".join(head.split()[1:]), level.strip(), detail])
                break
    return found


def secrets_of(env: dict[str, str]) -> list[str]:
    names = ("TOKEN", "SECRET", "PASSWORD")
    return [value for name, value in env.items() if any(n in name for n in names) and value]


def test_every_check_is_ok_against_the_stand_ins(env: dict[str, str], tmp_path: Path) -> None:
    result = run_cli(THINLINE, "doctor", home=tmp_path, **env)
    assert result.returncode == 0, result.stdout + result.stderr
    checks = rows(result.stdout)
    assert {row[0] for row in checks} == set(SOURCES)
    assert {row[2] for row in checks} == {"OK"}, result.stdout
    for source in SOURCES:  # the credentials, the version and the connector's own checks
        names = [row[1] for row in checks if row[0] == source]
        if source == "ecb":  # keyless and unversioned: the one call is its own check
            assert names == ["credentials", "reference rates"], names
            continue
        assert names[:2] == ["credentials", "api version"] and len(names) > 3, names
    assert result.stdout.strip().splitlines()[-1].endswith("0 WARN, 0 FAIL")


@pytest.mark.parametrize(
    ("setting", "value", "source", "check", "fix_names"),
    [
        ("THINLINE_GOOGLE_ADS__API_VERSION", "v21", "google_ads", "api version", "API_VERSION"),
        ("THINLINE_META_ADS__ACCOUNT_IDS", "act_123", "meta_ads", "account", "ACCOUNT_IDS"),
        (
            "THINLINE_SALESFORCE__CLIENT_SECRET",
            "not-the-secret",
            "salesforce",
            "token",
            "CLIENT_SECRET",
        ),
        ("THINLINE_LINKEDIN_ADS__LINKEDIN_VERSION", "202510", "linkedin_ads", "api", "VERSION"),
    ],
)
def test_a_broken_setting_is_a_fail_row_with_its_fix(
    env: dict[str, str],
    tmp_path: Path,
    setting: str,
    value: str,
    source: str,
    check: str,
    fix_names: str,
) -> None:
    result = run_cli(THINLINE, "doctor", home=tmp_path, **{**env, setting: value})
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    failed = [row for row in rows(result.stdout) if row[2] == "FAIL"]
    assert [row[0] for row in failed] == [source], result.stdout
    assert failed[0][1].startswith(check)
    assert fix_names in failed[0][3], failed[0][3]  # the fix names the setting
    for secret in secrets_of(env):
        assert secret not in result.stdout + result.stderr


def test_a_missing_hubspot_scope_is_named(
    world: World, env: dict[str, str], tmp_path: Path
) -> None:
    scopes = set(SERVICE_KEY_SCOPES) - {"crm.objects.deals.read"}
    with HubSpotServer(world, scopes=scopes) as hubspot:
        moved = {**env, "THINLINE_HUBSPOT__BASE_URL": hubspot.url}
        result = run_cli(THINLINE, "doctor", home=tmp_path, **moved)
    assert result.returncode == 2, result.stdout + result.stderr
    failed = [row for row in rows(result.stdout) if row[2] == "FAIL"]
    assert failed and {row[0] for row in failed} == {"hubspot"}, result.stdout
    assert "crm.objects.deals.read" in failed[0][3]


def test_a_key_without_the_contacts_scope_cannot_read_the_engagements(
    world: World, env: dict[str, str], tmp_path: Path
) -> None:
    """HubSpot reads the sales engagements with a contacts scope: doctor says so up front."""
    scopes = set(SERVICE_KEY_SCOPES) - {"crm.objects.contacts.read"}
    with HubSpotServer(world, scopes=scopes) as hubspot:
        moved = {**env, "THINLINE_HUBSPOT__BASE_URL": hubspot.url}
        result = run_cli(THINLINE, "doctor", home=tmp_path, **moved)
    assert result.returncode == 2, result.stdout + result.stderr
    failed = {row[1]: row[3] for row in rows(result.stdout) if row[2] == "FAIL"}
    engagements = {f"read {kind}" for kind in ("calls", "emails", "meetings", "tasks", "notes")}
    assert engagements <= set(failed), result.stdout
    assert all("crm.objects.contacts.read" in failed[name] for name in engagements)


def test_a_run_on_real_sources_stops_at_a_fail_before_extracting(
    env: dict[str, str], tmp_path: Path
) -> None:
    broken = {**env, "THINLINE_GOOGLE_ADS__API_VERSION": "v21"}
    result = run_cli(THINLINE, "run", "--date", "2026-02-19", home=tmp_path, **broken)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: pre-flight checks failed")
    assert "google_ads" in result.stderr and "2026-08-05" in result.stderr
    # nothing started: no warehouse, no Airflow run
    assert not (tmp_path / "warehouse").exists() and not (tmp_path / "logs").exists()


def test_checks_are_recorded_as_preflight_results(fresh_database: str) -> None:
    import psycopg

    from extract.preflight import Check, Level
    from thinline.doctor import record

    checks = [
        Check("google_ads", "api version", Level.WARN, "v25 sunsets on 2027-02-01", "set …"),
        Check("google_ads", "customer 1234567890", Level.OK, "Thinline US (USD)"),
        Check("meta_ads", "account act_1", Level.FAIL, "no such ad account", "check …"),
    ]
    record(fresh_database, "run-1", checks)
    record(fresh_database, "run-1", checks[:2])  # a retried task rewrites its source's rows
    with psycopg.connect(fresh_database) as conn:
        rows = conn.execute(
            "select suite, rule, expectation, severity, passed, observed_value "
            "from ops.quality_results where run_id = 'run-1' order by result_id"
        ).fetchall()
    assert rows == [
        (
            "preflight_meta_ads",
            "PRE-ACCOUNT",
            "account act_1",
            "critical",
            False,
            "FAIL: no such ad account",
        ),
        (
            "preflight_google_ads",
            "PRE-API-VERSION",
            "api version",
            "warning",
            False,
            "WARN: v25 sunsets on 2027-02-01",
        ),
        (
            "preflight_google_ads",
            "PRE-CUSTOMER",
            "customer 1234567890",
            "warning",
            True,
            "OK: Thinline US (USD)",
        ),
    ]


def test_the_summary_shows_preflight_warnings_and_skipped_units(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from thinline.cli import print_summary
    from thinline.state import RunSummary, StateFolder

    summary = RunSummary(
        run_id="manual__1",
        window_start="2026-02-19T00:00:00+00:00",
        window_end="2026-02-20T00:00:00+00:00",
        finished_at="2026-02-20T02:10:00+00:00",
        sources=["google_ads"],
        rows_loaded={"google_ads": {"click_views": 5}},
        skipped={"google_ads": {"click_views": {"click_view serves only the last 90 days": 3}}},
        preflight_warnings=["google_ads    api version   WARN  v25 sunsets on 2027-02-01"],
        checks={"raw": {"passed": 1, "failed": 0, "warnings": 0}},
        published_tables=[],
    )
    folder = StateFolder.of(tmp_path)
    summary.write(folder)
    print_summary(folder, "postgresql://thinline:s3cret@127.0.0.1:5/thinline")
    text = capsys.readouterr().out
    assert "skipped      : raw_google_ads.click_views 3 (click_view serves only" in text
    assert "pre-flight WARN: google_ads api version WARN v25 sunsets on 2027-02-01" in text
    assert "s3cret" not in text
