"""The ECB stand-in: the EXR dataflow as SDMX-CSV, its key syntax and statuses, the real rate
history as the ECB wrote it, and the marked synthetic days after it."""

from __future__ import annotations

import csv
import dataclasses
import io
import itertools
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import httpx
import pytest

from sandbox import Faults, World, WorldConfig
from sandbox.ecb_rates import DATA, SYNTHETIC_COMMENT, history
from sandbox.ecb_server import EcbServer

FULL_COLUMNS = [
    "KEY", "FREQ", "CURRENCY", "CURRENCY_DENOM", "EXR_TYPE", "EXR_SUFFIX", "TIME_PERIOD",
    "OBS_VALUE", "OBS_STATUS", "OBS_CONF", "OBS_PRE_BREAK", "OBS_COM", "TIME_FORMAT", "BREAKS",
    "COLLECTION", "COMPILING_ORG", "DISS_ORG", "DOM_SER_IDS", "PUBL_ECB", "PUBL_MU",
    "PUBL_PUBLIC", "UNIT_INDEX_BASE", "COMPILATION", "COVERAGE", "DECIMALS", "NAT_TITLE",
    "SOURCE_AGENCY", "SOURCE_PUB", "TITLE", "TITLE_COMPL", "UNIT", "UNIT_MULT",
]  # fmt: skip
DATAONLY_COLUMNS = FULL_COLUMNS[:8]
LAST_REAL_DAY = date(2026, 10, 30)


def later(world: World, end: date) -> World:
    """The same company served as of ``end``: the stand-in only reads the world's calendar."""
    return dataclasses.replace(world, config=WorldConfig(start=world.config.start, end=end))


def get(
    client: httpx.Client,
    key: str = "D.USD.EUR.SP00.A",
    headers: dict[str, str] | None = None,
    **params: str,
) -> httpx.Response:
    """An extractor's call: ``format=csvdata`` unless ``params`` says otherwise."""
    params = {"format": "csvdata", **params}
    return client.get(f"/service/data/EXR/{key}", params=params, headers=headers)


def rows(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.text)))


def header(response: httpx.Response) -> list[str]:
    return next(csv.reader(io.StringIO(response.text)))


@pytest.fixture(scope="module")
def ecb(world: World) -> Iterator[httpx.Client]:
    with EcbServer(world) as server, httpx.Client(base_url=server.url) as client:
        yield client


def test_env_points_at_the_service_root(world: World) -> None:
    with EcbServer(world) as server:
        assert server.env() == {"THINLINE_ECB__BASE_URL": f"{server.url}/service"}


def test_a_real_rate_is_served_as_the_ecb_wrote_it(ecb: httpx.Client) -> None:
    response = get(ecb, startPeriod="2026-01-02", endPeriod="2026-01-02")
    (row,) = rows(response)
    assert header(response) == FULL_COLUMNS
    assert row["OBS_VALUE"] == "1.1721"  # data/ecb_eurofxref.csv, USD on 2026-01-02
    assert row["KEY"] == "EXR.D.USD.EUR.SP00.A" and row["TIME_PERIOD"] == "2026-01-02"
    assert (row["FREQ"], row["CURRENCY"], row["CURRENCY_DENOM"]) == ("D", "USD", "EUR")
    assert (row["OBS_STATUS"], row["OBS_CONF"], row["OBS_COM"]) == ("A", "F", "")
    assert (row["TIME_FORMAT"], row["COLLECTION"], row["DECIMALS"]) == ("P1D", "A", "4")
    assert (row["UNIT"], row["UNIT_MULT"], row["SOURCE_AGENCY"]) == ("USD", "0", "4F0")
    assert row["TITLE"] == "US dollar/Euro ECB reference exchange rate"
    # RFC 4180: the title complement holds commas, so it is quoted; lines end in CRLF
    quoted = '"ECB reference exchange rate, US dollar/Euro, 2.15 pm (C.E.T.)"'
    assert quoted in response.text and response.text.endswith("\r\n")
    assert "text/csv" in response.headers["content-type"]


