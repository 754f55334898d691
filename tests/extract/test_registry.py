"""The registry of sources (extract/registry.py) and what reads it without a list of its own:
the README's settings table, dbt's staging folders and the shared OAuth token."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from extract.base import ConfigError
from extract.oauth import AccessToken
from extract.registry import expand, manifest, manifests, source_names

ROOT = Path(__file__).resolve().parent.parent.parent
STAGING = ROOT / "dbt_project" / "models" / "staging"


def test_every_folder_of_extract_is_a_source_with_a_matching_manifest() -> None:
    folders = sorted(path.parent.name for path in (ROOT / "extract").glob("*/__init__.py"))
    assert list(source_names()) == folders
    for found in manifests():
        assert found.settings.source == found.name
        assert found.stand_in is not None  # every real source has one


@pytest.mark.parametrize("source", list(source_names()))
def test_a_source_lists_its_streams_without_settings(source: str) -> None:
    """The raw tables' DDL and the benchmarks list every source's streams with no credentials
    or accounts set: a stream reads its settings when it is fetched (a Microsoft Advertising
    stream that parsed its account ids up front stopped the benchmarks)."""
    found = manifest(source)
    streams = found.build_streams(found.settings.model_construct())
    assert streams and all(stream.key_columns for stream in streams)


def test_all_expands_to_every_source_and_an_unknown_name_is_one_line() -> None:
    assert expand("all") == list(source_names())
    assert expand(" hubspot, meta_ads ,") == ["hubspot", "meta_ads"]
    with pytest.raises(ConfigError, match=r"^unknown source 'hubsopt' \(known: ecb, google_ads, "):
        manifest("hubsopt")


def test_the_readme_names_every_source_in_the_sources_setting() -> None:
    row = next(
        line
        for line in (ROOT / "README.md").read_text().splitlines()
        if line.startswith("| `THINLINE_SOURCES` |")
    )
    assert set(re.findall(r"`(\w+)`", row.split("today", 1)[1].split(";")[0])) == set(
        source_names()
    )


def test_every_staging_model_is_enabled_by_its_own_source() -> None:
    folders = sorted(path.name for path in STAGING.iterdir() if path.is_dir())
    assert folders == list(source_names())
    for model in STAGING.glob("*/*.sql"):
        first = model.read_text().splitlines()[0]
        assert first == f"{{{{ config(enabled=source_enabled('{model.parent.name}')) }}}}", model


def test_a_granted_token_expires_a_minute_early_and_one_without_expiry_does_not() -> None:
    token = AccessToken()
    assert not token.fresh() and token.bearer() == {"Authorization": "Bearer "}
    token.grant({"access_token": "a", "expires_in": 3599, "scope": "x"})
    assert token.fresh() and token.granted["scope"] == "x"
    token.grant({"access_token": "b", "expires_in": 30})  # under a minute left: renew now
    assert not token.fresh() and token.bearer() == {"Authorization": "Bearer b"}
    token.grant({"access_token": "c"})
    assert token.fresh()
    assert AccessToken("given").fresh()
