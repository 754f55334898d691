"""A small, consistent warehouse: raw tables per docs/raw_layout.md holding records in the
sources' wire formats (source_apis.md §1 and §3), and marts that reconcile with them."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import psycopg
import psycopg.rows
from psycopg.types.json import Jsonb

BATCH = "test-batch-1"
# Given to a trust-auth server (which ignores it) so the runner has a password to hide.
PASSWORD = "gx-Secret-pw-7f3a"

RAW_KEYS: dict[str, dict[str, str]] = {
    "raw_hubspot.contacts": {"contact_id": "bigint"},
    "raw_hubspot.companies": {"company_id": "bigint"},
    "raw_hubspot.deals": {"deal_id": "bigint"},
    "raw_hubspot.owners": {"owner_id": "bigint"},
    "raw_hubspot.deal_pipelines": {"pipeline_id": "text"},
    "raw_hubspot.deal_contact_associations": {"deal_id": "bigint", "contact_id": "bigint"},
    "raw_hubspot.deal_stage_history": {"deal_id": "bigint"},
    "raw_google_ads.customers": {"customer_id": "bigint"},
    "raw_google_ads.campaigns": {"customer_id": "bigint", "campaign_id": "bigint"},
    "raw_google_ads.campaign_daily_metrics": {
        "customer_id": "bigint",
        "campaign_id": "bigint",
        "metric_date": "date",
    },
    "raw_google_ads.ad_group_daily_metrics": {
        "customer_id": "bigint",
        "ad_group_id": "bigint",
        "metric_date": "date",
    },
    "raw_google_ads.ad_daily_metrics": {
        "customer_id": "bigint",
        "ad_group_id": "bigint",
        "ad_id": "bigint",
        "metric_date": "date",
    },
}

MARTS_DDL = """
create schema analytics_build;
create table analytics_build.fct_ad_spend_daily (
    ad_spend_key text, spend_date date, platform text, account_id text, campaign_key text,
    campaign_id text, ad_group_id text, ad_id text, currency_code text, spend numeric,
    spend_reporting numeric, impressions bigint, clicks bigint,
    platform_conversion_value numeric, platform_conversion_value_reporting numeric,
    reporting_currency_code text, fx_rate_to_reporting numeric, fx_rate_date date,
    fx_rate_source text
);
create table analytics_build.fct_deals (
    deal_key text, crm text, deal_id text, owner_id text, amount numeric, currency_code text,
    is_won boolean, is_closed boolean, sales_rep_id text, account_key text,
    amount_reporting numeric, list_amount numeric, list_amount_reporting numeric,
    close_date date, created_date date, reporting_currency_code text,
    fx_rate_to_reporting numeric, fx_conversion_date date, fx_rate_date date, fx_rate_source text
);
create table analytics_build.dim_sales_reps (
    sales_rep_id text, crm text, owner_id text, team_key text
);
create table analytics_build.rpt_forecast_accuracy (
    as_of_date date, owner_type text, owner_id text, period_start date, period_end date,
    forecast_method text, forecast numeric, forecast_lower numeric, forecast_upper numeric,
    actual numeric
);
create table analytics_build.dim_accounts (account_key text, crm text, account_id text);
create table analytics_build.fct_attribution (
    conversion_id text, conversion_type text, deal_id text, deal_key text, touchpoint_id text,
    model text, credit numeric, revenue_credit numeric, attribution_scope text
);
create table analytics_build.fct_touchpoints (touchpoint_id text, landing_page_url text);
create table analytics_build.dim_ads (platform text, ad_id text, landing_page_url text);
create table analytics_build.rpt_landing_page_performance (
    model text, spend numeric, leads numeric, attributed_revenue numeric
);
create table analytics_build.fct_quota_attainment (
    owner_type text, owner_id text, date_day date, period_type text, quota numeric,
    booked_to_date numeric, attainment numeric
);
create table analytics_build.fct_lead_response (
    lead_key text, sales_rep_id text, arrived_at timestamptz, arrived_date date,
    first_outbound_at timestamptz, is_answered boolean, business_hours_to_first_touch numeric,
    sla_business_hours numeric, sla_status text, is_deleted boolean
);
create table analytics_build.rpt_lead_response (
    arrived_month date, channel text, sales_rep_id text, leads bigint, answered_leads bigint,
    sla_breached_leads bigint
);
create table analytics_build.fct_pipeline_daily (
    deal_key text, date_day date, amount numeric, amount_reporting numeric, close_date date,
    sales_rep_id text, team_key text
);
create table analytics_build.rpt_pipeline_waterfall (
    period_type text, period_start date, period_end date, closing_date date,
    owner_level text, owner_key text, opening_pipeline numeric, created numeric,
    reopened numeric, pulled_in numeric, reassigned_in numeric, increased numeric,
    decreased numeric, fx_movement numeric, pushed_out numeric, reassigned_out numeric,
    won numeric, lost numeric, closing_pipeline numeric
);
create table analytics_build.fct_quota_months (
    quota_month_key text, quota_amount numeric, currency_code text,
    quota_amount_reporting numeric, reporting_currency_code text, fx_rate_to_reporting numeric,
    fx_conversion_date date, fx_rate_date date, fx_rate_source text
);
"""
ACCOUNT = "hubspot:70"
USD_PER_EUR = Decimal("1.1")
ATTRIBUTION_MODELS = (
    "first_touch",
    "last_touch",
    "last_non_direct",
    "linear",
    "position_based",
    "w_shaped",
    "time_decay",
    "data_driven",
)
ATTRIBUTION_SCOPES = ("contact", "account")


@dataclass
class Database:
    """The throwaway test database: the URL the runner gets and a connection."""

    url: str
    password: str  # in ``url``; must never show up in messages, logs or stored results
    conn: psycopg.Connection

    def results(self, run_id: str) -> list[dict[str, Any]]:
        with self.conn.cursor(row_factory=psycopg.rows.dict_row) as cursor:
            return cursor.execute(
                "select * from ops.quality_results where run_id = %s order by result_id",
                (run_id,),
            ).fetchall()


@dataclass
class Row:
    table: str
    keys: tuple[Any, ...]
    record: dict[str, Any] | None
    is_deleted: bool = False
    batch_id: str | None = BATCH


@dataclass
class RawData:
    rows: list[Row] = field(default_factory=list)

    def add(self, table: str, keys: tuple[Any, ...], record: dict[str, Any], **extra: Any) -> Row:
        row = Row(table, keys, record, **extra)
        self.rows.append(row)
        return row


def hubspot_object(object_id: str, properties: dict[str, str | None], **extra: Any) -> dict:
    return {
        "id": object_id,
        "properties": {"hs_object_id": object_id, **properties},
        "createdAt": properties.get("createdate") or "2024-05-01T09:00:00.000Z",
        "updatedAt": "2024-06-01T08:03:11.902Z",
        "archived": False,
        **extra,
    }


def stage_history_object(deal_id: str, stages: list[tuple[str, str]]) -> dict:
    """A deals batch-read result with ``propertiesWithHistory.dealstage`` (newest first);
    ``stages`` are (timestamp, stage) oldest first, the last one the current stage."""
    history = [
        {"value": stage, "timestamp": at, "sourceType": "CRM_UI", "updatedByUserId": 9586504}
        for at, stage in reversed(stages)
    ]
    return hubspot_object(
        deal_id,
        {"dealstage": stages[-1][1], "pipeline": "default", "hs_lastmodifieddate": stages[-1][0]},
        propertiesWithHistory={"dealstage": history},
    )


def ads_row(customer: str, campaign: str, day: str, metrics: dict[str, Any], **extra: Any) -> dict:
    return {
        "customer": {
            "resourceName": f"customers/{customer}",
            "id": customer,
            "currencyCode": CUSTOMERS[customer][0],
        },
        "campaign": {
            "resourceName": f"customers/{customer}/campaigns/{campaign}",
            "id": campaign,
            "name": CAMPAIGNS[(customer, campaign)][0],
        },
        "segments": {"date": day},
        "metrics": metrics,
        **extra,
    }


EUR_ACCOUNT, USD_ACCOUNT = "1234567890", "2345678901"
BRAND, PMAX_CAMPAIGN, GENERIC = "20123456789", "20123456790", "30123456789"
EUR_GROUP, USD_GROUP = "150123456789", "250123456789"
CUSTOMERS = {EUR_ACCOUNT: ("EUR", "Europe/Paris"), USD_ACCOUNT: ("USD", "America/New_York")}
CAMPAIGNS = {
    (EUR_ACCOUNT, BRAND): ("Brand - Search", "SEARCH"),
    (EUR_ACCOUNT, PMAX_CAMPAIGN): ("PMax - All products", "PERFORMANCE_MAX"),
    (USD_ACCOUNT, GENERIC): ("Generic - Search", "SEARCH"),
}
# (customer, campaign, ad group, ad, day, costMicros, impressions, clicks, conversions)
ADS = [
    (EUR_ACCOUNT, BRAND, EUR_GROUP, "690123456789", "2024-06-01", "18230000", "1310", "42", 3.0),
    (EUR_ACCOUNT, BRAND, EUR_GROUP, "690123456790", "2024-06-01", "6010000", "544", "9", None),
    (EUR_ACCOUNT, BRAND, EUR_GROUP, "690123456789", "2024-06-02", "16012000", "1198", "37", 2.5),
    (USD_ACCOUNT, GENERIC, USD_GROUP, "790123456789", "2024-06-02", "9990001", "802", "15", 1.0),
    # a zero-spend ad: zero metrics are absent from the row
    (USD_ACCOUNT, GENERIC, USD_GROUP, "790123456790", "2024-06-02", None, "12", None, None),
]
PMAX = (EUR_ACCOUNT, PMAX_CAMPAIGN, "2024-06-01", "5000000", "2500", "30")  # no ad rows
DEALS = [  # id, amount, currency, stage, closed, won, owner, archived
    ("8078784221", "12500", "EUR", "closedwon", "true", "true", "41629779", False),
    ("8078784222", "4800.50", "EUR", "appointmentscheduled", "false", "false", "41629780", False),
    ("8078784223", None, None, "appointmentscheduled", "false", "false", None, False),
    ("8078784224", "999", "EUR", "closedlost", "true", "false", "41629779", True),
]


def good_raw_data() -> RawData:
    """Clean raw rows for every raw table."""
    w = RawData()
    w.add(
        "raw_hubspot.owners",
        (41629779,),
        {
            "id": "41629779",
            "email": "jane.doe@example.com",
            "type": "PERSON",
            "firstName": "Jane",
            "lastName": "Doe",
            "userId": 9586504,
            "createdAt": "2023-01-10T14:02:11.201Z",
            "updatedAt": "2024-02-01T09:00:00.000Z",
            "archived": False,
            "teams": [{"id": "1234", "name": "EMEA Sales", "primary": True}],
        },
    )
    w.add(
        "raw_hubspot.owners",
        (41629780,),
        {"id": "41629780", "email": "max.roe@example.com", "firstName": "Max", "archived": True},
        is_deleted=True,
    )
    stages = [
        ("appointmentscheduled", "Appointment Scheduled", "false", "0.2"),
        ("closedwon", "Closed Won", "true", "1.0"),
        ("closedlost", "Closed Lost", "true", "0.0"),
    ]
    w.add(
        "raw_hubspot.deal_pipelines",
        ("default",),
        {
            "id": "default",
            "label": "Sales Pipeline",
            "displayOrder": 0,
            "archived": False,
            "stages": [
                {
                    "id": stage_id,
                    "label": label,
                    "displayOrder": order,
                    "metadata": {"isClosed": closed, "probability": probability},
                    "archived": False,
                }
                for order, (stage_id, label, closed, probability) in enumerate(stages)
            ],
        },
    )
    for company_id, name, employees, revenue in (
        ("101", "Acme", "250", "12000000"),
        ("102", "Globex", None, None),
    ):
        w.add(
            "raw_hubspot.companies",
            (int(company_id),),
            hubspot_object(
                company_id,
                {
                    "name": name,
                    "domain": f"{name.lower()}.example",
                    "numberofemployees": employees,
                    "annualrevenue": revenue,
                    "createdate": "2023-11-02T10:00:00Z",
                    "hs_lastmodifieddate": "2024-06-01T08:00:00.000Z",
                },
            ),
        )
    for contact_id, company_id in (("1", "101"), ("2", "102"), ("3", None)):
        w.add(
            "raw_hubspot.contacts",
            (int(contact_id),),
            hubspot_object(
                contact_id,
                {
                    "email": f"person{contact_id}@example.com",
                    "createdate": "2023-06-28T13:55:47.572Z",
                    "lastmodifieddate": "2024-07-01T21:28:22.147Z",
                    "lifecyclestage": "opportunity",
                    "hs_lifecyclestage_lead_date": "2023-06-28T13:55:47.558Z",
                    "hs_lifecyclestage_opportunity_date": "2023-07-01T21:28:01.332Z",
                    "hs_lifecyclestage_customer_date": None,
                    "hs_analytics_source": "PAID_SEARCH",
                    "hs_google_click_id": "Cj0KCQjwexampleGCLID",
                    "associatedcompanyid": company_id,
                },
            ),
        )
    for deal_id, amount, currency, stage, closed, won, owner, archived in DEALS:
        w.add(
            "raw_hubspot.deals",
            (int(deal_id),),
            hubspot_object(
                deal_id,
                {
                    "dealname": f"Deal {deal_id}",
                    "amount": amount,
                    "deal_currency_code": currency,
                    "dealstage": stage,
                    "pipeline": "default",
                    "closedate": "2024-06-28T15:00:00Z",
                    "createdate": "2024-05-02T09:12:44.120Z",
                    "hs_lastmodifieddate": "2024-06-01T08:03:11.902Z",
                    "hubspot_owner_id": owner,
                    "hs_is_closed": closed,
                    "hs_is_closed_won": won,
                },
                archived=archived,
            ),
            is_deleted=archived,
        )
    for deal_id, *_, stage, _closed, _won, _owner, archived in DEALS:
        if not archived:  # batch read returns live deals only
            w.add(
                "raw_hubspot.deal_stage_history",
                (int(deal_id),),
                stage_history_object(
                    deal_id,
                    [("2024-05-02T09:12:44.120Z", "appointmentscheduled")]
                    + (
                        [("2024-06-01T08:03:11.902Z", stage)]
                        if stage != "appointmentscheduled"
                        else []
                    ),
                ),
            )
    for deal_id, contact_id in (("8078784221", 1), ("8078784222", 2)):
        w.add(
            "raw_hubspot.deal_contact_associations",
            (int(deal_id), contact_id),
            {
                "from": {"id": deal_id},
                "to": {
                    "toObjectId": contact_id,
                    "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": 3}],
                },
            },
        )
    for customer, (currency, time_zone) in CUSTOMERS.items():
        w.add(
            "raw_google_ads.customers",
            (int(customer),),
            {
                "customer": {
                    "resourceName": f"customers/{customer}",
                    "id": customer,
                    "descriptiveName": f"Account {customer}",
                    "currencyCode": currency,
                    "timeZone": time_zone,
                }
            },
        )
    for (customer, campaign), (name, channel) in CAMPAIGNS.items():
        w.add(
            "raw_google_ads.campaigns",
            (int(customer), int(campaign)),
            {
                "customer": {"resourceName": f"customers/{customer}", "id": customer},
                "campaign": {
                    "resourceName": f"customers/{customer}/campaigns/{campaign}",
                    "id": campaign,
                    "name": name,
                    "status": "ENABLED",
                    "advertisingChannelType": channel,
                },
            },
        )
    _add_metrics(w)
    return w


def _metrics(cost: str | None, impressions: str | None, clicks: str | None, conv: Any) -> dict:
    values = {
        "costMicros": cost,
        "impressions": impressions,
        "clicks": clicks,
        "conversions": conv,
        "conversionsValue": None if conv is None else conv * 150.0,
    }
    return {key: value for key, value in values.items() if value is not None}


def _totals(ads: list[tuple]) -> tuple[str, ...]:
    """costMicros, impressions and clicks of ``ads`` added up, as int64 strings."""
    return tuple(str(sum(int(ad[i] or 0) for ad in ads)) for i in (5, 6, 7))


def _add_metrics(w: RawData) -> None:
    for customer, campaign, ad_group, ad, day, cost, impressions, clicks, conv in ADS:
        w.add(
            "raw_google_ads.ad_daily_metrics",
            (int(customer), int(ad_group), int(ad), day),
            ads_row(
                customer,
                campaign,
                day,
                _metrics(cost, impressions, clicks, conv),
                adGroup={"id": ad_group, "name": "Ad group"},
                adGroupAd={"ad": {"id": ad, "name": f"Ad {ad}"}},
            ),
        )
    groups: dict[tuple[str, str, str, str], list[tuple]] = {}
    campaigns: dict[tuple[str, str, str], list[tuple]] = {}
    for ad in ADS:
        groups.setdefault((ad[0], ad[1], ad[2], ad[4]), []).append(ad)
        campaigns.setdefault((ad[0], ad[1], ad[4]), []).append(ad)
    for (customer, campaign, ad_group, day), ads in groups.items():
        w.add(
            "raw_google_ads.ad_group_daily_metrics",
            (int(customer), int(ad_group), day),
            ads_row(
                customer,
                campaign,
                day,
                _metrics(*_totals(ads), None),
                adGroup={"id": ad_group, "name": "Ad group"},
            ),
        )
    for (customer, campaign, day), ads in campaigns.items():
        w.add(
            "raw_google_ads.campaign_daily_metrics",
            (int(customer), int(campaign), day),
            ads_row(
                customer,
                campaign,
                day,
                _metrics(*_totals(ads), None),
            ),
        )
    customer, campaign, day, cost, impressions, clicks = PMAX
    w.add(
        "raw_google_ads.campaign_daily_metrics",
        (int(customer), int(campaign), day),
        ads_row(customer, campaign, day, _metrics(cost, impressions, clicks, 2.0)),
    )


def create_raw(conn: psycopg.Connection, raw: RawData) -> None:
    """Raw tables as the loader makes them, minus NOT NULL so bad batches can land."""
    for table, keys in RAW_KEYS.items():
        schema = table.split(".")[0]
        columns = ", ".join(f"{name} {pg_type}" for name, pg_type in keys.items())
        conn.execute(f"create schema if not exists {schema}")
        conn.execute(
            f"create table {table} ({columns}, record jsonb, is_deleted boolean not null "
            "default false, _loaded_at timestamptz not null default now(), _batch_id text)"
        )
    insert_rows(conn, raw.rows)


def insert_rows(conn: psycopg.Connection, rows: list[Row]) -> None:
    for row in rows:
        keys = list(RAW_KEYS[row.table])
        placeholders = ", ".join(["%s"] * (len(keys) + 3))
        conn.execute(
            f"insert into {row.table} ({', '.join(keys)}, record, is_deleted, _batch_id) "
            f"values ({placeholders})",
            (
                *row.keys,
                None if row.record is None else Jsonb(row.record),
                row.is_deleted,
                row.batch_id,
            ),
        )


def create_marts(conn: psycopg.Connection) -> None:
    """The marts dbt would build from good_raw_data(), computed here in Python."""
    conn.execute(MARTS_DDL)
    spend_rows = [
        (customer, campaign, ad_group, ad, day, cost, impressions, clicks)
        for customer, campaign, ad_group, ad, day, cost, impressions, clicks, _ in ADS
    ]
    customer, campaign, day, cost, impressions, clicks = PMAX
    spend_rows.append((customer, campaign, None, None, day, cost, impressions, clicks))
    for customer, campaign, ad_group, ad, day, cost, impressions, clicks in spend_rows:
        spend = Decimal(cost or 0) / Decimal(1_000_000)
        conn.execute(
            "insert into analytics_build.fct_ad_spend_daily (ad_spend_key, spend_date, platform, "
            "account_id, campaign_key, campaign_id, ad_group_id, ad_id, currency_code, spend, "
            "spend_reporting, impressions, clicks, reporting_currency_code, "
            "fx_rate_to_reporting, fx_rate_date, fx_rate_source) "
            "values (%s, %s, 'google_ads', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
            "'USD', 1, %s, 'manual')",
            (
                f"google_ads:{day}:{campaign}:{ad_group or ''}:{ad or ''}",
                day,
                customer,
                f"google_ads:{campaign}",
                campaign,
                ad_group,
                ad,
                CUSTOMERS[customer][0],
                spend,
                spend,
                int(impressions or 0),
                int(clicks or 0),
                day,
            ),
        )
    for deal_id, amount, currency, _, closed, won, owner, archived in DEALS:
        if archived:
            continue
        conn.execute(
            "insert into analytics_build.fct_deals (deal_key, crm, deal_id, owner_id, amount, "
            "currency_code, is_won, is_closed, sales_rep_id, account_key, amount_reporting, "
            "created_date, reporting_currency_code, fx_rate_to_reporting, fx_conversion_date, "
            "fx_rate_date, fx_rate_source) "
            "values (%s, 'hubspot', %s, %s, %s, %s, %s, %s, %s, %s, %s, '2024-05-01', 'USD', "
            "%s, '2024-05-01', '2024-05-01', 'manual')",
            (
                f"hubspot:{deal_id}",
                deal_id,
                owner,
                None if amount is None else Decimal(amount),
                currency or "EUR",
                won == "true",
                closed == "true",
                None if owner is None else f"hubspot:{owner}",
                ACCOUNT,
                None if amount is None else Decimal(amount) * USD_PER_EUR,
                USD_PER_EUR,
            ),
        )
    create_sales_marts(conn)


def create_landing_pages(conn: psycopg.Connection) -> None:
    """Two of the three touches and every Google ad have a landing page; the landing-page
    report hands out their credit and carries the ads' spend, per model."""
    conn.execute(
        "insert into analytics_build.fct_touchpoints values "
        "('touch-0', 'https://thinline.example/a'), ('touch-1', null), "
        "('touch-2', 'https://thinline.example/b')"
    )
    conn.execute(
        "insert into analytics_build.dim_ads select distinct platform, ad_id, "
        "'https://thinline.example/a' from analytics_build.fct_ad_spend_daily "
        "where ad_id is not null"
    )
    conn.execute(
        "insert into analytics_build.rpt_landing_page_performance "
        "select attr.model, (select sum(spend_reporting) from analytics_build.fct_ad_spend_daily "
        "where ad_id is not null), 0, sum(attr.revenue_credit) "
        "from analytics_build.fct_attribution as attr "
        "inner join analytics_build.fct_touchpoints as touch using (touchpoint_id) "
        "where touch.landing_page_url is not null and attr.attribution_scope = 'contact' "
        "group by attr.model"
    )