def test_every_currency_of_a_day_matches_the_data_file(ecb: httpx.Client) -> None:
    with DATA.open(newline="") as handle:
        shipped = next(r for r in csv.DictReader(handle) if r["Date"] == "2025-06-16")
    served = rows(get(ecb, "D..EUR.SP00.A", startPeriod="2025-06-16", endPeriod="2025-06-16"))
    assert {r["CURRENCY"]: r["OBS_VALUE"] for r in served} == {
        code: value for code, value in shipped.items() if code != "Date" and value != "N/A"
    }
    assert [r["CURRENCY"] for r in served] == sorted(r["CURRENCY"] for r in served)
    gbp = next(r for r in served if r["CURRENCY"] == "GBP")
    assert gbp["DECIMALS"] == "5" and gbp["TITLE"].startswith("UK pound sterling/Euro")


@pytest.mark.parametrize(
    "first, last",
    [("2026-01-10", "2026-01-11"), ("2026-04-03", "2026-04-06")],  # a weekend; Easter
)
def test_a_range_without_a_business_day_is_404(ecb: httpx.Client, first: str, last: str) -> None:
    response = get(ecb, startPeriod=first, endPeriod=last)
    assert response.status_code == 404
    assert response.json()["detail"] == "No results found."


@pytest.mark.parametrize(
    "key, params",
    [
        ("D.USD.EUR.SP00", {}),  # four dimensions
        ("D.USD.EUR.SP00.A.X", {}),
        ("D.US$.EUR.SP00.A", {}),
        ("D.USD++GBP.EUR.SP00.A", {}),
        ("D.USD.EUR.SP00.A", {"startPeriod": "2026-13-01"}),
        ("D.USD.EUR.SP00.A", {"endPeriod": "02/01/2026"}),
        ("D.USD.EUR.SP00.A", {"startPeriod": "2026-02-01", "endPeriod": "2026-01-01"}),
        ("D.USD.EUR.SP00.A", {"detail": "everything"}),
        ("D.USD.EUR.SP00.A", {"lastNObservations": "0"}),
    ],
)
def test_syntax_errors_are_400(ecb: httpx.Client, key: str, params: dict[str, str]) -> None:
    response = get(ecb, key, **params)
    assert response.status_code == 400, response.text
    assert response.json()["status"] == 400


@pytest.mark.parametrize(
    "key", ["D.XYZ.EUR.SP00.A", "M.USD.EUR.SP00.A", "D.USD.USD.SP00.A", "D.USD.EUR.EN00.A"]
)
def test_a_valid_key_matching_no_series_is_404(ecb: httpx.Client, key: str) -> None:
    assert get(ecb, key, lastNObservations="1").status_code == 404


def test_wildcard_and_or_keys(ecb: httpx.Client) -> None:
    day = {"startPeriod": "2026-03-02", "endPeriod": "2026-03-02"}
    everyone = {r["CURRENCY"] for r in rows(get(ecb, "D..EUR.SP00.A", **day))}
    assert len(everyone) == 29 and "BGN" not in everyone  # Bulgaria uses the euro since 2026
    assert {r["CURRENCY"] for r in rows(get(ecb, "..EUR..", **day))} == everyone
    pair = rows(get(ecb, "D.USD+GBP.EUR.SP00.A", **day))
    assert [r["CURRENCY"] for r in pair] == ["GBP", "USD"]  # by series
    # the same key with + percent-encoded in the path
    assert rows(get(ecb, "D.USD%2BGBP.EUR.SP00.A", **day)) == pair


def test_periods_are_inclusive(ecb: httpx.Client) -> None:
    week = rows(get(ecb, startPeriod="2026-01-05", endPeriod="2026-01-09"))
    assert [r["TIME_PERIOD"] for r in week] == [f"2026-01-0{d}" for d in range(5, 10)]
    february = rows(get(ecb, startPeriod="2026-02", endPeriod="2026-02"))
    assert len(february) == 20 and february[-1]["TIME_PERIOD"] == "2026-02-27"


def test_nothing_after_the_world_end(ecb: httpx.Client, world: World) -> None:
    assert world.config.end == date(2026, 3, 31)
    served = rows(get(ecb, startPeriod="2026-03-25", endPeriod="2026-12-31"))
    assert served[-1]["TIME_PERIOD"] == "2026-03-31"
    (newest,) = rows(get(ecb, lastNObservations="1"))
    assert newest["TIME_PERIOD"] == "2026-03-31"
    assert get(ecb, startPeriod="2026-04-01").status_code == 404


