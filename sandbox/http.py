"""The part every stand-in server shares: a threaded stdlib HTTP server, request log, faults.

A subclass says how to answer (``route``) and how its API fails (``fault_response``); this
base runs it on 127.0.0.1 (or ``host``) with a free port, records every request and injects
the faults.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import time
import traceback
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from sandbox.faults import Fault, FaultPlan, Faults


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Message
    body: bytes

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None

    def json(self) -> Any:
        """The body as JSON; raises ValueError if it is not."""
        return json.loads(self.body or b"null")


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes | Iterable[bytes]  # an iterable is sent chunked, as it is produced
    headers: dict[str, str] = field(default_factory=dict)

    def content(self) -> bytes:
        return self.body if isinstance(self.body, bytes) else b"".join(self.body)


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    query: dict[str, list[str]]
    at: float  # time.monotonic() when the request arrived
    status: int
    fault: Fault | None


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(status, json.dumps(payload).encode(), headers or {})


def json_array_stream(items: Iterable[Any]) -> Iterator[bytes]:
    """A JSON array written element by element, so a big answer is never one big string."""
    yield b"["
    for index, item in enumerate(items):
        yield (b"," if index else b"") + json.dumps(item).encode()
    yield b"]"


class StandInServer:
    """Base of the stand-ins: ``with Server(...) as server:`` serves at ``server.url``."""

    # The address served on: loopback, unless a test's containers must reach it (the address
    # of the host on their network, tests/integration/test_compose_podman.py).
    host = "127.0.0.1"

    def __init__(self, faults: Faults | None = None) -> None:
        self.faults = faults or Faults()
        self.requests: list[RequestRecord] = []
        self._plan = FaultPlan(self.faults)
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # What a subclass provides.
    def route(self, request: Request) -> Response:
        raise NotImplementedError

    def fault_response(self, fault: Fault, nth: int, request: Request) -> Response:
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        """Exactly the ``THINLINE_<SOURCE>__*`` settings that reach this server."""
        raise NotImplementedError

    def takes_faults(self, request: Request) -> bool:
        """Whether faults apply to this request (e.g. not to an OAuth token endpoint)."""
        return True

    # Lifecycle.
    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("server is not running")
        return f"http://{self.host}:{self._httpd.server_address[1]}"

    def start(self) -> Self:
        self._httpd = _HTTPServer((self.host, 0), _Handler)
        self._httpd.stand_in = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},  # how long stop() may wait for the loop to notice
            name=type(self).__name__,
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        with self._lock:  # kept-alive connections would otherwise still be answered
            for connection in self._connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
        self._httpd.server_close()
        if self._thread:
            self._thread.join()
        self._httpd = self._thread = None

    def take_over(self, previous: StandInServer) -> Self:
        """Answer on ``previous``'s socket from now on: the same address, so clients keep their
        settings, while this server's world (a later day of the company) is the one served.
        Each request reads the answering server afresh; one in flight finishes with the old."""
        if previous._httpd is None:
            raise RuntimeError("the server to take over is not running")
        with previous._lock:
            self._httpd, self._thread = previous._httpd, previous._thread
            self.host = previous.host
            self._connections |= previous._connections
            self.requests = previous.requests
            previous._httpd = previous._thread = None
        self._httpd.stand_in = self
        return self

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # Inspection.
    def faults_fired(self) -> Counter[Fault]:
        with self._lock:
            return Counter(r.fault for r in self.requests if r.fault)

    # Request handling (called from handler threads).
    def _respond(self, request: Request) -> tuple[Response, Fault | None]:
        if not self.takes_faults(request):
            return self._route(request), None
        if self.faults.slow_seconds:
            time.sleep(self.faults.slow_seconds)
        planned = self._plan.next()
        if planned is None:
            return self._route(request), None
        fault, nth = planned
        if fault is Fault.MALFORMED:
            response = self._route(request)
            body = response.content()
            return Response(response.status, body[: len(body) // 2], response.headers), fault
        return self.fault_response(fault, nth, request), fault

    def _route(self, request: Request) -> Response:
        try:
            return self.route(request)
        except Exception:  # a sandbox bug: say so loudly rather than hang the client
            traceback.print_exc(file=sys.stderr)
            return json_response(500, {"message": "sandbox internal error (see its stderr)"})

    def _record(self, record: RequestRecord) -> None:
        with self._lock:
            self.requests.append(record)

    def _track(self, connection: socket.socket, open_: bool) -> None:
        with self._lock:
            (self._connections.add if open_ else self._connections.discard)(connection)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    stand_in: StandInServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real clients expect
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.stand_in._track(self.connection, True)

    def finish(self) -> None:
        self.server.stand_in._track(self.connection, False)
        super().finish()

    def _handle(self) -> None:
        arrived = time.monotonic()
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        request = Request(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers=self.headers,
            body=self.rfile.read(length) if length else b"",
        )
        stand_in = self.server.stand_in
        response, fault = stand_in._respond(request)
        stand_in._record(
            RequestRecord(
                request.method, request.path, request.query, arrived, response.status, fault
            )
        )
        try:
            self._write(response)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    def _write(self, response: Response) -> None:
        self.send_response(response.status)
        if not any(name.lower() == "content-type" for name in response.headers):
            self.send_header("Content-Type", "application/json; charset=utf-8")
        for name, value in response.headers.items():
            self.send_header(name, value)
        if isinstance(response.body, bytes):
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            self.wfile.write(response.body)
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for chunk in response.body:
            if chunk:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        self.wfile.write(b"0\r\n\r\n")

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request log is ``StandInServer.requests``


def json_decimal(value: Any) -> Decimal | None:
    """A JSON number (or numeric string) of a request as an exact finite Decimal; None if it
    is none (booleans, objects, NaN, infinity): the conversion stand-ins' value checks."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None
