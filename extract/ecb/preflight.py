"""ECB pre-flight check: the key answers and every configured currency is published. How old
the newest rate is, is the marts gate's business (it knows which days the facts need).

One call: the key with ``lastNObservations=1`` (the newest rate of each series). A 404 there
means no configured currency is published (or the base URL is not the ECB's data API).
"""

from __future__ import annotations

import time
from datetime import date

from extract.ecb.client import EcbClient
from extract.ecb.settings import EcbSettings
from extract.http import Sleep
from extract.preflight import Check, Level, guarded

SOURCE = "ecb"


def run_preflight(settings: EcbSettings, today: date, *, sleep: Sleep = time.sleep) -> list[Check]:
    with EcbClient(settings, sleep=sleep) as api:
        return guarded(SOURCE, "reference rates", lambda: check_rates(api, today))


def check_rates(api: EcbClient, today: date) -> Check:
    wanted = api.settings.currency_list()
    fix = "check THINLINE_ECB__CURRENCIES (codes the ECB publishes) and THINLINE_ECB__BASE_URL"
    newest = {
        row.get("CURRENCY"): row.get("TIME_PERIOD")
        for row in api.observations(lastNObservations="1", detail="dataonly")
    }
    if not newest:
        return Check(
            SOURCE,
            "reference rates",
            Level.FAIL,
            f"the ECB has no rate for the key {api.settings.series_key()}",
            fix,
        )
    missing = sorted(set(wanted) - set(newest))
    if missing:
        detail = f"the ECB publishes no daily rate for {', '.join(missing)}"
        return Check(SOURCE, "reference rates", Level.FAIL, detail, fix + " (or use fx_rates.csv)")
    latest = max(str(day) for day in newest.values())
    detail = f"{len(newest)} currencies against the euro, newest rate {latest}"
    return Check(SOURCE, "reference rates", Level.OK, detail)
