"""The published manifest: what dbt's state comparison and deferral compare a dev build to.

The nightly build's own manifest says its marts live in ``analytics_build``; publish renames
that schema to ``analytics``, so deferring to it would read a schema that no longer exists.
Instead, at publish, dbt parses the same project with the prod target's schema set to
``analytics``: dbt itself then writes every relation (``schema``, ``relation_name``) as BI
sees it, with no hand-edited JSON to drift from dbt's manifest format.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from thinline.dbt import run_dbt
from thinline.publish import PUBLISHED

MANIFEST = "manifest.json"


def published_state_dir(home: Path) -> Path:
    """``<THINLINE_HOME>/state/published``: the folder dbt's ``--state`` reads."""
    return Path(home).resolve() / "state" / "published"


def stage_published_manifest(warehouse_url: str, sources: list[str], home: Path) -> Path:
    """Parse the project as it will be published into a staging folder; return that folder.

    Runs before the swap, so a failure here publishes nothing (and a retry is harmless).
    """
    target = published_state_dir(home)
    for leftover in target.parent.glob("published.staged-*"):  # from a publish that failed
        shutil.rmtree(leftover, ignore_errors=True)
    staged = target.with_name(f"published.staged-{os.getpid()}")
    run_dbt(
        ["parse", "--target", "prod", "--target-path", str(staged), "--no-partial-parse"],
        warehouse_url,
        schema=PUBLISHED,
        sources=sources,
    )
    return staged


def promote_published_manifest(staged: Path, home: Path) -> Path:
    """After the swap: make the staged manifest the published one (only manifest.json kept)."""
    target = published_state_dir(home)
    target.parent.mkdir(parents=True, exist_ok=True)
    fresh = target.with_name("published.new")
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir()
    shutil.copy2(staged / MANIFEST, fresh / MANIFEST)
    old = target.with_name("published.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    fresh.rename(target)  # a reader never sees a half-written manifest
    shutil.rmtree(old, ignore_errors=True)
    shutil.rmtree(staged, ignore_errors=True)
    return target