def create_sales_marts(conn: psycopg.Connection) -> None:
    """Reps, accounts, attribution and attainment consistent with fct_deals above."""
    for owner in sorted({deal[6] for deal in DEALS if deal[6] is not None}):
        conn.execute(
            "insert into analytics_build.dim_sales_reps values (%s, 'hubspot', %s)",
            (f"hubspot:{owner}", owner),
        )
    conn.execute(
        "insert into analytics_build.dim_accounts values (%s, 'hubspot', '70')", (ACCOUNT,)
    )
    won = [deal for deal in DEALS if deal[5] == "true" and not deal[7]]
    for deal_id, amount, *_ in won:
        revenue = Decimal(amount) * USD_PER_EUR
        for model, scope in itertools.product(ATTRIBUTION_MODELS, ATTRIBUTION_SCOPES):
            # thirds: sums equal only to the cent; the buying committee adds a fourth touch
            touches = (3 if model == "linear" else 1) + (scope == "account")
            for touch in range(touches):
                credit = Decimal(1) / touches
                conn.execute(
                    "insert into analytics_build.fct_attribution values "
                    "(%s, 'closed_won', %s, %s, %s, %s, %s, %s, %s)",
                    (
                        f"closed_won:hubspot:{deal_id}",
                        deal_id,
                        f"hubspot:{deal_id}",
                        f"touch-{touch}",
                        model,
                        credit,
                        credit * revenue,
                        scope,
                    ),
                )
    create_landing_pages(conn)
    create_lead_response(conn)
    create_forecast_accuracy(conn)
    create_pipeline(conn)
    conn.execute(
        "insert into analytics_build.fct_quota_attainment values "
        "('rep', 'hubspot:41629779', '2024-06-01', 'month', 10000, 13750, 1.375), "
        "('rep', 'hubspot:41629780', '2024-06-01', 'month', 10000, 0, 0), "
        "('team', 'hubspot:1', '2024-06-01', 'month', 0, 0, null)"
    )
    conn.execute(
        "insert into analytics_build.fct_quota_months values "
        "('rep:hubspot:41629779:2024-06-01', 10000, 'USD', 10000, 'USD', 1, '2024-06-01', "
        "'2024-06-01', 'same_currency'), "
        "('team:hubspot:1:2024-06-01', 1000, 'EUR', %s, 'USD', %s, '2024-06-01', '2024-06-01', "
        "'manual')",
        (1000 * USD_PER_EUR, USD_PER_EUR),
    )


