"""HubSpot CRM calls at the configured API version: search pages, cursor-paged lists, batch
reads, association batches, property definitions and account details.

HubSpot versions its APIs by date after the API name (``/crm/objects/2026-09/contacts``);
``legacy`` is the old layout with the version after ``crm`` (``/crm/v3/objects/contacts``,
``/crm/v4/associations/…``). Error bodies are ``{"status": "error", "message",
"correlationId", "category" | "errorType", "errors"?}``; a path HubSpot does not serve (a
version not yet released or no longer served) is a 404 without a category.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import httpx

from extract.base import ConfigError, SourceError
from extract.http import ApiSession, Failure, FailureKind, HttpClient, RecordPath, Sleep, one_line
from extract.hubspot.settings import HubSpotSettings

TOKEN_ENV = "THINLINE_HUBSPOT__TOKEN"
VERSION_ENV = "THINLINE_HUBSPOT__API_VERSION"
TOKEN_HINT = (
    f"check {TOKEN_ENV}: create a service key (HubSpot: Development > Keys > Service keys) "
    "with the crm.objects.*.read scopes, or use an existing private-app token"
)
LIST_PAGE_MAX = 100  # list endpoints reject larger limits
SEARCH_PAGE_MAX = 200
PROGRESS_PAGES = 50  # log list progress this often, not per page
# The legacy path of each API: its version goes after the API name's first part.
LEGACY_PATHS = {
    "crm/objects": "crm/v3/objects",
    "crm/properties": "crm/v3/properties",
    "crm/owners": "crm/v3/owners",
    "crm/pipelines": "crm/v3/pipelines",
    "crm/associations": "crm/v4/associations",
    "account-info": "account-info/v3",
    "settings/currencies": "settings/v3/currencies",
}
DATE_VERSION = re.compile(r"\d{4}-\d{2}(-beta)?")
RESULTS = ("results", "*")  # where a page's records are: kept as the JSON text HubSpot sent


def api_path(version: str, api: str, *parts: str) -> str:
    """The path of ``api`` (e.g. ``crm/objects``) at ``version``, then ``parts``."""
    if version == "legacy":
        base = LEGACY_PATHS[api]
    elif DATE_VERSION.fullmatch(version):
        base = f"{api}/{version}"
    else:
        raise ConfigError(
            f"hubspot: {VERSION_ENV}={version} is not a HubSpot API version — set it to a date "
            "version such as 2026-09 (extract/hubspot/versions.toml) or to legacy"
        )
    return "/" + "/".join((base, *parts))


def version_hint(version: str | None) -> str:
    """What to do when HubSpot answers that it does not serve a path."""
    setting = f"{VERSION_ENV}={version}" if version else VERSION_ENV
    return (
        f"HubSpot does not serve this path: {setting} may be past its end of support or not "
        "yet released; set a version HubSpot serves today (extract/hubspot/versions.toml)"
    )


def classify(response: httpx.Response, body: Any, version: str | None = None) -> Failure | None:
    """Read HubSpot's error bodies: its category, message, missing scopes and correlation id;
    ``version`` (the configured one) goes into the hint for a path HubSpot does not serve."""
    if not isinstance(body, dict):
        return None
    category = body.get("category") or body.get("errorType") or body.get("policyName")
    scopes = required_scopes(body)
    message = vendor_message(
        category, body.get("message") or response.reason_phrase, scopes, body.get("correlationId")
    )
    status = response.status_code
    if status == 429:
        if body.get("policyName") == "DAILY":
            hint = "the portal's daily API limit is spent; rerun after it resets at midnight"
            return Failure(FailureKind.DAILY_QUOTA, message, hint=hint)
        return Failure(FailureKind.RETRY, message)
    if status == 401 or category == "INVALID_AUTHENTICATION":
        return Failure(FailureKind.AUTH, message)
    if status == 403:
        if scopes:
            hint = f"give the service key in {TOKEN_ENV} the scope {' or '.join(scopes)}"
        else:
            hint = f"check the service key in {TOKEN_ENV} has the crm.objects.*.read scopes"
        return Failure(FailureKind.FATAL, message, hint=hint)
    if status == 404 and category is None:
        return Failure(FailureKind.FATAL, message, hint=version_hint(version))
    if status == 530:  # Cloudflare's answer to a malformed token
        return Failure(FailureKind.FATAL, message, hint=TOKEN_HINT)
    if status >= 500:
        return Failure(FailureKind.RETRY, message)
    return Failure(FailureKind.FATAL, message)


def required_scopes(body: Mapping[str, Any]) -> list[str]:
    """The scopes a 403 says the call needs (``errors[].context.requiredGranularScopes``,
    or the older ``requiredScopes``); any one of them is enough."""
    scopes: list[str] = []
    for error in [body, *(body.get("errors") or [])]:
        context = error.get("context") if isinstance(error, dict) else None
        if isinstance(context, dict):
            for key in ("requiredGranularScopes", "requiredScopes"):
                scopes += [str(scope) for scope in context.get(key) or []]
    return list(dict.fromkeys(scopes))


def vendor_message(
    category: str | None, text: str, scopes: Sequence[str], correlation_id: str | None
) -> str:
    """``CATEGORY (requires one of: …): message (correlationId …)`` on one line, the id kept
    whole: it is what HubSpot support asks for."""
    head = category or ""
    if scopes:
        head += f" (requires one of: {', '.join(scopes)})"
    head = f"{head}: {text}" if head else str(text)
    tail = f" (correlationId {correlation_id})" if correlation_id else ""
    return one_line(head, 200 - len(tail)) + tail


class HubSpotClient(ApiSession):
    """One HTTP session against the CRM API at the configured version; a context manager."""

    def __init__(
        self,
        settings: HubSpotSettings,
        *,
        sleep: Sleep = time.sleep,
    ) -> None:
        settings.check_credentials()
        api_path(settings.api_version, "crm/objects")  # a malformed version fails here
        token = settings.token.get_secret_value() if settings.token else ""
        self.settings = settings
        self.http = HttpClient(
            settings,
            classify=functools.partial(classify, version=settings.api_version),
            auth_hint=TOKEN_HINT,
            headers=lambda: {"Authorization": f"Bearer {token}"},
            sleep=sleep,
        )
        self.log = self.http.log

    def path(self, api: str, *parts: str) -> str:
        return api_path(self.settings.api_version, api, *parts)

    def search(self, object_type: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """One page of ``POST /crm/objects/{version}/{object_type}/search``."""
        path = self.path("crm/objects", object_type, "search")
        return self._object(self.http.post(path, body, records_at=RESULTS))

    def page(
        self, path: str, params: Mapping[str, Any], records_at: RecordPath | None = None
    ) -> dict[str, Any]:
        """One answer of a GET endpoint."""
        return self._object(self.http.get(path, params, records_at))

    def list_all(self, path: str, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """Every result of a list endpoint, following the opaque ``paging.next.after`` cursor."""
        params = {**params, "limit": min(self.settings.page_size, LIST_PAGE_MAX)}
        pages = rows = 0
        while True:
            page = self.page(path, params, RESULTS)
            results = page.get("results") or []
            pages, rows = pages + 1, rows + len(results)
            if pages % PROGRESS_PAGES == 0:
                self.log.info("hubspot: GET %s: %d rows so far (%d pages)", path, rows, pages)
            yield from results
            after = next_after(page)
            if after is None:
                break
            params = {**params, "after": after}
        self.log.info("hubspot: GET %s: %d rows in %d pages", path, rows, pages)

    def properties(self, object_type: str) -> list[dict[str, Any]]:
        """Every property definition of ``object_type`` (unpaged), the portal's own included."""
        page = self.page(self.path("crm/properties", object_type), {})
        return [item for item in page.get("results") or [] if isinstance(item, dict)]

    def read_associations(
        self, from_type: str, to_type: str, inputs: list[dict[str, str]]
    ) -> dict[str, Any]:
        """One ``POST /crm/associations/{version}/{from}/{to}/batch/read`` call."""
        path = self.path("crm/associations", from_type, to_type, "batch", "read")
        return self._object(self.http.post(path, {"inputs": inputs}))

    def read_batch(
        self,
        object_type: str,
        ids: Sequence[str],
        properties: Sequence[str],
        properties_with_history: Sequence[str] = (),
        *,
        archived: bool = False,
    ) -> dict[str, Any]:
        """One ``POST /crm/objects/{version}/{object_type}/batch/read`` (207 when some ids are
        gone); ``archived`` reads archived records only. Properties go in the body, so no URL
        limit applies however many there are."""
        body = {
            "inputs": [{"id": object_id} for object_id in ids],
            "properties": list(properties),
            "propertiesWithHistory": list(properties_with_history),
        }
        path = self.path("crm/objects", object_type, "batch", "read")
        params = {"archived": "true"} if archived else None
        return self._object(
            self.http.request("POST", path, params=params, json=body, records_at=RESULTS)
        )

    def _object(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            kind = type(body).__name__
            raise SourceError(f"hubspot: expected a JSON object, got {kind} — has the API changed?")
        return body


def next_after(page: Mapping[str, Any]) -> str | None:
    """The next-page cursor, or None on the last page (``paging`` absent)."""
    after = ((page.get("paging") or {}).get("next") or {}).get("after")
    return None if after in (None, "") else str(after)
