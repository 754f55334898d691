"""dbt docs of the published project: built as static files, served on 127.0.0.1.

``build_dbt_docs`` is what the run report publishes (``<home>/site/dbt_docs/``) and what
``thinline docs`` serves. The catalog is read from the published ``analytics`` schema.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import tempfile
from pathlib import Path

from thinline.analyst.state import MANIFEST, PARSE_STATE
from thinline.dbt import run_dbt
from thinline.publish import PUBLISHED

# static_index.html embeds manifest and catalog: it opens from disk with no server at all.
ARTIFACTS = ("manifest.json", "catalog.json")


def build_dbt_docs(
    warehouse_url: str,
    out_dir: Path,
    sources: list[str] | None = None,
    published: Path | None = None,
) -> Path:
    """``dbt docs generate --static`` against ``analytics`` into ``out_dir``; return index.html.

    ``published``: the published manifest's folder (thinline.analyst.state); when it holds
    dbt's parse cache for these inputs, the docs reuse it and skip compiling the project."""
    if sources is None:
        from thinline.settings import load_settings
        from thinline.state import enabled_sources

        sources = enabled_sources(load_settings())
    out_dir = Path(out_dir)
    with tempfile.TemporaryDirectory(prefix="thinline-docs-") as work:
        command = ["docs", "generate", "--static", "--target", "prod", "--target-path", work]
        if published is not None and (published / PARSE_STATE).is_file():
            # the publish's parse, reused: only the catalog is read (no compile, a fixed cost
            # of every night otherwise); the docs then show each model's source SQL
            for name in (MANIFEST, PARSE_STATE):
                shutil.copyfile(published / name, Path(work) / name)
            command.append("--no-compile")
        run_dbt(command, warehouse_url, schema=PUBLISHED, sources=sources)
        out_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(work) / "static_index.html", out_dir / "index.html")
        for name in ARTIFACTS:
            shutil.copyfile(Path(work) / name, out_dir / name)
    return out_dir / "index.html"


def serve_docs(folder: Path, port: int) -> http.server.ThreadingHTTPServer:
    """An HTTP server for ``folder`` on 127.0.0.1 (call ``serve_forever`` on it)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
