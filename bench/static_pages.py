"""Pre-rendered pages for the extract benchmark: each source's answers, served from memory.

One proxy per stand-in origin (``sandbox.serve``), all in one process. The first time a
request is seen (method, path with query, body) it is forwarded to the stand-in and its answer
kept: status, headers and body, with the stand-ins' origins in the body (Salesforce's
``instance_url``) rewritten to the proxies'. Every later identical request is answered from
memory, the stand-in untouched. So one extract records a company and every extract after it
measures Thinline's own cost (HTTP, parsing, loading), not the stand-ins' (the HubSpot stand-in
filters its whole world per search page).

Each proxy listens twice: plain HTTP and, when a certificate is given, HTTPS (TLS 1.2+, the
certificate made by :func:`self_signed` at benchmark time; nothing downloaded). Both are
HTTP/1.1 keep-alive, a thread per connection. ``GET /__static_pages__`` answers the counts.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import re
import ssl
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from sandbox import WorldConfig, build_world, serve

STATS_PATH = "/__static_pages__"
TLS_ORIGINS_ENV = "BENCH_STATIC_TLS_ORIGINS"  # JSON {plain origin: TLS origin}
ORIGIN = re.compile(r"http://127\.0\.0\.1:\d+")
# Hop-by-hop or recomputed on replay; everything else (vendor headers) is replayed as recorded.
DROPPED_HEADERS = frozenset(
    {"connection", "content-length", "transfer-encoding", "keep-alive", "date", "server"}
)
FORWARDED_HEADERS = frozenset({"host", "content-length", "connection", "accept-encoding"})


@dataclass(frozen=True)
class Page:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes  # as the stand-in answered, its origins not yet rewritten


class Recorder:
    """The pages of one stand-in origin: forwarded once, then answered from memory."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.pages: dict[tuple[str, str, bytes], Page] = {}
        self.rendered: dict[tuple[str, tuple[str, str, bytes]], bytes] = {}  # per listener
        self.origins: dict[str, str] = {}  # stand-in origin -> this listener's, set by the pool
        self.forwarded = self.replayed = 0
        self._lock = threading.Lock()
        self._http = httpx.Client(base_url=upstream, timeout=600)

    def answer(
        self, method: str, path: str, headers: dict[str, str], body: bytes, listener: str
    ) -> tuple[int, tuple[tuple[str, str], ...], bytes]:
        key = (method, path, body)
        with self._lock:
            page = self.pages.get(key)
            if page is None:  # one at a time: the stand-ins are only ever asked once
                response = self._http.request(method, path, headers=headers, content=body)
                kept = tuple(
                    (name, value)
                    for name, value in response.headers.multi_items()
                    if name.lower() not in DROPPED_HEADERS
                )
                page = self.pages[key] = Page(response.status_code, kept, response.content)
                self.forwarded += 1
            else:
                self.replayed += 1
            rendered = self.rendered.get((listener, key))
            if rendered is None:
                rendered = page.body
                for stand_in, proxy in self.origins[listener].items():
                    rendered = rendered.replace(stand_in.encode(), proxy.encode())
                self.rendered[(listener, key)] = rendered
        return page.status, page.headers, rendered


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        recorder = self.server.recorder
        if self.path == STATS_PATH:
            counts = {"forwarded": recorder.forwarded, "replayed": recorder.replayed}
            status, headers, payload = 200, (), json.dumps(counts).encode()
        else:
            sent = {
                name: value
                for name, value in self.headers.items()
                if name.lower() not in FORWARDED_HEADERS
            }
            status, headers, payload = recorder.answer(
                self.command, self.path, sent, body, self.server.listener
            )
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, recorder: Recorder, listener: str, tls: ssl.SSLContext | None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.recorder, self.listener = recorder, listener
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)

    @property
    def origin(self) -> str:
        scheme = "https" if self.listener == "https" else "http"
        return f"{scheme}://127.0.0.1:{self.server_address[1]}"


@contextmanager
def _listening(server: _Server) -> Iterator[_Server]:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def serve_static(config: WorldConfig, cert: tuple[str, str] | None) -> Iterator[dict[str, str]]:
    """The stand-ins for ``config``'s world behind recording proxies (runs in the server
    process); yields the THINLINE_* settings that reach the proxies' plain listeners, and
    under ``TLS_ORIGINS_ENV`` the TLS listener of each (when ``cert`` is given)."""
    tls = None
    if cert is not None:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.minimum_version = ssl.TLSVersion.TLSv1_2
        tls.load_cert_chain(*cert)
    with serve(build_world(config)) as sources, ExitStack() as stack:
        origins = sorted(
            {found for value in sources.env.values() for found in ORIGIN.findall(value)}
        )
        recorders = {origin: Recorder(origin) for origin in origins}
        listeners = {"http": {}, "https": {}}  # listener -> stand-in origin -> proxy origin
        for origin, recorder in recorders.items():
            plain = stack.enter_context(_listening(_Server(recorder, "http", None)))
            listeners["http"][origin] = plain.origin
            if tls is not None:
                secure = stack.enter_context(_listening(_Server(recorder, "https", tls)))
                listeners["https"][origin] = secure.origin
        for recorder in recorders.values():
            recorder.origins = listeners
        env = {name: _rewrite(value, listeners["http"]) for name, value in sources.env.items()}
        tls_origins = {listeners["http"][o]: listeners["https"][o] for o in listeners["https"]}
        yield {**env, TLS_ORIGINS_ENV: json.dumps(tls_origins)}


def _origins(env: dict[str, str]) -> list[str]:
    """The plain-HTTP origins the settings name (the TLS ones are under TLS_ORIGINS_ENV)."""
    return sorted(
        {
            found
            for name, value in env.items()
            for found in ORIGIN.findall(value)
            if name != TLS_ORIGINS_ENV
        }
    )


def _rewrite(text: str, origins: dict[str, str]) -> str:
    return ORIGIN.sub(lambda match: origins.get(match[0], match[0]), text)


def over_tls(env: dict[str, str]) -> dict[str, str]:
    """``env`` (from :func:`serve_static`) pointed at the TLS listeners instead."""
    origins = json.loads(env.get(TLS_ORIGINS_ENV) or "{}")
    return {name: _rewrite(value, origins) for name, value in env.items()}


def counts(env: dict[str, str]) -> dict[str, int]:
    """Requests forwarded to the stand-ins and replayed from memory so far, over all proxies."""
    totals = {"forwarded": 0, "replayed": 0}
    for origin in _origins(env):
        stats = httpx.get(f"{origin}{STATS_PATH}", timeout=30).json()
        for name in totals:
            totals[name] += stats[name]
    return totals


def self_signed(folder: Path) -> tuple[str, str]:
    """A certificate and key for 127.0.0.1 (its own CA), made now; returns their paths."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "thinline bench 127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "bench-cert.pem", folder / "bench-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)