def test_first_and_last_n_observations_are_per_series(ecb: httpx.Client) -> None:
    window = {"startPeriod": "2026-01-01", "endPeriod": "2026-01-31"}
    last = rows(get(ecb, "D.USD+JPY.EUR.SP00.A", lastNObservations="2", **window))
    assert [(r["CURRENCY"], r["TIME_PERIOD"]) for r in last] == [
        ("JPY", "2026-01-29"),
        ("JPY", "2026-01-30"),
        ("USD", "2026-01-29"),
        ("USD", "2026-01-30"),
    ]
    first = rows(get(ecb, "D.USD.EUR.SP00.A", firstNObservations="1", **window))
    assert [r["TIME_PERIOD"] for r in first] == ["2026-01-02"]  # 1 January is a holiday


def test_detail_dataonly_and_series_only(ecb: httpx.Client) -> None:
    day = {"startPeriod": "2026-03-02", "endPeriod": "2026-03-03"}
    dataonly = get(ecb, detail="dataonly", **day)
    assert header(dataonly) == DATAONLY_COLUMNS
    assert [r["OBS_VALUE"] for r in rows(dataonly)] == [
        r["OBS_VALUE"] for r in rows(get(ecb, **day))
    ]
    keys = get(ecb, "D.USD+JPY.EUR.SP00.A", detail="serieskeysonly", **day)
    assert [r["KEY"] for r in rows(keys)] == ["EXR.D.JPY.EUR.SP00.A", "EXR.D.USD.EUR.SP00.A"]


def test_representations_other_than_csv_are_406(ecb: httpx.Client) -> None:
    day = {"startPeriod": "2026-03-02", "endPeriod": "2026-03-02"}
    as_json = get(ecb, **day, format="jsondata")
    assert as_json.status_code == 406 and "csvdata only" in as_json.json()["detail"]
    assert get(ecb, **day, format="yaml").status_code == 406
    path = "/service/data/EXR/D.USD.EUR.SP00.A"
    assert ecb.get(path, params=day).status_code == 406  # no format: the ECB would send SDMX-ML
    (row,) = rows(ecb.get(path, params=day, headers={"Accept": "text/csv"}))
    assert row["TIME_PERIOD"] == "2026-03-02"


def test_synthetic_days_follow_the_history_marked_and_repeatable(world: World) -> None:
    december = later(world, date(2026, 12, 31))
    window = {"startPeriod": "2026-10-26", "endPeriod": "2026-12-31"}
    bodies = []
    for _ in range(2):  # two servers, built apart, serve the same invented rates
        with EcbServer(december) as server, httpx.Client(base_url=server.url) as client:
            bodies.append(get(client, "D.USD+JPY.EUR.SP00.A", **window))
    assert bodies[0].text == bodies[1].text
    served = rows(bodies[0])
    usd = [r for r in served if r["CURRENCY"] == "USD"]
    days = [date.fromisoformat(r["TIME_PERIOD"]) for r in usd]
    # Mon 26 Oct to Thu 31 Dec: 49 weekdays, less Christmas (a Friday; the 26th is a Saturday)
    assert len(days) == 48 and all(day.weekday() < 5 for day in days)
    assert date(2026, 12, 25) not in days and {date(2026, 12, 24), date(2026, 12, 28)} <= set(days)
    assert days[days.index(LAST_REAL_DAY) + 1] == date(2026, 11, 2)  # Monday after the history
    assert days[-1] == date(2026, 12, 31)
    for row, day in zip(usd, days, strict=True):
        assert row["OBS_COM"] == (SYNTHETIC_COMMENT if day > LAST_REAL_DAY else "")
    walk = [Decimal(r["OBS_VALUE"]) for r in usd if r["TIME_PERIOD"] >= LAST_REAL_DAY.isoformat()]
    assert walk[0] == Decimal("1.1172")  # the last real rate is where the walk starts
    assert all(-value.as_tuple().exponent <= 4 for value in walk)  # USD's four places
    assert all(abs(b / a - 1) <= Decimal("0.0031") for a, b in itertools.pairwise(walk))
    assert len(set(walk)) > 10  # it moves
    jpy = [r for r in served if r["CURRENCY"] == "JPY" and r["OBS_COM"]]
    assert len(jpy) == 43 and all(-Decimal(r["OBS_VALUE"]).as_tuple().exponent <= 2 for r in jpy)


