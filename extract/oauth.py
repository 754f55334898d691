"""OAuth 2.0, shared by the sources that use it (Salesforce, Google Ads, LinkedIn, Microsoft
Advertising): the access token a connector's streams share, and the refresh-token grant that
renews it at ``token_url``."""

from __future__ import annotations

import math
import time
from typing import Any, Protocol

from pydantic import SecretStr

from extract.base import SourceError
from extract.http import HttpClient

EARLY_SECONDS = 60.0  # renew a little before the token endpoint says the token expires


class AccessToken:
    """The access token one connector's streams share: a refresh by any of them replaces it for
    all. ``granted`` is the token response it came with (``scope``, Salesforce's
    ``instance_url``, LinkedIn's ``refresh_token_expires_in``); ``read_once`` holds what a
    connector reads once per run with it (Salesforce's describes)."""

    def __init__(self, value: str | None = None) -> None:
        self.value = value or None
        self.granted: dict[str, Any] = {}
        self.read_once: dict[str, Any] = {}
        self.expires_at = math.inf  # time.monotonic(); without expires_in, until a 401 says so

    def fresh(self) -> bool:
        return self.value is not None and time.monotonic() < self.expires_at

    def grant(self, body: dict[str, Any]) -> None:
        """Take a token response's ``access_token`` (and ``expires_in``, seconds)."""
        self.value, self.granted = str(body["access_token"]), body
        expires_in = body.get("expires_in")
        self.expires_at = (
            time.monotonic() + max(float(expires_in) - EARLY_SECONDS, 0.0)
            if isinstance(expires_in, int | float) and not isinstance(expires_in, bool)
            else math.inf
        )

    def refresh(
        self,
        http: HttpClient,
        source: str,
        settings: RefreshTokenSettings,
        hint: str,
        scope: str | None = None,
    ) -> None:
        """Renew by the refresh-token grant (:func:`refresh_token_grant`)."""
        self.grant(refresh_token_grant(http, source, settings, hint, scope))

    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.value or ''}"}


class RefreshTokenSettings(Protocol):
    token_url: str
    client_id: str | None
    client_secret: SecretStr | None
    refresh_token: SecretStr | None


def refresh_token_grant(
    http: HttpClient,
    source: str,
    settings: RefreshTokenSettings,
    hint: str,
    scope: str | None = None,
) -> dict[str, Any]:
    """POST the grant as a form to the settings' ``token_url``; return the token response,
    which has an ``access_token``. ``scope`` is sent when given (the Microsoft identity
    platform's v2.0 endpoint asks for it)."""
    secret, refresh = settings.client_secret, settings.refresh_token
    form = {
        "grant_type": "refresh_token",
        "client_id": settings.client_id or "",
        "client_secret": secret.get_secret_value() if secret else "",
        "refresh_token": refresh.get_secret_value() if refresh else "",
    }
    if scope:
        form["scope"] = scope
    body = http.request("POST", settings.token_url, data=form, authenticated=False)
    if not isinstance(body, dict) or not body.get("access_token"):
        raise SourceError(f"{source}: token response has no access_token — {hint}")
    http.log.info("%s: access token refreshed", source)
    return body
