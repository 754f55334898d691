"""ECB Data Portal calls: the EXR dataflow as SDMX-CSV (``format=csvdata``).

``GET /service/data/EXR/{key}?startPeriod=…&endPeriod=…&format=csvdata``
(https://data.ecb.europa.eu/help/api/data). The answer is RFC 4180 CSV with a header row: the
series ``KEY``, its dimensions (``FREQ``, ``CURRENCY``, ``CURRENCY_DENOM``, ``EXR_TYPE``,
``EXR_SUFFIX``), ``TIME_PERIOD`` and ``OBS_VALUE`` (units of the currency per euro), then the
observation and series attributes. Columns are read by name, never by position.

Status codes (https://data.ecb.europa.eu/help/api/status-codes): 404 "No results found" is
an answer with nothing in it (a weekend, a holiday, a currency not published that day); 500
and 503 are retried; 400, 406 and 501 mean the request is wrong.
"""

from __future__ import annotations

import csv
import io
import time
from datetime import date
from typing import Any

import httpx

from extract.base import SourceError
from extract.ecb.settings import EcbSettings
from extract.http import ApiSession, Failure, FailureKind, HttpClient, Sleep, one_line

NO_RESULTS = frozenset({404})
COLUMNS = ("CURRENCY", "TIME_PERIOD", "OBS_VALUE")  # what the stream reads
DATA_PATH = "/data/EXR/"
HINT = "check THINLINE_ECB__BASE_URL and THINLINE_ECB__CURRENCIES"


def classify(response: httpx.Response, body: Any) -> Failure | None:
    """The request itself is wrong: name the settings that shape it. Everything else (5xx and
    429 retried) is the client's default reading of the status."""
    if response.status_code in (400, 406, 501):
        text = one_line(response.text or response.reason_phrase or "error")
        return Failure(FailureKind.FATAL, text, hint=HINT)
    return None


class EcbClient(ApiSession):
    def __init__(self, settings: EcbSettings, *, sleep: Sleep = time.sleep) -> None:
        self.settings = settings
        self.http = HttpClient(settings, classify=classify, auth_hint=HINT, sleep=sleep)
        self.log = self.http.log

    def observations(
        self, first: date | None = None, last: date | None = None, **params: str
    ) -> list[dict[str, str]]:
        """The key's observations from ``first`` to ``last`` (inclusive), one dict per CSV row;
        ``[]`` when the ECB has none (its 404)."""
        query = {"format": "csvdata", **params}
        if first is not None:
            query["startPeriod"] = first.isoformat()
        if last is not None:
            query["endPeriod"] = last.isoformat()
        path = DATA_PATH + self.settings.series_key()
        text = self.http.get(path, query, as_text=True, empty_on=NO_RESULTS)
        if not text:
            return []
        reader = csv.DictReader(io.StringIO(text))
        missing = [column for column in COLUMNS if column not in (reader.fieldnames or ())]
        if missing:  # e.g. a proxy's HTML page: never load it as rates
            raise SourceError(
                f"ecb: the answer from {DATA_PATH} has no {', '.join(missing)} column: it is not "
                f"SDMX-CSV — {HINT}"
            )
        return list(reader)
