"""Local stand-ins for the alert channels: a Slack-compatible webhook receiver and a minimal
SMTP server, recording what they were sent (tests/test_alerts.py, the scheduler test)."""

from __future__ import annotations

import json
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Received:
    def __init__(self) -> None:
        self.webhook: list[str] = []
        self.mail: list[Any] = []


class _Webhook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.webhook.append(json.loads(body)["text"])  # type: ignore[attr-defined]
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        pass


class _Smtp(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) for smtplib's send_message: greeting, EHLO, MAIL, RCPT,
    DATA up to the lone dot, QUIT."""

    def handle(self) -> None:
        self.wfile.write(b"220 localhost test SMTP\r\n")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb == b"EHLO" or verb == b"HELO":
                self.wfile.write(b"250 localhost\r\n")
            elif verb == b"DATA":
                self.wfile.write(b"354 end with <CRLF>.<CRLF>\r\n")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                self.server.received.mail.append(message_from_bytes(data))  # type: ignore[attr-defined]
                self.wfile.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:  # MAIL, RCPT, RSET, NOOP
                self.wfile.write(b"250 ok\r\n")


@contextmanager
def alert_receivers(secret: str) -> Iterator[tuple[Received, dict[str, str]]]:
    """Both channels listening on 127.0.0.1, and the THINLINE_ALERT_* settings that reach
    them (the webhook's path holds ``secret``, as a real hook's does)."""
    received = Received()
    webhook = ThreadingHTTPServer(("127.0.0.1", 0), _Webhook)
    smtp = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Smtp)
    for server in (webhook, smtp):
        server.received = received  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {
        "THINLINE_ALERT_WEBHOOK_URL": f"http://127.0.0.1:{webhook.server_port}/hooks/{secret}",
        "THINLINE_ALERT_SMTP_URL": f"smtp://127.0.0.1:{smtp.server_address[1]}",
        "THINLINE_ALERT_EMAIL_TO": "oncall@example.com",
    }
    try:
        yield received, env
    finally:
        for server in (webhook, smtp):
            server.shutdown()
            server.server_close()