def create_lead_response(conn: psycopg.Connection) -> None:
    """Three live leads of one rep (met, breached late, unanswered past the SLA) and a deleted
    one; the report counts the live ones on two channels."""
    conn.execute(
        "insert into analytics_build.fct_lead_response values "
        "('hubspot:1', 'hubspot:41629779', '2024-06-03 14:00+00', '2024-06-03', "
        "'2024-06-03 15:30+00', true, 1.5, 4, 'met', false), "
        "('hubspot:2', 'hubspot:41629779', '2024-06-04 14:00+00', '2024-06-04', "
        "'2024-06-05 15:00+00', true, 9, 4, 'breached', false), "
        "('hubspot:3', 'hubspot:41629779', '2024-06-05 14:00+00', '2024-06-05', "
        "null, false, null, 4, 'breached', false), "
        "('hubspot:4', 'hubspot:41629779', '2024-06-06 14:00+00', '2024-06-06', "
        "null, false, null, 4, 'breached', true)"
    )
    conn.execute(
        "insert into analytics_build.rpt_lead_response values "
        "('2024-06-01', 'paid_search', 'hubspot:41629779', 2, 2, 1), "
        "('2024-06-01', 'organic_search', 'hubspot:41629779', 1, 0, 1)"
    )


def create_pipeline(conn: psycopg.Connection) -> None:
    """The pipeline on 2024-06-30: deal a (team 1, close 06-15, 1000), b (team 1, close
    09-01: another quarter) and c (no team, close 06-20, 200); the second quarter's waterfall
    adds up to it for team 1 (800 + 300 created + 100 increased - 200 won), the unassigned
    team (200 created) and the company."""
    conn.execute(
        "insert into analytics_build.fct_pipeline_daily values "
        "('hubspot:a', '2024-06-30', 1000, 1000, '2024-06-15', 'hubspot:1', 'hubspot:t1'), "
        "('hubspot:b', '2024-06-30', 500, 500, '2024-09-01', 'hubspot:1', 'hubspot:t1'), "
        "('hubspot:c', '2024-06-30', 200, 200, '2024-06-20', 'hubspot:2', null)"
    )
    conn.execute(
        "insert into analytics_build.rpt_pipeline_waterfall values "
        "('quarter', '2024-04-01', '2024-06-30', '2024-06-30', 'team', 'hubspot:t1', "
        "800, 300, 0, 0, 0, 100, 0, 0, 0, 0, -200, 0, 1000), "
        "('quarter', '2024-04-01', '2024-06-30', '2024-06-30', 'team', 'unassigned', "
        "0, 200, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 200), "
        "('quarter', '2024-04-01', '2024-06-30', '2024-06-30', 'company', 'company', "
        "800, 500, 0, 0, 0, 100, 0, 0, 0, 0, -200, 0, 1200)"
    )


