"""The ECB connector against the sandbox's ECB stand-in (EXR, SDMX-CSV): rates land exactly as
published, days without rates are no error, a first load reaches back for the rate in force,
restated days replace, and the doctor names a currency the ECB does not publish."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import psycopg
import pytest

from extract.base import ConfigError, SourceError, Stream, Window, midnight
from extract.ecb import EcbSettings, build_connector
from extract.ecb.client import EcbClient
from extract.loader import ensure_ops, load_stream
from extract.preflight import Level
from extract.runner import read_window
from sandbox import Faults, World, WorldConfig, build_world
from sandbox.ecb_rates import published
from sandbox.ecb_server import EcbServer
from sandbox.http import Request, Response, StandInServer
from thinline.doctor import source_checks

WORLD_END = date(2026, 3, 31)
BASE_WORLD = build_world(WorldConfig(seed=7, scale=0.2, end=date(2026, 1, 10)))


@contextmanager
def stand_in(world: World, **server_args: Any) -> Iterator[EcbServer]:
    with EcbServer(world, **server_args) as server:
        yield server


def settings_for(server: EcbServer, **overrides: Any) -> EcbSettings:
    return EcbSettings(base_url=server.env()["THINLINE_ECB__BASE_URL"], **overrides)


def rates_stream(settings: EcbSettings, sleep: Any) -> Stream:
    (stream,) = build_connector(settings, sleep=sleep).streams()
    return stream


def days(first: date, last: date) -> Window:
    return Window(midnight(first), midnight(last + timedelta(days=1)))


def test_rates_land_exactly_as_the_ecb_published_them(world, sleeps) -> None:
    window = days(date(2026, 1, 1), date(2026, 1, 31))
    with stand_in(world) as server:
        rows = list(rates_stream(settings_for(server), sleeps).fetch(window))
    expected = {
        (o.currency, o.day): o.value for o in published(date(2026, 1, 1), date(2026, 1, 31))
    }
    got = {row.keys: row.record["OBS_VALUE"] for row in rows}
    assert got == expected  # every currency, every TARGET day, the ECB's own strings
    assert got["USD", date(2026, 1, 2)] == "1.1721"  # the ECB's first rate of 2026, verbatim
    assert len({currency for currency, _ in got}) >= 28
    assert not any(day in (date(2026, 1, 1), date(2026, 1, 3)) for _, day in got)  # holiday, Sat
    assert {row.record["KEY"] for row in rows if row.keys[0] == "GBP"} == {"EXR.D.GBP.EUR.SP00.A"}


def test_currencies_narrow_the_key_and_a_weekend_is_no_error(world, sleeps) -> None:
    with stand_in(world) as server:
        settings = settings_for(server, currencies=" usd, GBP ,eur")
        assert settings.series_key() == "D.USD+GBP.EUR.SP00.A"  # the euro is never asked
        stream = rates_stream(settings, sleeps)
        rows = list(stream.fetch(days(date(2026, 2, 2), date(2026, 2, 6))))
        weekend = list(stream.fetch(days(date(2026, 2, 7), date(2026, 2, 8))))
        statuses = [r.status for r in server.requests]
    assert sorted({row.keys[0] for row in rows}) == ["GBP", "USD"] and len(rows) == 10
    assert weekend == [] and statuses[-1] == 404  # the ECB's "No results found"
    with pytest.raises(ConfigError, match="THINLINE_ECB__CURRENCIES must list ISO 4217"):
        EcbSettings(currencies="USD,dollar").series_key()


def test_server_errors_are_retried_and_a_bad_request_names_the_settings(world, sleeps) -> None:
    window = days(date(2026, 3, 2), date(2026, 3, 6))
    with stand_in(world, faults=Faults(server_errors=2)) as server:
        rows = list(rates_stream(settings_for(server, currencies="USD"), sleeps).fetch(window))
    assert [row.record["OBS_VALUE"] for row in rows] == [
        o.value for o in published(date(2026, 3, 2), date(2026, 3, 6), ["USD"])
    ]
    assert len(sleeps) == 2  # a 503 page and an empty 500, each waited out once
    sleeps.clear()
    refused = pytest.raises(SourceError, match=r"^ecb: 400 .*THINLINE_ECB__BASE_URL")
    with stand_in(world) as server, EcbClient(settings_for(server), sleep=sleeps) as api, refused:
        api.observations(startPeriod="2026-13-01")  # month 13: the ECB refuses it, no retry
    assert sleeps == []


class LoginPage(StandInServer):
    """A proxy in front of the API that answers every call with its login page (HTTP 200)."""

    def route(self, request: Request) -> Response:
        return Response(200, b"<html><body>Sign in</body></html>", {"Content-Type": "text/html"})


def test_an_answer_that_is_not_sdmx_csv_is_refused(sleeps) -> None:
    with LoginPage() as proxy:
        settings = EcbSettings(base_url=proxy.url)
        with pytest.raises(SourceError, match="not SDMX-CSV — check THINLINE_ECB__BASE_URL"):
            list(rates_stream(settings, sleeps).fetch(days(date(2026, 3, 2), WORLD_END)))


def test_the_doctor_names_a_currency_the_ecb_does_not_publish(world) -> None:
    with stand_in(world) as server:
        ok = source_checks("ecb", settings_for(server, currencies="USD,GBP"), WORLD_END)
        unknown = source_checks("ecb", settings_for(server, currencies="USD,XAU"), WORLD_END)
        nothing = source_checks("ecb", settings_for(server, currencies="XAU"), WORLD_END)
        wrong_url = source_checks("ecb", EcbSettings(base_url=server.url), WORLD_END)
    assert [(c.name, c.level) for c in ok] == [
        ("credentials", Level.OK),
        ("reference rates", Level.OK),
    ]
    assert "2 currencies against the euro, newest rate 2026-03-31" in ok[-1].detail
    assert unknown[-1].level is Level.FAIL and "no daily rate for XAU" in unknown[-1].detail
    assert "THINLINE_ECB__CURRENCIES" in unknown[-1].fix
    assert nothing[-1].level is Level.FAIL and wrong_url[-1].level is Level.FAIL


def calendar(config: WorldConfig) -> World:
    """A world with ``config``'s calendar: the ECB stand-in reads nothing else of a world."""
    return dataclasses.replace(BASE_WORLD, config=config)


