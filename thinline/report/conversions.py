"""The report's offline-conversions section: what was sent back to the ad platforms, what they
took, what they refused and why (analytics.rpt_conversion_sync and the reasons behind it)."""

from __future__ import annotations

from thinline.report import charts
from thinline.report.spec import Chart

RECENT_DAYS = 30
# a ledger row's final or waiting states, in the order the chart stacks them
OUTCOMES = {
    "accepted_count": "accepted",
    "rejected_count": "rejected",
    "failed_count": "failed",
    "retry_pending_count": "waiting to retry",
    "skipped_count": "skipped (not sent)",
}

CONVERSION_OUTCOMES = Chart(
    "conversion_outcomes",
    f"Offline conversions by platform and outcome, the last {RECENT_DAYS} days",
    "Every conversion Thinline decided on in the last days, by the platform it was meant for "
    "and what became of it: taken by the platform, refused (with the platform's reason), "
    "failed after the last retry, waiting for a retry, or never sent (no marketing consent, "
    "or outside the platform's window).",
    f"""
    select
        platform,
        {", ".join(f"sum({column}) as {column}" for column in OUTCOMES)}
    from analytics.rpt_conversion_sync
    where sync_date > cast(%(as_of)s as date) - {RECENT_DAYS}
    group by platform
    order by platform
    """,
    lambda result: charts.bars(result, "platform", OUTCOMES, "conversions", stacked=True),
)

CONVERSION_SYNC_DAYS = Chart(
    "conversion_sync_days",
    "Offline conversions per day, platform and conversion",
    "Per day a ledger row last changed: conversions sent (at least one attempt), accepted, "
    "refused, failed, skipped, and the value the platforms accepted, in its own currency.",
    f"""
    select
        sync_date,
        platform,
        conversion_type,
        coalesce(currency_code, '') as currency,
        sent_count,
        accepted_count,
        rejected_count,
        failed_count,
        retry_pending_count,
        skipped_count,
        value_sent
    from analytics.rpt_conversion_sync
    where sync_date > cast(%(as_of)s as date) - {RECENT_DAYS}
    order by sync_date desc, platform, conversion_type, currency
    """,
)
