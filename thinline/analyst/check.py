"""``make dbt-check``: build and test only what changed, against what is published.

1. ``dbt ls -s state:modified+ --state <published>``: dbt's state comparison. dbt's own
   breaking-change findings on contracted models (removed column, changed type) fail too.
2. The published contract (``published_contract.yml``) against the changed project's models:
   a dropped or renamed contracted table/column fails here, by name, before anything builds.
3. ``dbt build -s state:modified+ --defer --favor-state --state <published>`` into the
   analyst's dev schema: unchanged parents are read from the published tables and views.
4. The contract again, against the columns the rebuilt tables really have.
5. sqlfluff on the changed SQL files only.

Usage: ``python -m thinline.analyst.check [--state DIR] [--no-lint]``; exit 0 when all pass.
The published manifest comes from ``--state``, ``THINLINE_PUBLISHED_STATE`` or
``<THINLINE_HOME>/state/published`` (written by every publish).
"""

from __future__ import annotations

import argparse
import configparser
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from extract.base import ConfigError
from thinline.analyst.contract import Break, check_contract, load_contract
from thinline.analyst.dbt_cli import DbtContext, analyst_context, run_analyst_dbt
from thinline.analyst.state import MANIFEST, published_state_dir
from thinline.dbt import PROJECT_DIR, dbt_env
from thinline.processes import installed_script

REPO_ROOT = PROJECT_DIR.parent
# What the check lists and reports as changed (tests are built with their models).
LISTED = ["--resource-type", "model", "--resource-type", "snapshot", "--resource-type", "seed"]
LISTED += ["--output", "name"]


def state_dir(ctx: DbtContext, explicit: str | None = None) -> Path:
    """The folder holding the published manifest.json; ConfigError if there is none."""
    folder = Path(explicit).resolve() if explicit else ctx.state
    if folder is None or not (folder / MANIFEST).exists():
        where = folder or published_state_dir(ctx.home)
        raise ConfigError(
            f"no published manifest in {where}: run the nightly pipeline once "
            "(thinline run), or point THINLINE_PUBLISHED_STATE at the published manifest's folder"
        )
    return folder


def read_manifest(folder: Path) -> dict[str, Any]:
    return json.loads((folder / MANIFEST).read_text())


def changed_sql_files(dev: dict[str, Any], published: dict[str, Any]) -> list[str]:
    """Project-relative paths of SQL files whose node is new or whose content changed."""
    before = {
        key: node.get("checksum", {}).get("checksum") for key, node in published["nodes"].items()
    }
    changed = {
        node["original_file_path"]
        for key, node in dev["nodes"].items()
        if node.get("original_file_path", "").endswith(".sql")
        and node.get("checksum", {}).get("checksum") != before.get(key)
    }
    return sorted(changed)


def built_columns(ctx: DbtContext, tables: list[str]) -> dict[str, list[str]]:
    """Columns of the contracted tables that exist in the dev schema (built by this check)."""
    with psycopg.connect(ctx.url) as conn:
        rows = conn.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = %s and table_name = any(%s) order by ordinal_position",
            (ctx.schema, tables),
        ).fetchall()
    columns: dict[str, list[str]] = {}
    for table, column in rows:
        columns.setdefault(table, []).append(column)
    return columns


def lint(ctx: DbtContext, files: list[str]) -> int:
    """sqlfluff (dbt templater, the repo's .sqlfluff) on the given project files."""
    config = configparser.ConfigParser(interpolation=None)
    config.read(REPO_ROOT / ".sqlfluff")
    section = "sqlfluff:templater:dbt"
    config[section]["project_dir"] = str(ctx.project_dir)
    config[section]["profiles_dir"] = str(ctx.project_dir)
    with tempfile.NamedTemporaryFile("w", suffix=".sqlfluff", delete=False) as handle:
        config.write(handle)
    try:
        sqlfluff = installed_script("sqlfluff")
        paths = [str(ctx.project_dir / name) for name in files]
        env = {**os.environ, **dbt_env(ctx.url, sources=ctx.sources)}
        command = [str(sqlfluff), "lint", "--config", handle.name, *paths]
        return subprocess.run(command, env=env, cwd=REPO_ROOT, check=False).returncode
    finally:
        os.unlink(handle.name)


