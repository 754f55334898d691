"""A tiny static file server for the report site, bound to 127.0.0.1 (``thinline report open``)."""

from __future__ import annotations

from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """No access log: the command's output stays the URL to open."""


def report_server(site: Path, port: int = 0) -> ThreadingHTTPServer:
    """A server for ``site`` on 127.0.0.1 (port 0: any free port); call ``serve_forever``."""
    handler = partial(_QuietHandler, directory=str(site))
    return ThreadingHTTPServer(("127.0.0.1", port), handler)


def server_url(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}/index.html"