def load(url: str, world: World, interval: Window, sleeps: Any) -> Window:
    """What the runner does: read from the watermark minus the lookback, or on a first load
    from the earlier of the run's history start (here 2026-01-05) and the stream's own."""
    with stand_in(world) as server, psycopg.connect(url, autocommit=True) as conn:
        ensure_ops(conn)
        stream = rates_stream(settings_for(server, currencies="USD,JPY"), sleeps)
        row = conn.execute("select watermark from ops.watermarks where source = 'ecb'").fetchone()
        window = read_window(stream, row[0] if row else None, interval, date(2026, 1, 5))
        load_stream(conn, "ecb", stream, window, uuid.uuid4().hex)
    return window


def test_first_load_reaches_back_and_nights_replace_restated_days(fresh_database, sleeps) -> None:
    early = WorldConfig(start=date(2026, 1, 5), end=date(2026, 2, 13))
    first = load(fresh_database, calendar(early), days(date(2026, 1, 5), early.end), sleeps)
    # the first load reads from THINLINE_ECB__HISTORY_START, ten days before dbt's calendar
    # starts: facts converted long before the other sources' history start need their rates
    assert first.start == midnight(date(2023, 12, 22))
    stream = rates_stream(EcbSettings(), sleeps)
    earlier = read_window(stream, None, days(date(2026, 1, 5), early.end), date(2023, 1, 2))
    assert earlier.start == midnight(date(2023, 1, 2))  # an earlier THINLINE_START_DATE wins
    later = dataclasses.replace(early, end=date(2026, 2, 20))
    second = load(fresh_database, calendar(later), days(date(2026, 2, 14), later.end), sleeps)
    assert second.start == midnight(date(2026, 2, 9))  # five days re-read

    with psycopg.connect(fresh_database) as conn:
        loaded = conn.execute(
            "select currency_code, rate_date, record->>'OBS_VALUE' from raw_ecb.reference_rates"
        ).fetchall()
    expected = published(date(2023, 12, 22), date(2026, 2, 20), ["USD", "JPY"])
    assert sorted(loaded) == sorted((o.currency, o.day, o.value) for o in expected)
    assert len(loaded) == len({(c, d) for c, d, _ in loaded})  # re-read days not doubled
    assert min(d for _, d, _ in loaded) == date(2023, 12, 22)