def test_last_published_stops_the_series(world: World) -> None:
    stopped = EcbServer(world, last_published=date(2026, 3, 13))  # a Friday; world ends 03-31
    with stopped as server, httpx.Client(base_url=server.url) as client:
        newest = {
            r["CURRENCY"]: r["TIME_PERIOD"]
            for r in rows(get(client, "D..EUR.SP00.A", lastNObservations="1"))
        }
        assert newest.pop("BGN") == "2025-12-31"  # its series ended with the lev
        assert set(newest.values()) == {"2026-03-13"} and len(newest) == 29
        assert get(client, startPeriod="2026-03-14").status_code == 404
        served = rows(get(client, startPeriod="2026-03-09", endPeriod="2026-03-31"))
        assert [r["TIME_PERIOD"] for r in served][-1] == "2026-03-13" and len(served) == 5


def test_updated_after_returns_what_was_published_since(ecb: httpx.Client) -> None:
    # 2026-03-30's rates appear at 16:00 CEST: after 15:00 that day they are new
    since = rows(get(ecb, updatedAfter="2026-03-30T15:00:00+02:00"))
    assert [r["TIME_PERIOD"] for r in since] == ["2026-03-30", "2026-03-31"]
    utc = rows(get(ecb, updatedAfter="2026-03-30T14:30:00Z"))
    assert [r["TIME_PERIOD"] for r in utc] == ["2026-03-31"]
    nothing = get(ecb, updatedAfter="2026-03-31T16:00:00+02:00")
    assert nothing.status_code == 404
    # a + left unencoded arrives as a space: the client's bug, answered 400
    raw = "/service/data/EXR/D.USD.EUR.SP00.A?format=csvdata&updatedAfter=2026-03-30T15:00:00+02:00"
    assert ecb.get(raw).status_code == 400


def test_if_modified_since_gets_304(ecb: httpx.Client) -> None:
    first = get(ecb, lastNObservations="1")
    stamp = first.headers["last-modified"]
    assert stamp == "Tue, 31 Mar 2026 14:00:00 GMT"  # 16:00 CEST on the last day served
    again = get(ecb, headers={"If-Modified-Since": stamp}, lastNObservations="1")
    assert again.status_code == 304 and again.content == b""
    older = {"If-Modified-Since": "Mon, 30 Mar 2026 14:00:00 GMT"}
    assert get(ecb, headers=older, lastNObservations="1").status_code == 200


def test_faults_are_the_ecbs_errors(world: World) -> None:
    faults = Faults(rate_limit=1, retry_after_seconds=3, server_errors=2, expired_tokens=1)
    with EcbServer(world, faults=faults) as server, httpx.Client(base_url=server.url) as client:
        answers = [get(client, lastNObservations="1") for _ in range(5)]
        assert sum(server.faults_fired().values()) == 4
    assert [a.status_code for a in answers] == [429, 500, 503, 200, 200]
    assert answers[0].headers["retry-after"] == "3"
    assert answers[2].text.startswith("<html>")
    assert rows(answers[4])[0]["TIME_PERIOD"] == "2026-03-31"  # no token to expire


def test_a_rolled_world_is_served_from_the_same_address(world: World) -> None:
    with EcbServer(world) as first:
        url = first.url
        rolled = EcbServer(later(world, date(2026, 4, 2))).take_over(first)
        try:
            with httpx.Client(base_url=url) as client:
                (newest,) = rows(get(client, lastNObservations="1"))
            assert newest["TIME_PERIOD"] == "2026-04-02" and rolled.url == url
        finally:
            rolled.stop()


def test_history_facts() -> None:
    known = history()
    assert known.last_day == LAST_REAL_DAY
    assert known.series["USD"][0] == (date(2023, 1, 2), "1.0683")
    assert "BGN" not in known.continued() and len(known.continued()) == 29
