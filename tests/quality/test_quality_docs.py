"""GX Data Docs: built under the state folder at every gate, one run per site, no secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from quality.docs import docs_dir
from quality.results import QualityGateError
from quality.runner import validate_marts, validate_raw
from tests.quality import quality_data as data
from tests.quality.quality_data import Database

pytestmark = pytest.mark.integration


def site_text(home: Path) -> str:
    return "\n".join(
        path.read_text(errors="replace") for path in docs_dir(home).rglob("*") if path.is_file()
    )


def test_both_gates_add_to_one_site_per_run(warehouse: Database, tmp_path: Path) -> None:
    validate_raw(warehouse.url, "run-docs-1", tables=["raw_hubspot.deals"], home=tmp_path)
    data.create_marts(warehouse.conn)
    warehouse.conn.execute(
        "update analytics_build.fct_deals set amount = 1 where deal_id = '8078784221'"
    )
    with pytest.raises(QualityGateError):
        validate_marts(warehouse.url, "run-docs-1", home=tmp_path)

    index = docs_dir(tmp_path) / "index.html"
    assert index.exists()
    html = index.read_text()
    assert "raw_hubspot.deals" in html and "marts.fct_deals" in html
    text = site_text(tmp_path)
    assert "MART-DEAL-002" in text  # the rule code travels in each expectation's meta
    assert warehouse.password and warehouse.password not in text
    assert "THINLINE_GX_WAREHOUSE_URL" not in text or "${THINLINE_GX_WAREHOUSE_URL}" in text

    # The next run starts a new site: the previous run's suites are gone from the index.
    validate_raw(warehouse.url, "run-docs-2", tables=["raw_hubspot.owners"], home=tmp_path)
    html = index.read_text()
    assert "raw_hubspot.owners" in html and "marts.fct_deals" not in html
