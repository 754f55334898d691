"""The Markov benchmark's world, small: the transition counts the dbt model makes equal those
counted in Python from the paths handed to ChannelAttribution (written by other SQL: one
ordered string per journey), so both sides of the benchmark see the same journeys."""

from __future__ import annotations

import csv
from collections import Counter
from itertools import pairwise
from pathlib import Path

import psycopg
import pytest

from bench import markov
from thinline.dbt import run_dbt

Transition = tuple[str | None, str | None, bool]


def counted_from_paths(paths_csv: Path) -> Counter[Transition]:
    """start -> first, each pair, last -> conversion / null: from the peer's path strings."""
    counts: Counter[Transition] = Counter()
    with paths_csv.open() as rows:
        for row in csv.DictReader(rows):
            channels = row["path"].split(">")
            converted, lost = int(row["total_conversions"]), int(row["total_null"])
            journeys = converted + lost
            counts[(None, channels[0], False)] += journeys
            for origin, target in pairwise(channels):
                counts[(origin, target, False)] += journeys
            counts[(channels[-1], None, True)] += converted
            counts[(channels[-1], None, False)] += lost
    return +counts  # without the zero counts


def test_model_counts_what_the_peer_is_given(
    fresh_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(markov, "CONTACTS", 3_000)
    inputs = markov.load_inputs(fresh_database)
    assert inputs["conversions"] > 1_000  # most converting contacts convert
    run_dbt(["run", "--select", *markov.MARKOV_MODELS], fresh_database)

    paths, shape = markov.peer_paths(fresh_database, tmp_path)
    assert shape["non_converting_journeys"] > 300  # the recent contacts that never converted
    assert shape["converting_journeys"] == inputs["conversions"]
    with psycopg.connect(fresh_database) as conn:
        rows = conn.execute(
            "select from_channel, to_channel, is_converted, transition_count "
            "from intermediate.int_attribution_markov_transitions where conversion_type = 'lead'"
        ).fetchall()
    expected = counted_from_paths(paths)
    assert {(row[0], row[1], row[2]): row[3] for row in rows} == expected
    assert set(markov.thinline_effects(fresh_database)) == {
        channel for (_, channel, _) in expected if channel
    }


def test_nights_are_a_day_of_changes_and_equal_a_full_refresh(
    fresh_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(markov, "CONTACTS", 3_000)
    monkeypatch.setattr(markov, "NIGHTS", 2)
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path))
    markov.load_inputs(fresh_database)
    run_dbt(["run", "--select", *markov.MARKOV_MODELS], fresh_database)
    before = markov.journey_count(fresh_database)

    nightly = markov.timed_nights(fresh_database, tmp_path)
    assert nightly["incremental_equals_full_refresh"]
    assert [night["new_conversions"] > 0 for night in nightly["nights"]] == [True, True]
    # each night: the new contacts' touches and the returning and late ones
    assert all(night["new_touches"] > 100 for night in nightly["nights"])
    assert set(nightly["nights"][0]["models_s"]) >= set(markov.MARKOV_MODELS)
    assert markov.journey_count(fresh_database) > before
