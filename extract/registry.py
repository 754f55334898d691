"""The sources Thinline can extract: every sub-package of :mod:`extract` is one, named by its
folder (the one name used everywhere: ``raw_<name>``, ``THINLINE_<NAME>__*``, task ids), and
declares itself in its ``__init__.py`` as ``MANIFEST`` (:class:`extract.connector.SourceManifest`).

Adding a source is one new folder here plus its dbt staging models (README: "Adding a source").
Importing this module is light (the standard library only): DAG files list the sources with
:func:`source_names` at parse time without importing any connector.
"""

from __future__ import annotations

import importlib
import importlib.util
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from extract.connector import SourceManifest

ALL = "all"  # THINLINE_SOURCES=all: every registered source


@cache
def source_names() -> tuple[str, ...]:
    """The registered sources, sorted: the sub-packages of ``extract`` (found on disk, not
    imported)."""
    spec = importlib.util.find_spec("extract")
    folders = spec.submodule_search_locations if spec else None
    return tuple(
        sorted(
            path.name
            for folder in folders or []
            for path in Path(folder).iterdir()
            if (path / "__init__.py").is_file() and not path.name.startswith("_")
        )
    )


def expand(text: str) -> list[str]:
    """A ``THINLINE_SOURCES`` value as names (``all``: every registered source); names are not
    checked here (:func:`check_names`)."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    return list(source_names()) if names == [ALL] else names


def check_names(names: list[str]) -> None:
    """A one-line ConfigError for a name that is not a registered source."""
    from extract.base import ConfigError

    for name in names:
        if name not in source_names():
            known = ", ".join(source_names())
            raise ConfigError(f"unknown source '{name}' (known: {known})")


@cache
def manifest(name: str) -> SourceManifest:
    """The manifest of source ``name`` (imports its package)."""
    check_names([name])
    found = getattr(importlib.import_module(f"extract.{name}"), "MANIFEST", None)
    if found is None or found.name != name or found.settings.source != name:
        raise TypeError(f"extract/{name}/__init__.py must define MANIFEST for source '{name}'")
    return found


def manifests() -> list[SourceManifest]:
    return [manifest(name) for name in source_names()]
