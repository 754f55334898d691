"""The demo company lives on (thinline/demo.py): anchored to its first day, served as of the
latest day it has reached, refused when the settings ask for another company."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from extract.base import ConfigError
from sandbox import WorldConfig, build_world
from thinline.demo import demo_sources

DAY = date(2026, 3, 10)
NEXT_DAY = DAY + timedelta(days=1)
KINDS = ("companies", "deals", "contacts")
OBJECTS = "/crm/objects/2026-09"  # HubSpot's date-versioned path, live on the real today


def demo_settings(home: Path, **overrides: Any) -> SimpleNamespace:
    values = {"demo_seed": 7, "demo_scale": 0.5, "demo_history_days": 30} | overrides
    return SimpleNamespace(home=home, **values)


def served(settings: SimpleNamespace, day: date) -> dict[str, dict[str, dict]]:
    """Every HubSpot company, deal and contact (live and archived) the stand-ins serve to a
    demo run of ``day``, by kind and id."""
    with demo_sources(settings, day, lambda line: None) as env:
        headers = {"Authorization": f"Bearer {env['THINLINE_HUBSPOT__TOKEN']}"}
        with httpx.Client(base_url=env["THINLINE_HUBSPOT__BASE_URL"], headers=headers) as client:
            return {kind: list_records(client, kind) for kind in KINDS}


def list_records(client: httpx.Client, kind: str) -> dict[str, dict]:
    records: dict[str, dict] = {}
    for archived in ("false", "true"):
        after = None
        while True:
            params = {"limit": 100, "archived": archived, **({"after": after} if after else {})}
            page = client.get(f"{OBJECTS}/{kind}", params=params)
            assert page.status_code == 200, page.text
            body = page.json()
            records |= {record["id"]: record for record in body["results"]}
            if "paging" not in body:
                break
            after = body["paging"]["next"]["after"]
    return records


def truth_config(home: Path) -> dict[str, Any]:
    return json.loads((home / "demo" / "truth.json").read_text())["config"]


def test_the_next_day_keeps_every_record_planned_before_it(tmp_path: Path) -> None:
    settings = demo_settings(tmp_path)
    first, second = served(settings, DAY), served(settings, NEXT_DAY)
    for kind in KINDS:
        assert first[kind], f"the company has {kind}"
        kept = {
            record_id: record["createdAt"]
            for record_id, record in second[kind].items()
            if record_id in first[kind]
        }
        created = {record_id: record["createdAt"] for record_id, record in first[kind].items()}
        assert kept == created, f"{len(kept)} of {len(created)} {kind} kept"
        assert len(second[kind]) >= len(first[kind])
    assert truth_config(tmp_path)["start"] == (DAY - timedelta(days=30)).isoformat()


def test_rerunning_an_older_day_serves_the_latest_state(tmp_path: Path) -> None:
    settings = demo_settings(tmp_path)
    latest = served(settings, NEXT_DAY)
    assert served(settings, DAY) == latest  # no rollback to the older day's state
    assert truth_config(tmp_path)["end"] == NEXT_DAY.isoformat()
    company = json.loads((tmp_path / "demo" / "company.json").read_text())
    assert company["reached"] == NEXT_DAY.isoformat()


def test_the_history_setting_counts_on_the_first_run_only(tmp_path: Path) -> None:
    served(demo_settings(tmp_path), DAY)
    served(demo_settings(tmp_path, demo_history_days=5), NEXT_DAY)
    assert truth_config(tmp_path)["start"] == (DAY - timedelta(days=30)).isoformat()


@pytest.mark.parametrize("other", [{"demo_seed": 8}, {"demo_scale": 1.0}])
def test_another_seed_or_scale_is_refused_with_the_way_to_a_new_company(
    tmp_path: Path, other: dict[str, Any]
) -> None:
    served(demo_settings(tmp_path), DAY)
    with pytest.raises(ConfigError) as refused:
        served(demo_settings(tmp_path, **other), NEXT_DAY)
    message = str(refused.value)
    assert "has seed 7 and scale 0.5" in message and "THINLINE_HOME" in message
    assert "\n" not in message
    assert truth_config(tmp_path)["end"] == DAY.isoformat(), "nothing served, nothing moved"


@pytest.mark.parametrize(
    "content",
    [
        "{",
        "",
        "[]",
        '"abc"',
        '{"seed": 7}',
        '{"seed": 7, "scale": -1, "start": "2026-02-01", "reached": "2026-03-10"}',
        '{"seed": 7, "scale": 0.5, "start": "2026-03-10", "reached": "2026-02-01"}',
        '{"seed": true, "scale": 0.5, "start": "2026-02-01", "reached": "2026-03-10"}',
    ],
)
def test_a_damaged_company_file_is_one_error_line(tmp_path: Path, content: str) -> None:
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "company.json").write_text(content)
    with pytest.raises(ConfigError) as refused:
        served(demo_settings(tmp_path), DAY)
    message = str(refused.value)
    assert message.startswith(f"demo company file {tmp_path / 'demo' / 'company.json'}")
    assert "THINLINE_HOME" in message and "\n" not in message


def test_a_state_folder_from_before_anchoring_continues_its_company(tmp_path: Path) -> None:
    """Before company.json, truth.json recorded the company each run served."""
    start = DAY - timedelta(days=12)
    old = build_world(WorldConfig(seed=7, scale=0.5, start=start, end=DAY))
    (tmp_path / "demo").mkdir()
    old.write_truth(tmp_path / "demo" / "truth.json")
    served(demo_settings(tmp_path), NEXT_DAY)
    assert truth_config(tmp_path) | {"end": None} == {
        "seed": 7,
        "scale": 0.5,
        "start": start.isoformat(),
        "end": None,
    }


def test_a_served_company_follows_the_calendar_from_the_same_addresses(tmp_path: Path) -> None:
    """`thinline airflow --demo` stays up for nights: when a day ends, the stand-ins answer with
    the company one day on, at the same addresses and credentials."""
    from sandbox import serve
    from thinline.demo import DayFollower, read_company

    settings = demo_settings(tmp_path)
    lines: list[str] = []
    with demo_sources(settings, DAY, lines.append):
        company = read_company(tmp_path / "demo")
        assert company is not None and company.reached == DAY
    config = WorldConfig(company.seed, company.scale, company.start, DAY)
    with serve(build_world(config)) as sources:
        follower = DayFollower(tmp_path / "demo", company, sources, lines.append)
        headers = {"Authorization": f"Bearer {sources.env['THINLINE_HUBSPOT__TOKEN']}"}
        base = sources.env["THINLINE_HUBSPOT__BASE_URL"]
        with httpx.Client(base_url=base, headers=headers) as client:
            before = list_records(client, "contacts")
            assert not follower.follow(DAY)  # the day served: nothing to do
            assert follower.follow(NEXT_DAY)
            after = list_records(client, "contacts")  # same address, same token
        assert sources.env["THINLINE_HUBSPOT__BASE_URL"] == base  # settings unchanged
    expected = build_world(replace(config, end=NEXT_DAY)).hubspot.contacts
    assert set(after) == {str(contact.object_id) for contact in expected}
    assert set(before) < set(after)  # a day more of the company, nothing taken back
    assert read_company(tmp_path / "demo").reached == NEXT_DAY
    assert truth_config(tmp_path)["end"] == NEXT_DAY.isoformat()
    assert lines[-1] == f"demo sources: the synthetic company moved on to {NEXT_DAY}"
