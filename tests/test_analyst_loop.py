"""The analyst's loop without a published run: dev schema names, the contract check, the
repo's project against its own published contract and docs, and the one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from extract.base import ConfigError
from tests.conftest import one_error_line, run_cli
from thinline.analyst.check import changed_sql_files
from thinline.analyst.contract import Break, check_contract, load_contract
from thinline.analyst.dbt_cli import dev_schema, refuse_other_targets
from thinline.dbt import PROJECT_DIR
from thinline.warehouse import EmbeddedWarehouse

BIN = Path(sys.executable).parent


def manifest(models: dict[str, list[str]], checksums: dict[str, str] | None = None) -> dict:
    """A minimal dbt manifest: one model node per table, with its declared columns."""
    return {
        "nodes": {
            f"model.thinline.{name}": {
                "resource_type": "model",
                "name": name,
                "alias": name,
                "columns": {column: {"name": column} for column in columns},
                "original_file_path": f"models/marts/{name}.sql",
                "checksum": {"checksum": (checksums or {}).get(name, "same")},
            }
            for name, columns in models.items()
        }
    }


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"THINLINE_DEV_SCHEMA": "dev_alice"}, "dev_alice"),
        ({"THINLINE_DEV_SCHEMA": "analytics"}, "dev_analytics"),
        ({"THINLINE_ANALYST": "Alice Smith-Jones"}, "dev_alice_smith_jones"),
        ({"THINLINE_ANALYST": "bob", "THINLINE_DEV_SCHEMA": "dev_team"}, "dev_team"),
        ({"THINLINE_ANALYST": "x" * 80}, "dev_" + "x" * 36),
    ],
)
def test_dev_schema_is_always_a_sanitised_dev_schema(env: dict, expected: str) -> None:
    assert dev_schema(env) == expected


def test_dev_schema_falls_back_to_the_os_user() -> None:
    name = dev_schema({})
    assert name.startswith("dev_") and len(name) > len("dev_")
    with pytest.raises(ConfigError, match="THINLINE_DEV_SCHEMA"):
        dev_schema({"THINLINE_ANALYST": "***"})


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["build", "--target", "prod"], {}),
        (["run", "--target=prod"], {}),
        (["build", "-t", "prod"], {}),
        (["build", "-tprod"], {}),
        (["build"], {"DBT_TARGET": "prod"}),
        (["build", "--profiles-dir", "/tmp/mine"], {}),
        (["build", "--profile=other"], {}),
        (["build"], {"DBT_PROFILES_DIR": "/tmp/mine"}),
    ],
)
def test_only_the_dev_target(args: list[str], env: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match=r"prod|profile"):
        refuse_other_targets(args, env)
    refuse_other_targets(["build", "-t", "dev", "-s", "fct_deals+"], {})
    refuse_other_targets(["build", "-tdev"], {"DBT_TARGET": "dev"})


def test_contract_check_names_each_broken_column() -> None:
    contract = {"fct_deals": ["deal_key", "amount"], "dim_dates": ["date_day"], "rpt_funnel": []}
    published = manifest({"fct_deals": ["deal_key", "amount"], "dim_dates": ["date_day"]})
    added = manifest(
        {"fct_deals": ["deal_key", "amount", "amount_band"], "dim_dates": ["date_day"]}
    )
    assert check_contract(contract, added, published) == []
    renamed = manifest({"fct_deals": ["deal_key", "deal_amount"], "dim_dates": ["date_day"]})
    breaks = check_contract(contract, renamed, published)
    assert [str(item) for item in breaks] == [
        "analytics.fct_deals.amount: contracted column dropped or renamed"
    ]
    dropped_table = manifest({"fct_deals": ["deal_key", "amount"]})
    assert check_contract(contract, dropped_table, published) == [
        Break("dim_dates", None, "contracted table dropped or renamed")
    ]


def test_contract_check_reads_the_built_columns_too() -> None:
    contract = {"fct_deals": ["deal_key", "amount"]}
    declared = manifest({"fct_deals": ["deal_key", "amount"]})
    built = {"fct_deals": ["deal_key", "amount_usd"]}
    assert [item.column for item in check_contract(contract, declared, declared, built)] == [
        "amount"
    ]


def test_a_contracted_column_never_delivered_is_reported_as_missing() -> None:
    contract = {"fct_attribution": ["conversion_id", "credit"]}
    dev = manifest({"fct_attribution": ["conversion_id", "attribution_credit"]})
    (item,) = check_contract(contract, dev, manifest({}))
    assert str(item) == (
        "analytics.fct_attribution.credit: contracted column missing "
        "(named in the published contract)"
    )


def test_changed_sql_files_are_new_or_edited_nodes() -> None:
    published = manifest({"fct_deals": [], "dim_dates": []})
    dev = manifest({"fct_deals": [], "dim_dates": [], "fct_new": []}, {"dim_dates": "edited"})
    assert changed_sql_files(dev, published) == [
        "models/marts/dim_dates.sql",
        "models/marts/fct_new.sql",
    ]


# -- the repository's own project ---------------------------------------------------------


@pytest.fixture(scope="module")
def parsed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The repo's dbt project parsed (no database needed), all sources enabled."""
    target = tmp_path_factory.mktemp("parsed")
    env = {
        **os.environ,
        "THINLINE_PG_HOST": "127.0.0.1",
        "THINLINE_PG_USER": "nobody",
        "THINLINE_PG_PASSWORD": "",
        "THINLINE_PG_DATABASE": "nothing",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    env.pop("THINLINE_SOURCES", None)
    command = [
        str(BIN / "dbt"),
        "parse",
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR),
        "--target-path",
        str(target),
        "--no-partial-parse",
    ]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-3000:]
    return json.loads((target / "manifest.json").read_text())


