"""One client, one connection: the pages of a stream follow each other on a kept-alive
connection, and records come back with the text they were sent as."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from extract.http import HttpClient, RawRecord
from extract.hubspot import HubSpotSettings

PAGE = b'{"results": [{"id": "1", "amount": 1.50}, {"id": "2"}], "total": 2}'


class _Pages(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the vendors answer
    connections = 0

    def setup(self) -> None:
        type(self).connections += 1
        super().setup()

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def pages() -> Iterator[str]:
    _Pages.connections = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_a_client_reuses_its_connection_for_every_page(pages: str) -> None:
    settings = HubSpotSettings(base_url=pages, token="pat-test")
    with HttpClient(settings, classify=lambda *_: None, auth_hint="") as client:
        bodies = [client.get("/page", {"after": str(n)}, ("results", "*")) for n in range(5)]
    assert _Pages.connections == 1
    first = bodies[0]["results"][0]
    assert type(first) is RawRecord and first.text == '{"id": "1", "amount": 1.50}'
    assert bodies[0] == bodies[4] and bodies[0]["total"] == 2
