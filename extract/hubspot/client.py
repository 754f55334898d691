"""HubSpot CRM calls: search pages, cursor-paged lists, batch reads and v4 association batches."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Self

import httpx

from extract.base import SourceError
from extract.http import Failure, FailureKind, HttpClient, Sleep, one_line
from extract.hubspot.settings import HubSpotSettings

TOKEN_HINT = "check THINLINE_HUBSPOT__TOKEN"
LIST_PAGE_MAX = 100  # list endpoints reject larger limits
SEARCH_PAGE_MAX = 200
PROGRESS_PAGES = 50  # log list progress this often, not per page


def classify(response: httpx.Response, body: Any) -> Failure | None:
    """Read HubSpot's ``{"status": "error", "message", "category" | "errorType", ...}`` bodies."""
    if not isinstance(body, dict):
        return None
    category = body.get("category") or body.get("errorType") or body.get("policyName") or "error"
    message = one_line(f"{category}: {body.get('message') or response.reason_phrase}")
    status = response.status_code
    if status == 429:
        if body.get("policyName") == "DAILY":
            hint = "the portal's daily API limit is spent; rerun after it resets at midnight"
            return Failure(FailureKind.DAILY_QUOTA, message, hint=hint)
        return Failure(FailureKind.RETRY, message)
    if status == 401 or category == "INVALID_AUTHENTICATION":
        return Failure(FailureKind.AUTH, message)
    if status == 403:
        hint = f"{TOKEN_HINT} has the crm.objects.*.read scopes"
        return Failure(FailureKind.FATAL, message, hint=hint)
    if status == 530:  # Cloudflare's answer to a malformed token
        return Failure(FailureKind.FATAL, message, hint=TOKEN_HINT)
    if status >= 500:
        return Failure(FailureKind.RETRY, message)
    return Failure(FailureKind.FATAL, message)


class HubSpotClient:
    """One HTTP session against the CRM API; use as a context manager."""

    def __init__(
        self,
        settings: HubSpotSettings,
        *,
        sleep: Sleep = time.sleep,
    ) -> None:
        settings.check_credentials()
        token = settings.token.get_secret_value() if settings.token else ""
        self.settings = settings
        self.http = HttpClient(
            settings,
            classify=classify,
            auth_hint=TOKEN_HINT,
            headers=lambda: {"Authorization": f"Bearer {token}"},
            sleep=sleep,
        )
        self.log = self.http.log

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.http.close()

    def search(self, object_type: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """One page of ``POST /crm/v3/objects/{object_type}/search``."""
        return self._object(self.http.post(f"/crm/v3/objects/{object_type}/search", body))

    def list_all(self, path: str, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """Every result of a list endpoint, following the opaque ``paging.next.after`` cursor."""
        params = {**params, "limit": min(self.settings.page_size, LIST_PAGE_MAX)}
        pages = rows = 0
        while True:
            page = self._object(self.http.get(path, params))
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

    def read_associations(
        self, from_type: str, to_type: str, inputs: list[dict[str, str]]
    ) -> dict[str, Any]:
        """One ``POST /crm/v4/associations/{from}/{to}/batch/read`` call."""
        path = f"/crm/v4/associations/{from_type}/{to_type}/batch/read"
        return self._object(self.http.post(path, {"inputs": inputs}))

    def read_batch(
        self,
        object_type: str,
        ids: Sequence[str],
        properties: Sequence[str],
        properties_with_history: Sequence[str],
    ) -> dict[str, Any]:
        """One ``POST /crm/v3/objects/{object_type}/batch/read`` (207 when some ids are gone)."""
        body = {
            "inputs": [{"id": object_id} for object_id in ids],
            "properties": list(properties),
            "propertiesWithHistory": list(properties_with_history),
        }
        return self._object(self.http.post(f"/crm/v3/objects/{object_type}/batch/read", body))

    def _object(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            kind = type(body).__name__
            raise SourceError(f"hubspot: expected a JSON object, got {kind} — has the API changed?")
        return body


def next_after(page: Mapping[str, Any]) -> str | None:
    """The next-page cursor, or None on the last page (``paging`` absent)."""
    after = ((page.get("paging") or {}).get("next") or {}).get("after")
    return None if after in (None, "") else str(after)