def published_models(manifest_data: dict[str, Any]) -> list[dict[str, Any]]:
    """The models publish swaps into analytics: everything under models/marts/."""
    return [
        node
        for node in manifest_data["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1] == "marts"
    ]


def test_every_published_model_and_column_is_described(parsed: dict[str, Any]) -> None:
    gaps = []
    for node in published_models(parsed):
        if not node["description"].strip():
            gaps.append(f"{node['name']}: no model description")
        if not node["columns"]:
            gaps.append(f"{node['name']}: no columns documented")
        gaps += [
            f"{node['name']}.{column}: no description"
            for column, spec in node["columns"].items()
            if not spec.get("description", "").strip()
        ]
    assert len(published_models(parsed)) >= 4
    assert gaps == [], "undescribed published models/columns:\n" + "\n".join(gaps)


def test_the_project_honours_the_published_contract(parsed: dict[str, Any]) -> None:
    contract = load_contract(PROJECT_DIR)
    assert {"fct_deals", "fct_attribution", "fct_quota_attainment"} <= contract.keys()
    assert "amount" in contract["fct_deals"]
    breaks = check_contract(contract, parsed)
    assert breaks == [], "\n".join(str(item) for item in breaks)


# -- one-line errors ------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["dbt", "build", "-s", "fct_deals+"], ["diff", "fct_deals"]])
def test_no_warehouse_is_one_line(tmp_path: Path, command: list[str]) -> None:
    result = run_cli(str(BIN / "thinline"), *command, home=tmp_path)
    assert result.returncode == 2
    assert "embedded warehouse in" in one_error_line(result)
    assert "is not running; start it with `thinline warehouse start`" in result.stderr


def test_unreachable_warehouse_is_one_line_without_the_password(tmp_path: Path) -> None:
    url = "postgresql://thinline:s3cret-pw@127.0.0.1:1/warehouse"
    result = run_cli(str(BIN / "thinline"), "dbt", "ls", home=tmp_path, THINLINE_WAREHOUSE_URL=url)
    assert result.returncode == 2
    assert "warehouse unreachable at postgresql://thinline:***@127.0.0.1:1" in one_error_line(
        result
    )
    assert "s3cret-pw" not in result.stderr + result.stdout


def test_dbt_check_without_a_published_manifest(
    tmp_path: Path, embedded_warehouse: EmbeddedWarehouse
) -> None:
    result = run_cli(
        str(BIN / "python"),
        "-m",
        "thinline.analyst.check",
        home=tmp_path,
        THINLINE_WAREHOUSE_URL=embedded_warehouse.url(),
        THINLINE_SOURCES="hubspot",
    )
    assert result.returncode == 2
    assert "no published manifest in" in one_error_line(result)


def test_the_prod_target_is_refused(tmp_path: Path) -> None:
    result = run_cli(str(BIN / "thinline"), "dbt", "run", "--target", "prod", home=tmp_path)
    assert result.returncode == 2
    assert "not target prod" in one_error_line(result)


# -- thinline diff and the published manifest's folder -------------------------------------


def test_diff_counts_rows_values_nulls_and_sums(fresh_database: str, tmp_path: Path) -> None:
    import psycopg

    from thinline.analyst.dbt_cli import DbtContext
    from thinline.analyst.diff import diff_table, render

    with psycopg.connect(fresh_database, autocommit=True) as conn:
        for schema in ("analytics", "dev_alice"):
            conn.execute(f"create schema {schema}")
        conn.execute(
            "create table analytics.fct_deals (deal_key text primary key, amount numeric, "
            "stage_name text, probability integer)"
        )
        conn.execute(
            "insert into analytics.fct_deals values ('a', 10.5, 'won', 1), ('b', 20, null, 2), "
            "('c', 5, 'lost', 3)"
        )
        # the dev build: c dropped, d added, b's amount and stage changed, probability now text
        conn.execute(
            "create table dev_alice.fct_deals (deal_key text, amount numeric, stage_name text, "
            "probability text, amount_band text)"
        )
        conn.execute(
            "insert into dev_alice.fct_deals values ('a', 10.5, 'won', '1', 'small'), "
            "('b', 25, 'open', '2', 'large'), ('d', 1, null, '4', null)"
        )
    ctx = DbtContext(fresh_database, [], tmp_path, PROJECT_DIR, "dev_alice")
    result = diff_table(ctx, "fct_deals")
    assert result.key == ["deal_key"]
    assert (result.rows_published, result.rows_dev) == (3, 3)
    assert (result.only_published, result.only_dev, result.matched) == (1, 1, 2)
    columns = {column.name: column for column in result.columns}
    amount = columns["amount"]
    assert (amount.differing, amount.sum_published, amount.sum_dev) == (1, 35.5, 36.5)
    stage = columns["stage_name"]
    assert (stage.differing, stage.nulls_published, stage.nulls_dev) == (1, 1, 1)
    assert columns["probability"].differing == 0  # compared as text across the type change
    assert columns["probability"].sum_dev is None
    assert columns["amount_band"].status == "only in dev"
    lines: list[str] = []
    render(result, lines.append)
    assert lines[1] == "  rows: published 3, dev 3; only in published 1, only in dev 1, in both 2"
    assert lines[-1] == "  changed columns: amount, stage_name, amount_band"
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        conn.execute("create table analytics.fct_missing (x integer)")
    with pytest.raises(ConfigError, match=r"dev_alice\.fct_missing does not exist: build it"):
        diff_table(ctx, "fct_missing")


def test_the_published_manifest_is_replaced_whole(tmp_path: Path) -> None:
    from thinline.analyst.state import promote_published_manifest, published_state_dir

    for version in ("first", "second"):
        staged = tmp_path / f"staged-{version}"
        staged.mkdir()
        (staged / "manifest.json").write_text(json.dumps({"version": version}))
        (staged / "partial_parse.msgpack").write_text(f"parse {version}")
        (staged / "run_results.json").write_text("not kept")
        target = promote_published_manifest(staged, tmp_path)
        assert not staged.exists()
    assert target == published_state_dir(tmp_path) == tmp_path.resolve() / "state" / "published"
    # the manifest and dbt's parse cache travel together (the docs reuse the parse)
    assert sorted(path.name for path in target.iterdir()) == [
        "manifest.json",
        "partial_parse.msgpack",
    ]
    assert json.loads((target / "manifest.json").read_text()) == {"version": "second"}
    assert (target / "partial_parse.msgpack").read_text() == "parse second"
    assert sorted(path.name for path in target.parent.iterdir()) == ["published"]


def test_extend_contract_adds_shipped_columns_and_removes_none(tmp_path: Path) -> None:
    from thinline.analyst.contract import extend_contract

    (tmp_path / "published_contract.yml").write_text(
        "# the contract\ntables:\n  fct_deals:\n    - deal_key\n    - amount\n  rpt_funnel: []\n"
    )
    shipped = manifest({"fct_deals": ["deal_key", "amount_band"], "fct_other": ["x"]})
    assert extend_contract(tmp_path, shipped) == ["fct_deals.amount_band"]
    assert load_contract(tmp_path) == {
        "fct_deals": ["deal_key", "amount", "amount_band"],
        "rpt_funnel": [],
    }
    assert (tmp_path / "published_contract.yml").read_text().startswith("# the contract\n")


def test_dbt_itself_refuses_prod_under_thinline_dbt(tmp_path: Path) -> None:
    """An edited profile (here: its default target turned to prod) gets past the CLI's checks;
    dbt stops it while resolving schemas, before anything is built (no warehouse needed)."""
    import subprocess
    import sys

    from thinline.dbt import PROJECT_DIR, dbt_env

    env = {
        **os.environ,
        **dbt_env("postgresql://parse:parse@127.0.0.1:1/parse"),
        "THINLINE_DBT_TARGET": "prod",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    command = [
        str(Path(sys.executable).parent / "dbt"),
        "parse",
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR),
        "--target-path",
        str(tmp_path / "target"),
        "--log-path",
        str(tmp_path),
        "--no-partial-parse",
    ]
    guarded = subprocess.run(
        command, env={**env, "THINLINE_DBT_DEV_ONLY": "1"}, capture_output=True, text=True
    )
    assert guarded.returncode != 0
    assert "thinline dbt builds only into your dev schema" in guarded.stdout
    unguarded = subprocess.run(command, env=env, capture_output=True, text=True)
    assert unguarded.returncode == 0, unguarded.stdout[-2000:]  # the nightly run's own prod