def read_ls_events(output: str) -> tuple[list[str], list[str], list[str]]:
    """From ``dbt ls --log-format json``: selected names, dbt's breaking-change findings
    (contracted models only) and error lines."""
    selected: list[str] = []
    breaks: list[str] = []
    errors: list[str] = []
    for line in output.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        info, data = event.get("info", {}), event.get("data", {})
        if info.get("name") == "PrintEvent":
            selected.append(data.get("msg", "").strip())
        elif info.get("name") in ("UnversionedBreakingChange", "BreakingChangeError"):
            removed = data.get("columns_removed") or []
            found = [f"columns removed: {', '.join(removed)}"] if removed else []
            found += [
                f"{change['column_name']} type {change['previous_column_type']} -> "
                f"{change['current_column_type']}"
                for change in data.get("column_type_changes") or []
            ]
            if not found:  # contract disabled, constraint removed, materialization changed
                found = [str(item) for item in data.get("breaking_changes") or []]
            message = f"{data.get('model_name')}: breaking change, {'; '.join(found)}"
            if message not in breaks:  # dbt reports each model twice
                breaks.append(message)
        elif info.get("level") == "error":
            errors.append(info.get("msg", "").strip())
    return selected, breaks, errors


def report_breaks(breaks: list[Break], say: Callable[[str], None]) -> None:
    say("\nBI-facing columns this change would break (published_contract.yml):")
    for item in breaks:
        say(f"  {item}")


def run_check(
    ctx: DbtContext, state: Path, with_lint: bool = True, say: Callable[[str], None] = print
) -> int:
    """The whole check; returns the exit code (0 = safe to ship)."""
    state_args = ["--state", str(state)]
    say(f"dbt-check: dev schema {ctx.schema}, published manifest {state / MANIFEST}")
    listed = run_analyst_dbt(
        ctx,
        ["ls", "-s", "state:modified+", *state_args, *LISTED, "--log-format", "json"],
        capture=True,
    )
    selected, dbt_breaks, errors = read_ls_events(listed.stdout)
    for line in errors:
        say(f"dbt: {line}")
    if listed.returncode != 0:
        say(listed.stderr[-2000:])
        return listed.returncode
    say(f"modified and downstream: {', '.join(selected) or 'nothing'}")
    if dbt_breaks:
        say("\ndbt's contract comparison with the published manifest:")
        for line in dbt_breaks:
            say(f"  {line}")

    published = read_manifest(state)
    dev = read_manifest(ctx.target_path)
    contract = load_contract(ctx.project_dir)
    breaks = check_contract(contract, dev, published)
    if breaks:
        report_breaks(breaks, say)
    if breaks or dbt_breaks:
        say("dbt-check failed: published contract (nothing built)")
        return 1

    # --favor-state: unselected parents always come from what is published, even when an
    # older build of them sits in the dev schema.
    build = run_analyst_dbt(
        ctx, ["build", "-s", "state:modified+", "--defer", "--favor-state", *state_args]
    )
    rebuilt = sorted(table for table in contract if table in selected)
    breaks = check_contract(contract, dev, published, built_columns(ctx, rebuilt))
    if breaks:
        report_breaks(breaks, say)

    files = changed_sql_files(dev, published)
    lint_code = 0
    if with_lint and files:
        say(f"sqlfluff on changed SQL: {', '.join(files)}")
        lint_code = lint(ctx, files)
    failed = [
        name
        for name, code in (("dbt build", build.returncode), ("sqlfluff", lint_code))
        if code != 0
    ] + (["published contract"] if breaks else [])
    if failed:
        say(f"dbt-check failed: {', '.join(failed)}")
        return 1
    say("dbt-check passed: changed models build and test, the published contract holds")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make dbt-check", description=__doc__.split("\n")[0])
    parser.add_argument("--state", help="folder of the published manifest.json")
    parser.add_argument("--no-lint", action="store_true", help="skip sqlfluff")
    options = parser.parse_args(argv)
    try:
        ctx = analyst_context()
        state = state_dir(ctx, options.state)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return run_check(ctx, state, with_lint=not options.no_lint)


if __name__ == "__main__":
    sys.exit(main())