def create_activities(conn: psycopg.Connection) -> None:
    """Raw activities of both CRMs (a deleted HubSpot call and Salesforce task among them) and
    the fct_activities dbt would build from them: one mart row per live raw row."""
    live = {
        ("hubspot", "calls"): ["c1", "c2"],
        ("hubspot", "emails"): ["e1"],
        ("hubspot", "meetings"): ["m1"],
        ("hubspot", "tasks"): [],
        ("hubspot", "notes"): [],
        ("salesforce", "tasks"): ["00T1", "00T2"],
        ("salesforce", "events"): ["00U1"],
    }
    deleted = {("hubspot", "calls"): "c0", ("salesforce", "tasks"): "00T0"}
    conn.execute(
        "create table analytics_build.fct_activities "
        "(activity_key text, crm text, activity_id text, crm_activity_type text)"
    )
    for (crm, table), ids in live.items():
        conn.execute(f"create schema if not exists raw_{crm}")
        conn.execute(
            f"create table raw_{crm}.{table} (id text, record jsonb, is_deleted boolean not null)"
        )
        for object_id in ids:
            conn.execute(f"insert into raw_{crm}.{table} values (%s, '{{}}', false)", (object_id,))
            kind = table if crm == "hubspot" else table.rstrip("s").capitalize()
            conn.execute(
                "insert into analytics_build.fct_activities values (%s, %s, %s, %s)",
                (f"{crm}:{object_id}", crm, object_id, kind),
            )
        if (crm, table) in deleted:
            conn.execute(
                f"insert into raw_{crm}.{table} values (%s, '{{}}', true)",
                (deleted[crm, table],),
            )


def create_forecast_accuracy(conn: psycopg.Connection) -> None:
    """The won deal closes on 2024-05-20 and its rep is in team hubspot:1; the backtest of that
    quarter (two as-of weeks, three methods, company and team) has it as the actual."""
    conn.execute("update analytics_build.fct_deals set close_date = '2024-05-20' where is_won")
    conn.execute("update analytics_build.dim_sales_reps set team_key = 'hubspot:1'")
    actual = Decimal("12500") * USD_PER_EUR
    for as_of_date, owner_type, owner_id, method in itertools.product(
        ("2024-04-07", "2024-04-14"),
        ("company", "team"),
        ("company", "hubspot:1"),
        ("statistical", "commit", "run_rate"),
    ):
        if (owner_type == "company") != (owner_id == "company"):
            continue
        statistical = method == "statistical"
        conn.execute(
            "insert into analytics_build.rpt_forecast_accuracy values "
            "(%s, %s, %s, '2024-04-01', '2024-06-30', %s, 10000, %s, %s, %s)",
            (
                as_of_date,
                owner_type,
                owner_id,
                method,
                8000 if statistical else None,
                12000 if statistical else None,
                actual,
            ),
        )
