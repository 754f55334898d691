"""The published manifest: what dbt's state comparison and deferral compare a dev build to.

The nightly build's own manifest says its marts live in ``analytics_build``; publish renames
that schema to ``analytics``, so deferring to it would read a schema that no longer exists.
Instead, at publish, dbt parses the same project with the prod target's schema set to
``analytics``: dbt itself then writes every relation (``schema``, ``relation_name``) as BI
sees it, with no hand-edited JSON to drift from dbt's manifest format.

That parse is a fixed cost of every night, so it is paid only when its inputs changed: the
published folder keeps a digest of them (every file of the dbt project, the enabled sources,
the deployment's dbt vars, dbt's version), and a night whose digest matches reuses the
published manifest as it is. The folder also keeps dbt's ``partial_parse.msgpack``, so the
docs (thinline/docs.py) reuse the parse instead of compiling the project again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from importlib.metadata import version
from pathlib import Path

from thinline.dbt import PROJECT_DIR, run_dbt
from thinline.publish import PUBLISHED
from thinline.state import StateFolder

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
PARSE_STATE = "partial_parse.msgpack"  # dbt's own parse cache, valid for the same inputs
DIGEST = "inputs.sha256"
KEPT = (MANIFEST, PARSE_STATE, DIGEST)
SKIPPED_FOLDERS = {"target", "logs", "dbt_packages", ".user.yml"}


def inputs_digest(sources: list[str], project_dir: Path = PROJECT_DIR) -> str:
    """A digest of everything the published parse depends on."""
    digest = hashlib.sha256()
    for path in sorted(project_dir.rglob("*")):
        relative = path.relative_to(project_dir)
        if path.is_file() and not SKIPPED_FOLDERS.intersection(relative.parts):
            digest.update(str(relative).encode() + b"\0" + path.read_bytes() + b"\0")
    extra = [",".join(sources), os.environ.get("THINLINE_DBT_VARS", ""), version("dbt-core")]
    digest.update("\0".join([*extra, PUBLISHED]).encode())
    return digest.hexdigest()


def published_state_dir(home: Path) -> Path:
    """``<THINLINE_HOME>/state/published``: the folder dbt's ``--state`` reads."""
    return StateFolder.of(home).published_state


def stage_published_manifest(warehouse_url: str, sources: list[str], home: Path) -> Path:
    """Parse the project as it will be published into a staging folder; return that folder.

    Runs before the swap, so a failure here publishes nothing (and a retry is harmless).
    """
    target = published_state_dir(home)
    for leftover in target.parent.glob("published.staged-*"):  # from a publish that failed
        shutil.rmtree(leftover, ignore_errors=True)
    staged = target.with_name(f"published.staged-{os.getpid()}")
    digest = inputs_digest(sources)
    if _digest_of(target) == digest and (target / MANIFEST).is_file():
        shutil.copytree(target, staged)  # same inputs, same manifest: no parse
        log.info("published manifest reused (project, sources and vars unchanged)")
        return staged
    run_dbt(
        ["parse", "--target", "prod", "--target-path", str(staged), "--no-partial-parse"],
        warehouse_url,
        schema=PUBLISHED,
        sources=sources,
    )
    (staged / DIGEST).write_text(digest)
    return staged


def _digest_of(folder: Path) -> str | None:
    try:
        return (folder / DIGEST).read_text().strip()
    except OSError:
        return None


def promote_published_manifest(staged: Path, home: Path) -> Path:
    """After the swap: make the staged manifest the published one (the manifest, dbt's parse
    cache and the digest of their inputs are kept)."""
    target = published_state_dir(home)
    target.parent.mkdir(parents=True, exist_ok=True)
    fresh = target.with_name("published.new")
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir()
    for name in KEPT:
        if (staged / name).is_file():
            shutil.copy2(staged / name, fresh / name)
    old = target.with_name("published.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    fresh.rename(target)  # a reader never sees a half-written manifest
    shutil.rmtree(old, ignore_errors=True)
    shutil.rmtree(staged, ignore_errors=True)
    return target
