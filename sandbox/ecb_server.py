"""A local ECB Data Portal API: the EXR dataflow's daily euro reference rates as SDMX-CSV.

Wire format per the ECB's pages:
* ``GET /service/data/EXR/{key}?startPeriod=YYYY-MM-DD&endPeriod=YYYY-MM-DD&format=csvdata``,
  also ``updatedAfter``, ``firstNObservations``, ``lastNObservations`` and ``detail``
  (``full|dataonly|serieskeysonly|nodata``) (https://data.ecb.europa.eu/help/api/data). The key
  is ``FREQ.CURRENCY.CURRENCY_DENOM.EXR_TYPE.EXR_SUFFIX``: an empty dimension is a wildcard and
  ``+`` is OR (``D..EUR.SP00.A``, ``D.USD+GBP.EUR.SP00.A``). The stand-in has the daily (``D``)
  spot (``SP00``) average (``A``) series of each currency against ``EUR``; OBS_VALUE is units of
  the currency per euro. Only TARGET business days have observations.
* Statuses (https://data.ecb.europa.eu/help/api/status-codes): 200; 304 when nothing was
  published since ``If-Modified-Since``; 400 for a malformed key or parameter; 404 "No results
  found" when nothing matches, a range of only weekends or holidays included; 406 for a
  representation not served; 501 for ``includeHistory=true``; 500/503 as faults.
* Representation (https://data.ecb.europa.eu/help/api/content-negotiation): the ECB's default is
  SDMX-ML; ``format=csvdata`` or ``Accept: text/csv`` gives CSV. **Stand-in limit**: it serves
  CSV only; ``jsondata``, ``genericdata``, ``structurespecificdata``, the SDMX media types and a
  request naming no representation get 406 "the stand-in serves csvdata only".

Verified, not guessed:
* The columns and their order for ``detail=full``: KEY, the five dimensions, TIME_PERIOD,
  OBS_VALUE, the observation attributes (OBS_STATUS, OBS_CONF, OBS_PRE_BREAK, OBS_COM), then the
  series attributes TIME_FORMAT … UNIT_MULT, as in a recorded ECB answer
  (github.com/OpenBB-finance/OpenBB, openbb_platform/providers/ecb/tests/record/http/
  test_ecb_fetchers/test_ecb_currency_historical_fetcher_urllib3_v2.yaml, recorded 2026-06-24,
  ``detail=full`` as SDMX-JSON: same attributes, same order) and as CSV in several client test
  fixtures. Its values for USD: OBS_STATUS ``A``, OBS_CONF ``F``, TIME_FORMAT ``P1D``, COLLECTION
  ``A``, UNIT_INDEX_BASE ``99Q1=100``, DECIMALS ``4``, SOURCE_AGENCY ``4F0``, TITLE ``US
  dollar/Euro ECB reference exchange rate``, TITLE_COMPL ``ECB reference exchange rate, US
  dollar/Euro, 2.15 pm (C.E.T.)``, UNIT ``USD``, UNIT_MULT ``0``. JPY's TITLE and DECIMALS ``2``
  from live output in github.com/m-muecke/bbk, reference/ecb_data.md.
* ``detail=dataonly``: KEY, the dimensions, TIME_PERIOD, OBS_VALUE (a live answer quoted in
  github.com/openlinker-project/openlinker/pull/2050, 2026-08-14), where ``endPeriod`` on a
  Saturday with ``lastNObservations=1`` answered Friday's rate.
* A 404 body ``{"type", "title": "Not Found", "status": 404, "detail": "No results found.",
  "instance"}`` (github.com/expersso/ecb/issues/7, 2025-05). ``Cache-Control: max-age=30``,
  ``Vary: accept`` and ``Last-Modified`` (the last publication) (beancount/beanprice#82).

[inferred] the other currencies' names (the ECB currency codelist's, e.g. ``UK pound
sterling``) in TITLE/TITLE_COMPL; DECIMALS as the places the ECB publishes a currency with;
series ordered by currency code; CRLF line ends; ``Content-Disposition: attachment;
filename=data.csv`` (data.json is verified for JSON); the wording of 400/406/501 bodies; the
503 as an HTML page and the 500 with an empty body (github.com/sdmx-twg/sdmx-rest/issues/43:
"without any error description"); 429 bodies (the ECB documents no rate limit); a naive
``updatedAfter`` read as UTC. In 2024 a weekend range got 200 with an empty body
(beancount/beanprice#82); the stand-in answers 404 as the status-codes page says.

Data (``sandbox/ecb_rates.py``): the ECB's real history from 2023 to 2026-10-30, then a seeded
synthetic walk whose observations carry OBS_COM ``Thinline stand-in: synthetic, after the
shipped ECB history`` (real ones have an empty OBS_COM). Each day's rates count as published at
16:00 Europe/Berlin that day; the server shows days up to ``world.config.end`` and, with
``last_published``, none after that day (an ECB that stopped publishing).

Other stand-in limits: no rates before 2023-01-02 (the ECB's start in 1999); periods as
``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` only; an expired-token fault is answered normally (the
API is keyless).
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import unquote
from zoneinfo import ZoneInfo

from sandbox.ecb_rates import (
    SYNTHETIC_COMMENT,
    Observation,
    history,
    is_target_day,
    published,
)
from sandbox.faults import Fault, Faults
from sandbox.http import Request, Response, StandInServer, json_response
from sandbox.world import World

ROUTE = re.compile(r"/service/data/([^/]+)(?:/([^/]*))?")
FLOWS = frozenset({"EXR", "ECB,EXR", "ECB,EXR,1.0", "ECB,EXR,latest"})
CODE = re.compile(r"[A-Za-z0-9_]+")
DIMENSIONS = ("FREQ", "CURRENCY", "CURRENCY_DENOM", "EXR_TYPE", "EXR_SUFFIX")
FIXED = {"FREQ": "D", "CURRENCY_DENOM": "EUR", "EXR_TYPE": "SP00", "EXR_SUFFIX": "A"}
OBSERVATION_ATTRIBUTES = ("OBS_STATUS", "OBS_CONF", "OBS_PRE_BREAK", "OBS_COM")
SERIES_ATTRIBUTES = (
    "TIME_FORMAT", "BREAKS", "COLLECTION", "COMPILING_ORG", "DISS_ORG", "DOM_SER_IDS",
    "PUBL_ECB", "PUBL_MU", "PUBL_PUBLIC", "UNIT_INDEX_BASE", "COMPILATION", "COVERAGE",
    "DECIMALS", "NAT_TITLE", "SOURCE_AGENCY", "SOURCE_PUB", "TITLE", "TITLE_COMPL", "UNIT",
    "UNIT_MULT",
)  # fmt: skip
SERIES = ("KEY", *DIMENSIONS)
COLUMNS = {
    "full": (*SERIES, "TIME_PERIOD", "OBS_VALUE", *OBSERVATION_ATTRIBUTES, *SERIES_ATTRIBUTES),
    "dataonly": (*SERIES, "TIME_PERIOD", "OBS_VALUE"),
    "serieskeysonly": SERIES,  # [inferred] one row per series
    "nodata": (*SERIES, *SERIES_ATTRIBUTES),  # [inferred] one row per series
}
NAMES = {
    "USD": "US dollar", "JPY": "Japanese yen", "BGN": "Bulgarian lev", "CZK": "Czech koruna",
    "DKK": "Danish krone", "GBP": "UK pound sterling", "HUF": "Hungarian forint",
    "PLN": "Polish zloty", "RON": "Romanian leu", "SEK": "Swedish krona", "CHF": "Swiss franc",
    "ISK": "Iceland krona", "NOK": "Norwegian krone", "TRY": "Turkish lira",
    "AUD": "Australian dollar", "BRL": "Brazilian real", "CAD": "Canadian dollar",
    "CNY": "Chinese yuan renminbi", "HKD": "Hong Kong dollar", "IDR": "Indonesian rupiah",
    "ILS": "Israeli shekel", "INR": "Indian rupee", "KRW": "Korean won (Republic)",
    "MXN": "Mexican peso", "MYR": "Malaysian ringgit", "NZD": "New Zealand dollar",
    "PHP": "Philippine peso", "SGD": "Singapore dollar", "THB": "Thai baht",
    "ZAR": "South African rand",
}  # fmt: skip
# Representations the ECB serves and the stand-in does not (content-negotiation page).
SDMX_FORMATS = frozenset({"jsondata", "genericdata", "structurespecificdata"})
CSV_ONLY = "the stand-in serves csvdata only: send format=csvdata or Accept: text/csv"
PUBLISHED_AT = time(16, 0)  # the ECB's rates appear at about 16:00 CET
BERLIN = ZoneInfo("Europe/Berlin")
BUSY_PAGE = (
    b"<html><head><title>503 Service Unavailable</title></head><body>"
    b"<h1>Service Unavailable</h1><p>The server is temporarily unable to service your request."
    b"</p></body></html>"
)


class EcbError(Exception):
    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail

    def response(self, path: str, headers: dict[str, str] | None = None) -> Response:
        body = {"type": path, "title": self.title, "status": self.status, "detail": self.detail}
        return json_response(self.status, {**body, "instance": path}, headers)


def no_results() -> EcbError:
    return EcbError(404, "Not Found", "No results found.")


def bad_request(detail: str) -> EcbError:
    return EcbError(400, "Bad Request", detail)


class EcbServer(StandInServer):
    def __init__(
        self, world: World, faults: Faults | None = None, *, last_published: date | None = None
    ) -> None:
        super().__init__(faults)
        self.last_published = last_published
        # The newest day served: the world's last day, or the last day the ECB published.
        self.last_day = min(world.config.end, last_published or world.config.end)

    def env(self) -> dict[str, str]:
        """The ``THINLINE_ECB__*`` setting that reaches this server (the API is keyless)."""
        return {"THINLINE_ECB__BASE_URL": f"{self.url}/service"}

    def route(self, request: Request) -> Response:
        try:
            match = ROUTE.fullmatch(request.path)
            if request.method != "GET" or not match or match[1] not in FLOWS:
                raise no_results()
            _require_csv(request)
            currencies = _currencies(unquote(match[2] or ""))  # a client may send + as %2B
            query = _Query.parse(request)
            modified = self._last_modified()
            if _not_modified_since(request, modified):
                return Response(304, b"", {"Last-Modified": _http_date(modified)})
            end = min(query.end or self.last_day, self.last_day)
            found = [
                o
                for o in published(query.start or date.min, end, currencies)
                if query.updated_after is None or _published_at(o.day) > query.updated_after
            ]
            series = query.cut(found)
            if not series:
                raise no_results()
            return Response(200, _csv(series, query.detail), _headers(modified))
        except EcbError as error:
            return error.response(request.path)

    def fault_response(self, fault: Fault, nth: int, request: Request) -> Response:
        if fault in (Fault.RATE_LIMIT, Fault.DAILY_QUOTA):
            seconds = self.faults.retry_after_seconds if fault is Fault.RATE_LIMIT else None
            headers = {} if seconds is None else {"Retry-After": f"{seconds:g}"}
            error = EcbError(429, "Too Many Requests", "Too many requests.")
            return error.response(request.path, headers)
        if fault is Fault.SERVER_ERROR:
            if nth % 2:  # from the CDN in front of the API: an HTML page
                return Response(503, BUSY_PAGE, {"Content-Type": "text/html"})
            return Response(500, b"")
        return self._route(request)  # EXPIRED_TOKEN: the ECB has no credentials to expire

    def _last_modified(self) -> datetime:
        """When the newest served day was published (the ECB's ``Last-Modified``)."""
        day = self.last_day
        while not is_target_day(day):
            day -= timedelta(days=1)
        return _published_at(day)


@dataclass(frozen=True)
class _Query:
    start: date | None
    end: date | None
    updated_after: datetime | None
    first_n: int | None
    last_n: int | None
    detail: str

    @classmethod
    def parse(cls, request: Request) -> _Query:
        detail = request.param("detail") or "full"
        if detail not in COLUMNS:
            raise bad_request(f"detail must be one of {', '.join(COLUMNS)}, not {detail!r}")
        history_flag = request.param("includeHistory")
        if history_flag == "true":
            raise EcbError(501, "Not Implemented", "includeHistory is not implemented here")
        if history_flag not in (None, "false"):
            raise bad_request("includeHistory must be true or false")
        start = _period(request.param("startPeriod"), first=True)
        end = _period(request.param("endPeriod"), first=False)
        if start and end and end < start:
            raise bad_request("endPeriod is before startPeriod")
        return cls(
            start,
            end,
            _moment(request.param("updatedAfter")),
            _count(request, "firstNObservations"),
            _count(request, "lastNObservations"),
            detail,
        )

    def cut(self, found: list[Observation]) -> dict[str, list[Observation]]:
        """Observations per series (found is by currency, then day), N-limited per series."""
        series: dict[str, list[Observation]] = defaultdict(list)
        for observation in found:
            series[observation.currency].append(observation)
        for currency, rows in series.items():
            rows = rows[: self.first_n] if self.first_n else rows
            series[currency] = rows[-self.last_n :] if self.last_n else rows
        return dict(series)


def _require_csv(request: Request) -> None:
    """``format`` wins over ``Accept``; without either the ECB would answer SDMX-ML."""
    wanted = request.param("format")
    if wanted == "csvdata":
        return
    if wanted is not None and wanted not in SDMX_FORMATS:
        raise EcbError(406, "Not Acceptable", f"format={wanted} is not a representation served")
    accepted = {
        part.split(";")[0].strip().lower() for part in request.headers.get("Accept", "").split(",")
    }
    if wanted is None and "text/csv" in accepted:
        return
    raise EcbError(406, "Not Acceptable", CSV_ONLY)


def _currencies(key: str) -> list[str] | None:
    """The CURRENCY codes a key asks for (None: every one); 404 if another dimension asks for
    a series the stand-in does not have."""
    if not key or key == "all":
        return None
    parts = key.split(".")
    if len(parts) != len(DIMENSIONS) or not all(
        all(CODE.fullmatch(code) for code in part.split("+")) for part in parts if part
    ):
        raise bad_request(f"Invalid key {key!r}: expected {'.'.join(DIMENSIONS)}")
    asked = dict(zip(DIMENSIONS, parts, strict=True))
    if any(asked[name] and value not in asked[name].split("+") for name, value in FIXED.items()):
        raise no_results()
    return asked["CURRENCY"].split("+") if asked["CURRENCY"] else None


def _period(text: str | None, *, first: bool) -> date | None:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; a year or month starts (or ends) the range."""
    if text is None:
        return None
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
        if re.fullmatch(r"\d{4}(-\d{2})?", text):
            year, month = int(text[:4]), int(text[5:] or (1 if first else 12))
            start = date(year, month, 1)
            return start if first else (start + timedelta(days=31)).replace(day=1) - timedelta(1)
    except ValueError:
        pass
    raise bad_request(f"Invalid period {text!r}: expected YYYY, YYYY-MM or YYYY-MM-DD")


def _moment(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        # An unencoded "+01:00" arrives as " 01:00": the client forgot to percent-encode it.
        raise bad_request(f"Invalid updatedAfter {text!r} (percent-encode + as %2B)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _count(request: Request, name: str) -> int | None:
    text = request.param(name)
    if text is None:
        return None
    if not text.isdigit() or int(text) < 1:
        raise bad_request(f"{name} must be a positive integer")
    return int(text)


def _not_modified_since(request: Request, modified: datetime) -> bool:
    try:
        since = parsedate_to_datetime(request.headers.get("If-Modified-Since") or "")
    except (TypeError, ValueError):
        return False
    return modified <= (since if since.tzinfo else since.replace(tzinfo=UTC))


def _published_at(day: date) -> datetime:
    return datetime.combine(day, PUBLISHED_AT, BERLIN)


def _http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def _headers(modified: datetime) -> dict[str, str]:
    return {
        "Content-Type": "text/csv",
        "Content-Disposition": "attachment;filename=data.csv",
        "Cache-Control": "max-age=30",
        "Vary": "accept",
        "Last-Modified": _http_date(modified),
    }


def _csv(series: dict[str, list[Observation]], detail: str) -> bytes:
    """RFC 4180 (CRLF, quoted where needed): one row per observation, or per series."""
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS[detail], extrasaction="ignore")
    writer.writeheader()
    for currency, rows in series.items():
        fields = _series_fields(currency)
        if detail in ("serieskeysonly", "nodata"):
            writer.writerow(fields)
            continue
        for row in rows:
            writer.writerow(
                {
                    **fields,
                    "TIME_PERIOD": row.day.isoformat(),
                    "OBS_VALUE": row.value,
                    "OBS_STATUS": "A",
                    "OBS_CONF": "F",
                    "OBS_COM": SYNTHETIC_COMMENT if row.synthetic else "",
                }
            )
    return out.getvalue().encode()


def _series_fields(currency: str) -> dict[str, str]:
    name = NAMES.get(currency, currency)
    return {
        "KEY": f"EXR.D.{currency}.EUR.SP00.A",
        **FIXED,
        "CURRENCY": currency,
        "TIME_FORMAT": "P1D",
        "COLLECTION": "A",
        "UNIT_INDEX_BASE": "99Q1=100",
        "DECIMALS": str(history().decimals[currency]),
        "SOURCE_AGENCY": "4F0",
        "TITLE": f"{name}/Euro ECB reference exchange rate",
        "TITLE_COMPL": f"ECB reference exchange rate, {name}/Euro, 2.15 pm (C.E.T.)",
        "UNIT": currency,
        "UNIT_MULT": "0",
    }
