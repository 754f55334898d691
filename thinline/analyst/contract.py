"""The published contract (``dbt_project/published_contract.yml``) against a dev build.

A contracted table or column that the changed project no longer has would break whatever BI
reads from ``analytics``: it is reported by name, e.g.
``analytics.fct_deals.amount: contracted column dropped or renamed``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from thinline.publish import PUBLISHED

CONTRACT_FILE = "published_contract.yml"


@dataclass(frozen=True, order=True)
class Break:
    """One contracted name the changed project would no longer publish."""

    table: str
    column: str | None
    reason: str

    def __str__(self) -> str:
        name = f"{PUBLISHED}.{self.table}" + (f".{self.column}" if self.column else "")
        return f"{name}: {self.reason}"


def load_contract(project_dir: Path) -> dict[str, list[str]]:
    """Contracted tables and their columns, from the project's published_contract.yml."""
    data = yaml.safe_load((project_dir / CONTRACT_FILE).read_text()) or {}
    return {table: list(columns or []) for table, columns in (data.get("tables") or {}).items()}


def model_columns(manifest: dict[str, Any]) -> dict[str, list[str]]:
    """Enabled models by relation name (alias) and their declared columns."""
    return {
        node.get("alias") or node["name"]: list(node.get("columns") or {})
        for node in manifest.get("nodes", {}).values()
        if node.get("resource_type") == "model"
    }


def check_contract(
    contract: dict[str, list[str]],
    dev_manifest: dict[str, Any],
    published_manifest: dict[str, Any] | None = None,
    built_columns: dict[str, list[str]] | None = None,
) -> list[Break]:
    """Every contracted table/column missing from the changed project.

    ``dev_manifest`` gives each model's declared (contract-enforced) columns; ``built_columns``
    (tables actually built in the dev schema) are checked too when given, so a model whose
    SQL and YAML disagree cannot slip through. A contracted table that neither the project nor
    the published manifest has yet is not delivered, not broken, and is skipped.
    """
    dev = model_columns(dev_manifest)
    published = model_columns(published_manifest) if published_manifest else {}
    built = built_columns or {}
    breaks: list[Break] = []
    for table, columns in sorted(contract.items()):
        if table not in dev:
            if table in published:
                breaks.append(Break(table, None, "contracted table dropped or renamed"))
            continue
        present = set(dev[table])
        if table in built:
            present &= set(built[table])
        for column in columns:
            if column in present:
                continue
            was_published = column in published.get(table, [])
            reason = (
                "contracted column dropped or renamed"
                if was_published or published_manifest is None
                else "contracted column missing (named in the published contract)"
            )
            breaks.append(Break(table, column, reason))
    return breaks


def extend_contract(project_dir: Path, published_manifest: dict[str, Any]) -> list[str]:
    """Add every column the published manifest has for a contracted table (never removes
    one); return the added ``table.column`` names. Run it after a publish that shipped columns.
    """
    path = project_dir / CONTRACT_FILE
    contract = load_contract(project_dir)
    published = model_columns(published_manifest)
    added = []
    for table, columns in contract.items():
        for column in published.get(table, []):
            if column not in columns:
                columns.append(column)
                added.append(f"{table}.{column}")
    lines = [line for line in path.read_text().splitlines() if line.startswith("#")]
    lines.append("tables:")
    for table, columns in contract.items():
        lines.append(f"  {table}:" + ("" if columns else " []"))
        lines += [f"    - {column}" for column in columns]
    path.write_text("\n".join(lines) + "\n")
    return added


def main(argv: list[str] | None = None) -> int:
    """``python -m thinline.analyst.contract extend``: add shipped columns to the contract."""
    import argparse
    import json

    from thinline.analyst.dbt_cli import project_dir, published_state
    from thinline.analyst.state import MANIFEST
    from thinline.settings import load_settings

    parser = argparse.ArgumentParser(prog="python -m thinline.analyst.contract")
    parser.add_argument("command", choices=["extend"])
    parser.add_argument("--state", help="folder of the published manifest.json")
    options = parser.parse_args(argv)
    folder = (
        Path(options.state) if options.state else published_state(load_settings().home.resolve())
    )
    if folder is None or not (folder / MANIFEST).exists():
        print("error: no published manifest; pass --state DIR", file=sys.stderr)
        return 2
    added = extend_contract(project_dir(), json.loads((folder / MANIFEST).read_text()))
    print(f"added to {CONTRACT_FILE}: {', '.join(added) or 'nothing'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
