"""The OAuth 2.0 refresh-token grant, shared by the sources that have one (Salesforce,
Google Ads, LinkedIn): trade the refresh token for an access token at ``token_url``."""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import SecretStr

from extract.base import SourceError
from extract.http import HttpClient


class RefreshTokenSettings(Protocol):
    token_url: str
    client_id: str | None
    client_secret: SecretStr | None
    refresh_token: SecretStr | None


def refresh_token_grant(
    http: HttpClient, source: str, settings: RefreshTokenSettings, hint: str
) -> dict[str, Any]:
    """POST the grant as a form to the settings' ``token_url``; return the token response,
    which has an ``access_token``."""
    secret, refresh = settings.client_secret, settings.refresh_token
    form = {
        "grant_type": "refresh_token",
        "client_id": settings.client_id or "",
        "client_secret": secret.get_secret_value() if secret else "",
        "refresh_token": refresh.get_secret_value() if refresh else "",
    }
    body = http.request("POST", settings.token_url, data=form, authenticated=False)
    if not isinstance(body, dict) or not body.get("access_token"):
        raise SourceError(f"{source}: token response has no access_token — {hint}")
    http.log.info("%s: access token refreshed", source)
    return body
