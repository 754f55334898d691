"""API versions as data: every source's default is live on the day its table was checked, and
the lifecycle check says OK, WARN or FAIL by the listed dates."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from extract.api_versions import WARN_DAYS, ApiVersion, VersionTable, is_versioned, version_table
from extract.preflight import Level
from extract.registry import source_names
from thinline.settings import Settings

VERSIONED = [source for source in source_names() if is_versioned(source)]


@pytest.mark.parametrize("source", VERSIONED)
def test_no_default_is_past_its_sunset_on_the_checked_on_date(source: str) -> None:
    table = version_table(source)
    default = str(getattr(Settings().source_settings(source), table.setting))
    listed = table.find(default)
    assert listed is not None, f"{source}: default {default} is not in its versions.toml"
    assert listed.stable and listed.released <= table.checked_on
    assert listed.sunset is None or listed.sunset > table.checked_on, (
        f"{source}: default {default} was sunset on {listed.sunset}"
    )
    # the default is the newest stable one the table knows
    assert all(v.released <= listed.released for v in table.versions if v.stable)
    assert table.check(default, table.checked_on).level is not Level.FAIL


@pytest.mark.parametrize("source", VERSIONED)
def test_every_listed_version_cites_where_its_dates_came_from(source: str) -> None:
    table = version_table(source)
    assert table.docs.startswith("https://")
    for item in table.versions:
        assert item.source.startswith("https://"), f"{source} {item.version}: no source URL"
        assert item.sunset is None or item.sunset > item.released


TABLE = VersionTable(
    source="google_ads",
    setting="api_version",
    docs="https://example.test/versions",
    checked_on=date(2026, 12, 5),
    versions=(
        ApiVersion("v21", date(2025, 6, 1), date(2026, 8, 5), True, "https://example.test/21"),
        ApiVersion("v25", date(2026, 7, 22), date(2027, 2, 1), True, "https://example.test/25"),
        ApiVersion("v26", date(2026, 10, 14), None, True, "https://example.test/26"),
        ApiVersion("v27", date(2027, 1, 20), None, False, "https://example.test/27"),
    ),
)


def test_a_sunset_version_fails_naming_the_setting_and_the_newest_version() -> None:
    check = TABLE.check("v21", date(2026, 12, 5))
    assert check.level is Level.FAIL
    assert "2026-08-05" in check.detail
    assert "THINLINE_GOOGLE_ADS__API_VERSION" in check.fix and "v26" in check.fix


def test_a_version_near_its_sunset_warns_and_a_live_one_is_ok() -> None:
    sunset = date(2027, 2, 1)
    assert TABLE.check("v25", sunset - timedelta(days=WARN_DAYS)).level is Level.WARN
    assert TABLE.check("v25", sunset - timedelta(days=WARN_DAYS + 1)).level is Level.OK
    assert TABLE.check("v25", sunset).level is Level.FAIL
    assert TABLE.check("v26", date(2026, 12, 5)).level is Level.OK


def test_unknown_and_unreleased_versions_warn_and_betas_are_never_the_default() -> None:
    assert TABLE.check("v99", date(2026, 12, 5)).level is Level.WARN
    assert TABLE.check("v27", date(2026, 12, 5)).level is Level.WARN
    assert TABLE.newest_stable(date(2027, 6, 1)).version == "v26"


def test_the_readme_table_shows_every_default_and_its_sunset() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    rows = {
        cells[1].strip("`"): cells
        for line in readme.splitlines()
        if line.startswith("| ") and "__" in line
        for cells in [[cell.strip() for cell in line.strip("|").split("|")]]
        if len(cells) == 5 and cells[1].startswith("`THINLINE_")
    }
    for source in VERSIONED:
        table = version_table(source)
        default = table.find(str(getattr(Settings().source_settings(source), table.setting)))
        assert default is not None
        cells = rows[table.env_name]
        assert cells[2].startswith(f"`{default.version}`"), cells
        sunset = str(default.sunset) if default.sunset else "none announced"
        assert cells[3].startswith(sunset), cells


def test_only_the_keyless_unversioned_ecb_has_no_version_table() -> None:
    assert set(source_names()) - set(VERSIONED) == {"ecb"}
