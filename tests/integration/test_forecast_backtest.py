"""The backtest's forecasts use nothing later than their as-of day (issue 19).

The benchmark company (bench/company_data.py) at a small size has 35 months of deals with
stage, amount and close-date history. Its forecast is built, then every deal state after a cut
day is rewritten (other amounts, close dates and outcomes, a day later) and what reads the
states is rebuilt: the forecasts made before the cut must not move, and later ones must.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from typing import Any

import psycopg
import pytest

from bench.company_data import END, Size, load_company, load_company_quotas
from quality.results import RESULTS_DDL
from tests.conftest import create_database, drop_database
from thinline.dbt import PROJECT_DIR, run_dbt
from thinline.warehouse import EmbeddedWarehouse

pytestmark = pytest.mark.integration

SIZE = Size(deals=1200, contacts=12000, touchpoints=120000, reps=12, teams=4, ad_campaigns=2)
AS_OF = END.date()
CUT = date(2026, 5, 15)
UNTESTED = ["--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]
# the deal states from the cut on, rewritten; those before it (and when they ended, when that
# was before the cut) stay as they were
SHIFT_FUTURE = """
update intermediate.int_deal_states
set
    valid_from = case when valid_from >= %(cut)s then valid_from + interval '1 day'
        else valid_from end,
    valid_to = case when valid_to >= %(cut)s then valid_to + interval '1 day' else valid_to end,
    amount = case when valid_from >= %(cut)s then amount * 3 else amount end,
    close_date = case when valid_from >= %(cut)s then close_date + 40 else close_date end,
    is_won = case when valid_from >= %(cut)s and is_closed then not is_won else is_won end
"""
FORECASTS = """
select as_of_date, owner_type, owner_id, period_start, forecast_method, forecast,
    forecast_lower, forecast_upper
from analytics_build.rpt_forecast_accuracy
order by 1, 2, 3, 4, 5
"""


def forecasts(url: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(FORECASTS).fetchall()


@pytest.fixture(scope="module")
def shifted(
    embedded_warehouse: EmbeddedWarehouse, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    project = tmp_path_factory.mktemp("forecast") / "dbt_project"
    shutil.copytree(PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    url = create_database(embedded_warehouse.url())
    try:
        load_company(url, SIZE)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(RESULTS_DDL)
        run_dbt(["seed"], url, project=project)
        load_company_quotas(url, SIZE)
        run_dbt(
            ["build", *UNTESTED, "--select", "+rpt_forecast_accuracy"],
            url,
            project=project,
            as_of=AS_OF,
        )
        before = forecasts(url)
        with psycopg.connect(url) as conn:
            shifted_states = conn.execute(SHIFT_FUTURE, {"cut": CUT}).rowcount
        run_dbt(
            [
                "run",
                "--select",
                "int_deal_states+,+rpt_forecast_accuracy",
                "--exclude",
                "int_deal_states",
            ],
            url,
            project=project,
            as_of=AS_OF,
        )
        yield {"before": before, "after": forecasts(url), "states": shifted_states}
    finally:
        drop_database(url)


def test_forecasts_before_the_cut_do_not_move(shifted: dict[str, Any]) -> None:
    past_before = [row for row in shifted["before"] if row[0] < CUT]
    past_after = [row for row in shifted["after"] if row[0] < CUT]
    assert shifted["states"] > 100
    # a real forecast: many as-of weeks, every method, non-zero statistical forecasts
    assert len({row[0] for row in past_before}) > 20
    assert {row[4] for row in past_before} == {"statistical", "commit", "run_rate"}
    assert any(row[4] == "statistical" and row[5] for row in past_before)
    assert past_after == past_before


def test_forecasts_after_the_cut_see_the_rewrite(shifted: dict[str, Any]) -> None:
    later_before = [row for row in shifted["before"] if row[0] >= CUT]
    later_after = [row for row in shifted["after"] if row[0] >= CUT]
    assert later_before and later_after != later_before
