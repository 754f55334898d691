"""The analyst's loop on the shared published company: a copy of the dbt project is changed
the way an analyst would, checked with `make dbt-check`'s command, diffed, and the docs
served. Only dev_* schemas are written; the published company is read-only here."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import yaml

from tests.integration.conftest import ALL_SOURCES, DBT_VARS, snapshot
from thinline.dbt import PROJECT_DIR

pytestmark = pytest.mark.integration

BIN = Path(sys.executable).parent
SHARED_SCHEMAS = ("analytics", "staging", "intermediate", "seeds", "snapshots")


class Analyst:
    """One analyst: a copy of the dbt project, a dev schema, the published company's home."""

    def __init__(self, project: Path, home: Path, schema: str) -> None:
        self.project, self.home, self.schema = project, home, schema

    def env(self) -> dict[str, str]:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("THINLINE_")}
        return {
            **clean,
            "THINLINE_HOME": str(self.home),
            "THINLINE_SOURCES": ALL_SOURCES,
            "THINLINE_DBT_PROJECT_DIR": str(self.project),
            "THINLINE_DEV_SCHEMA": self.schema,
            "THINLINE_DBT_VARS": DBT_VARS,  # the deployment's vars, as the nightly run's
        }

    def run(self, *command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(command), env=self.env(), capture_output=True, text=True, timeout=600, check=False
        )

    def dbt_check(self) -> subprocess.CompletedProcess[str]:
        """What `make dbt-check` runs."""
        return self.run(str(BIN / "python"), "-m", "thinline.analyst.check")

    def edit_model_sql(self, model: str, old: str, new: str) -> None:
        path = self.project / "models" / "marts" / f"{model}.sql"
        text = path.read_text()
        assert text.count(old) == 1, f"{old!r} not once in {path}"
        path.write_text(text.replace(old, new))

    def edit_model_yaml(self, model: str, change) -> None:
        path = self.project / "models" / "marts" / "_marts__models.yml"
        data = yaml.safe_load(path.read_text())
        (node,) = [item for item in data["models"] if item["name"] == model]
        change(node["columns"])
        path.write_text(yaml.safe_dump(data, sort_keys=False))


