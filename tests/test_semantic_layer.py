"""The dbt semantic layer: `dbt parse` accepts the MetricFlow YAML and the semantic manifest
holds every metric the issue names, each over columns the published models really have."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from dbt_semantic_interfaces.implementations.semantic_manifest import PydanticSemanticManifest
from dbt_semantic_interfaces.validations.semantic_manifest_validator import (
    SemanticManifestValidator,
)

from thinline.dbt import run_dbt

METRICS = {
    "spend",
    "leads",
    "opportunities",
    "pipeline",
    "revenue",
    "cac",
    "roas",
    "win_rate",
    "attainment",
}
# dbt parse never connects; profiles.yml only needs its variables set.
OFFLINE_URL = "postgresql://parse:parse@127.0.0.1:1/parse"
SQL_WORDS = {"case", "when", "then", "else", "end", "and", "or", "not", "null", "is", "in"}
SQL_WORDS |= {"cast", "as", "text", "date"}


@pytest.fixture(scope="module")
def parsed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    target = tmp_path_factory.mktemp("dbt-target")
    run_dbt(["parse", "--target-path", str(target), "--log-path", str(target)], OFFLINE_URL)
    return {
        "semantic": json.loads((target / "semantic_manifest.json").read_text()),
        "manifest": json.loads((target / "manifest.json").read_text()),
    }


def validate(semantic: dict[str, Any]) -> list[str]:
    manifest = PydanticSemanticManifest.parse_obj(semantic)
    result = SemanticManifestValidator[PydanticSemanticManifest]().validate_semantic_manifest(
        manifest
    )
    return [issue.message for issue in result.errors]


def test_every_metric_is_in_the_semantic_manifest(parsed: dict[str, Any]) -> None:
    names = {metric["name"] for metric in parsed["semantic"]["metrics"]}
    assert names >= METRICS, sorted(METRICS - names)
    for metric in parsed["semantic"]["metrics"]:
        assert metric["description"], metric["name"]


def test_the_semantic_manifest_passes_metricflow_validation(parsed: dict[str, Any]) -> None:
    assert validate(parsed["semantic"]) == []


def test_validation_catches_a_metric_without_its_measure(parsed: dict[str, Any]) -> None:
    semantic = json.loads(json.dumps(parsed["semantic"]))
    deals = next(model for model in semantic["semantic_models"] if model["name"] == "deals")
    deals["measures"] = [m for m in deals["measures"] if m["name"] != "won_revenue_reporting"]
    assert any("won_revenue_reporting" in error for error in validate(semantic))


def test_the_time_spine_is_configured_outside_the_published_schema(
    parsed: dict[str, Any],
) -> None:
    spines = parsed["semantic"]["project_configuration"]["time_spines"]
    assert [spine["primary_column"] for spine in spines] == [
        {"name": "date_day", "time_granularity": "day"}
    ]
    assert spines[0]["node_relation"]["schema_name"] == "semantic"


def columns_used(model: dict[str, Any]) -> set[str]:
    """Every column name a semantic model's entities, dimensions and measures refer to."""
    used = set()
    for element in [*model["entities"], *model["dimensions"], *(model["measures"] or [])]:
        expr = re.sub(r"'[^']*'", "", element.get("expr") or element["name"])  # no literals
        used |= {word for word in re.findall(r"[a-z_][a-z0-9_]*", expr) if word not in SQL_WORDS}
    return used


def test_semantic_models_use_columns_their_model_has(parsed: dict[str, Any]) -> None:
    nodes = parsed["manifest"]["nodes"]
    for model in parsed["semantic"]["semantic_models"]:
        alias = model["node_relation"]["alias"]
        node = next(
            n for n in nodes.values() if n["resource_type"] == "model" and n["name"] == alias
        )
        missing = columns_used(model) - set(node["columns"])
        assert not missing, f"{model['name']} on {alias}: no columns {sorted(missing)}"


def exposure(parsed: dict[str, Any], name: str) -> set[str]:
    """The model names an exposure depends on."""
    found = parsed["manifest"]["exposures"][f"exposure.thinline.{name}"]
    return {node.rsplit(".", 1)[-1] for node in found["depends_on"]["nodes"]}


def test_the_report_exposure_lists_every_table_the_report_reads(parsed: dict[str, Any]) -> None:
    from thinline.report.sections import SECTIONS

    read = {
        table.removeprefix("analytics.")
        for section in SECTIONS
        for table in section.requires
        if table.startswith("analytics.")
    }
    assert exposure(parsed, "nightly_report") == read


def test_the_bi_dashboard_exposure_covers_the_published_marts(parsed: dict[str, Any]) -> None:
    depends = exposure(parsed, "metabase_revenue_dashboard")
    marts = {
        node["name"]
        for node in parsed["manifest"]["nodes"].values()
        if node["resource_type"] == "model"
        and node["config"]["schema"] is None
        and node["config"]["materialized"] in ("table", "view")  # rpt_conversion_sync: a view
    }
    assert {"fct_deals", "fct_ad_spend_daily", "fct_quota_attainment"} <= depends <= marts
