"""GX Data Docs for every run: ``<state folder>/site/data_docs/index.html``.

The gates run in separate Airflow tasks, so each one adds its validation results to a
filesystem store (``<state folder>/quality/gx``) and rebuilds the site from it. A store
belongs to one run: the first gate of a new run empties it, so the site shows the latest
run (history lives in ``ops.quality_results``).

No secret can reach the site: suites hold SQL over warehouse tables only (``{batch}``, and
a few whole tables such as ``ops.load_batches``), and the validation results name the data
source and table, never the connection (which GX only ever sees as
``${THINLINE_GX_WAREHOUSE_URL}``).
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import great_expectations as gx
from great_expectations.core import ExpectationSuiteValidationResult
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.types.base import DataContextConfig, ProgressBarsConfig
from great_expectations.data_context.types.resource_identifiers import (
    ExpectationSuiteIdentifier,
    ValidationResultIdentifier,
)

log = logging.getLogger(__name__)

RUN_MARKER = "run_id"
SITE = "thinline"


def docs_dir(home: Path) -> Path:
    """Where the site goes: the report (``site/index.html``) links ``data_docs/index.html``."""
    return home.resolve() / "site" / "data_docs"


def store_dir(home: Path) -> Path:
    return home.resolve() / "quality" / "gx"


def build_data_docs(
    home: Path,
    run_id: str,
    validations: Sequence[tuple[gx.ExpectationSuite, ExpectationSuiteValidationResult]],
) -> Path:
    """Add ``validations`` (suite, result) to this run's store and rebuild the site; return
    the path of its ``index.html``."""
    store, site = store_dir(home), docs_dir(home)
    marker = store / RUN_MARKER
    if store.exists() and (not marker.exists() or marker.read_text() != run_id):
        shutil.rmtree(store)  # a new run: the site shows this run only
        shutil.rmtree(site, ignore_errors=True)
    store.mkdir(parents=True, exist_ok=True)
    marker.write_text(run_id)
    context = gx.get_context(mode="ephemeral", project_config=_config(store, site))
    run = RunIdentifier(run_name=run_id, run_time=datetime.now(UTC))
    for suite, result in validations:
        for expectation in suite.expectations:
            expectation.description = _coded(expectation.description, expectation.meta)
        for item in result.results:
            config = item.expectation_config
            config.description = _coded(config.description, config.meta)
        suite_id = ExpectationSuiteIdentifier(name=suite.name)
        context.expectations_store.set(suite_id, suite)
        key = ValidationResultIdentifier(suite_id, run, batch_identifier=_batch_id(result))
        context.validation_results_store.set(key, result)
    context.build_data_docs(site_names=[SITE])
    index = site / "index.html"
    log.info("quality | Data Docs: %s", index)
    return index


def merge(parts: list[ExpectationSuiteValidationResult]) -> ExpectationSuiteValidationResult:
    """One result per suite and table from the runner's passes (column checks, row checks)."""
    first = parts[0]
    results = [result for part in parts for result in part.results]
    successful = sum(bool(result.success) for result in results)
    return ExpectationSuiteValidationResult(
        success=all(part.success for part in parts),
        results=results,
        suite_name=first.suite_name,
        statistics={
            "evaluated_expectations": len(results),
            "successful_expectations": successful,
            "unsuccessful_expectations": len(results) - successful,
            "success_percent": 100.0 * successful / len(results) if results else None,
        },
        meta=first.meta,
    )


def _coded(description: str | None, meta: dict[str, Any] | None) -> str:
    """``"HS-DEAL-011 [critical] amount is >= 0"``: the rule code shows on every page."""
    meta = meta or {}
    prefix = f"{meta.get('rule', 'UNCODED')} [{meta.get('severity', 'critical')}]"
    text = description or ""
    return text if text.startswith(prefix) else f"{prefix} {text}".strip()


def _batch_id(result: ExpectationSuiteValidationResult) -> str:
    meta: dict[str, Any] = result.meta or {}
    batch = meta.get("active_batch_definition") or {}
    name = batch.get("data_asset_name") if isinstance(batch, dict) else None
    return str(name or result.suite_name)


def _config(store: Path, site: Path) -> DataContextConfig:
    def backend(folder: str) -> dict[str, str]:
        return {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(store / folder)}

    return DataContextConfig(
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
        stores={
            "expectations_store": {
                "class_name": "ExpectationsStore",
                "store_backend": backend("expectations"),
            },
            "validation_results_store": {
                "class_name": "ValidationResultsStore",
                "store_backend": backend("validations"),
            },
            "checkpoint_store": {
                "class_name": "CheckpointStore",
                "store_backend": {"class_name": "InMemoryStoreBackend"},
            },
            "validation_definition_store": {
                "class_name": "ValidationDefinitionStore",
                "store_backend": {"class_name": "InMemoryStoreBackend"},
            },
        },
        expectations_store_name="expectations_store",
        validation_results_store_name="validation_results_store",
        checkpoint_store_name="checkpoint_store",
        data_docs_sites={
            SITE: {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(site),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            }
        },
    )