def drop_dev_schemas(url: str, schema: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        names = conn.execute(
            "select nspname from pg_namespace where nspname = %s or nspname like %s",
            (schema, schema.replace("_", "\\_") + "\\_%"),
        ).fetchall()
        for (name,) in names:
            conn.execute(f'drop schema "{name}" cascade')


@pytest.fixture
def analyst(published_company: dict, tmp_path: Path) -> Iterator[Analyst]:
    project = tmp_path / "dbt_project"
    shutil.copytree(PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    schema = f"dev_test_{uuid.uuid4().hex[:8]}"
    yield Analyst(project, published_company["home"], schema)
    drop_dev_schemas(published_company["url"], schema)


def relation_ids(url: str) -> dict[str, int]:
    """Every table and view of the shared schemas by name, with its oid (a rebuild changes it)."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select namespace.nspname || '.' || class.relname, class.oid::int "
            "from pg_class as class join pg_namespace as namespace "
            "on namespace.oid = class.relnamespace "
            "where namespace.nspname = any(%s) and class.relkind in ('r', 'v', 'm')",
            (list(SHARED_SCHEMAS),),
        ).fetchall()
    return dict(rows)


def published_only(tables: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    return {name: rows for name, rows in tables.items() if name.startswith("analytics.")}


def test_publish_saved_the_manifest_of_what_bi_reads(published_company: dict) -> None:
    path = Path(published_company["home"]) / "state" / "published" / "manifest.json"
    nodes = json.loads(path.read_text())["nodes"]
    deals = nodes["model.thinline.fct_deals"]
    assert deals["schema"] == "analytics"
    assert deals["relation_name"] == '"thinline"."analytics"."fct_deals"'
    assert nodes["model.thinline.int_deals_unioned"]["schema"] == "intermediate"
    assert not any("analytics_build" in str(node.get("relation_name")) for node in nodes.values())


def test_adding_a_column_passes_builds_in_dev_only_and_diffs(
    analyst: Analyst, published_company: dict
) -> None:
    url = published_company["url"]
    before_rows, before_ids = published_only(snapshot(url)), relation_ids(url)
    analyst.edit_model_sql(
        "dim_campaigns",
        "        is_deleted\n    from unioned",
        "        is_deleted,\n        platform = 'google_ads' as is_google_ads\n    from unioned",
    )
    analyst.edit_model_yaml(
        "dim_campaigns",
        lambda columns: columns.append(
            {
                "name": "is_google_ads",
                "data_type": "boolean",
                "description": "True for Google Ads campaigns.",
            }
        ),
    )
    result = analyst.dbt_check()
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    assert "modified and downstream: " in output and "dim_campaigns" in output
    assert "sqlfluff on changed SQL: models/marts/dim_campaigns.sql" in output
    assert "dbt-check passed" in output

    # Isolation: nothing shared was rebuilt or changed; the dev schema has the changed model.
    assert relation_ids(url) == before_ids
    assert published_only(snapshot(url)) == before_rows
    with psycopg.connect(url) as conn:
        dev_rows, google = conn.execute(
            f'select count(*), count(*) filter (where is_google_ads) from "{analyst.schema}".'
            "dim_campaigns"
        ).fetchone()
        (published_rows,) = conn.execute("select count(*) from analytics.dim_campaigns").fetchone()
        published_columns = conn.execute(
            "select 1 from information_schema.columns where table_schema = 'analytics' "
            "and table_name = 'dim_campaigns' and column_name = 'is_google_ads'"
        ).fetchall()
    assert dev_rows == published_rows > 0 and 0 < google < dev_rows
    assert published_columns == []

    diff = analyst.run(str(BIN / "thinline"), "diff", "dim_campaigns")
    assert diff.returncode == 0, diff.stderr
    assert (
        f"{analyst.schema}.dim_campaigns (dev) vs analytics.dim_campaigns (published), "
        "key: campaign_key"
    ) in diff.stdout
    assert (
        f"rows: published {published_rows}, dev {dev_rows}; only in published 0, only in dev 0"
        in diff.stdout
    )
    assert "changed columns: is_google_ads" in diff.stdout


def test_renaming_a_contracted_column_fails_naming_it(
    analyst: Analyst, published_company: dict
) -> None:
    analyst.edit_model_sql(
        "dim_campaigns",
        "        campaign_name,\n        status,",
        "        campaign_name as campaign_title,\n        status,",
    )

    def rename(columns: list[dict]) -> None:
        (column,) = [item for item in columns if item["name"] == "campaign_name"]
        column["name"] = "campaign_title"

    analyst.edit_model_yaml("dim_campaigns", rename)
    result = analyst.dbt_check()
    assert result.returncode == 1, result.stdout[-3000:]
    assert "analytics.dim_campaigns.campaign_name: contracted column dropped or renamed" in (
        result.stdout
    )
    with psycopg.connect(published_company["url"]) as conn:
        built = conn.execute(
            "select 1 from pg_namespace where nspname = %s", (analyst.schema,)
        ).fetchall()
    assert built == []  # stopped before building anything


def test_docs_are_served_on_localhost(published_company: dict, tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("THINLINE_")}
    env = {
        **clean,
        "THINLINE_HOME": str(published_company["home"]),
        "THINLINE_SOURCES": ALL_SOURCES,
    }
    out = tmp_path / "docs"
    server = subprocess.Popen(
        [str(BIN / "thinline"), "docs", "--port", str(port), "--out", str(out)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        page = ""
        for _ in range(600):  # dbt docs generate first; poll until the server answers
            if server.poll() is not None:
                pytest.fail(f"thinline docs exited: {server.stdout.read()[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html") as response:
                    page = response.read().decode()
                break
            except OSError:
                time.sleep(0.5)
        assert "dim_campaigns" in page and "fct_deals" in page
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert (out / "catalog.json").exists() and (out / "manifest.json").exists()
