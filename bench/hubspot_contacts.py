"""A light HubSpot stand-in for the memory benchmark: N synthetic contacts, made on request.

The sandbox world plans every record up front and filters them all per search call, which
is too heavy at a million contacts. Here contact ``i`` (id ``i + 1``) is a pure function of
``i``: its ``lastmodifieddate`` is spread evenly over ``[start_ms, end_ms)``, so a search
window maps to an index range by bisection and a page is built only when asked for. It
speaks the same wire format as ``sandbox.hubspot_server`` for what the connector calls:
search with ``GTE``/``LT`` filter groups on the modified date, numeric ``after`` offsets
and the 10,000-result cap (400 past it); archived list paging with an opaque cursor;
owners and pipelines (empty); companies and deals (none). Every 50th extra id is an
archived contact (archived inside the range), so the deleted-record path is exercised too.
"""

from __future__ import annotations

import base64
import bisect
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sandbox.clock import iso
from sandbox.faults import Fault
from sandbox.http import Request, Response, StandInServer, json_response

TOKEN = "pat-na1-bench-0000-0000-0000-000000000000"
SEARCH_CAP = 10_000
ARCHIVED_EVERY = 50  # one archived contact per this many live ones
LIFECYCLE = ("lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer")
SOURCES = (
    ("ORGANIC_SEARCH", "google", "Keywords unavailable"),
    ("PAID_SEARCH", "Brand - US", "thinline revenue"),
    ("REFERRALS", "g2.com", "https://www.g2.com/categories/revenue"),
    ("DIRECT_TRAFFIC", None, None),
)


class SyntheticContacts(StandInServer):
    def __init__(self, count: int, start_ms: int, end_ms: int) -> None:
        super().__init__()
        self.count, self.start_ms, self.span = count, start_ms, end_ms - start_ms
        self.archived = count // ARCHIVED_EVERY

    def modified_ms(self, index: int) -> int:
        return self.start_ms + index * self.span // self.count

    def route(self, request: Request) -> Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return _error(401, "INVALID_AUTHENTICATION", "Authentication credentials are invalid.")
        path = request.path.rstrip("/")
        if request.method == "POST" and path.endswith("/search"):
            return self._search(request, path.split("/")[-2])
        if request.method == "GET" and path == "/crm/v3/objects/contacts":
            return self._archived_list(request)
        if request.method == "GET" and path.startswith("/crm/v3/"):
            return json_response(200, {"results": []})  # owners, pipelines, other lists
        return _error(404, "OBJECT_NOT_FOUND", f"no bench route for {request.method} {path}")

    def fault_response(self, fault: Fault, nth: int, request: Request) -> Response:
        raise NotImplementedError("the memory benchmark injects no faults")

    def _search(self, request: Request, kind: str) -> Response:
        body = json.loads(request.body)
        limit, after = int(body.get("limit", 10)), int(body.get("after", 0))
        if after >= SEARCH_CAP:
            message = f"search cannot page past {SEARCH_CAP} results; narrow the query"
            return _error(400, "VALIDATION_ERROR", message)
        first, last = 0, self.count if kind == "contacts" else 0
        indices = range(self.count)
        for group in body.get("filterGroups") or []:  # the connector sends one group
            for spec in group["filters"]:
                value = int(spec["value"])
                if spec["operator"] == "GTE":
                    first = max(first, bisect.bisect_left(indices, value, key=self.modified_ms))
                elif spec["operator"] == "LT":
                    last = min(last, bisect.bisect_left(indices, value, key=self.modified_ms))
                else:
                    return _error(400, "VALIDATION_ERROR", f"unsupported {spec['operator']}")
        total = max(0, last - first)
        page = range(first + after, min(first + after + limit, last))
        wanted = body.get("properties") or []
        payload: dict[str, Any] = {
            "total": total,
            "results": [self._contact(i, wanted) for i in page],
        }
        if after + limit < total:
            following = str(after + limit)
            payload["paging"] = {"next": {"after": following, "link": f"?after={following}"}}
        return json_response(200, payload)

    def _archived_list(self, request: Request) -> Response:
        if request.param("archived") != "true":
            return _error(400, "VALIDATION_ERROR", "the bench serves only archived lists")
        limit = min(int(request.param("limit") or 10), 100)
        start = _decode(request.param("after"))
        wanted = (request.param("properties") or "").split(",")
        page = range(start, min(start + limit, self.archived))
        payload: dict[str, Any] = {"results": [self._archived_contact(k, wanted) for k in page]}
        if page.stop < self.archived:
            payload["paging"] = {"next": {"after": _encode(page.stop), "link": "?after="}}
        return json_response(200, payload)

    def _contact(self, index: int, wanted: list[str]) -> dict[str, Any]:
        modified = self.modified_ms(index)
        created = max(self.start_ms, modified - 86_400_000 * (index % 30))
        properties = _properties(index + 1, created, modified)
        return {
            "id": str(index + 1),
            "properties": {name: properties.get(name) for name in wanted},
            "createdAt": iso(created),
            "updatedAt": iso(modified),
            "archived": False,
        }

    def _archived_contact(self, nth: int, wanted: list[str]) -> dict[str, Any]:
        record = self._contact(nth * ARCHIVED_EVERY, wanted)
        record["id"] = str(self.count + nth + 1)  # ids past the live ones
        record["archived"] = True
        record["archivedAt"] = record["updatedAt"]
        return record


def _properties(contact_id: int, created: int, modified: int) -> dict[str, str | None]:
    stage = LIFECYCLE[contact_id % len(LIFECYCLE)]
    source, data_1, data_2 = SOURCES[contact_id % len(SOURCES)]
    stage_dates = {
        f"hs_lifecyclestage_{name}_date": iso(created + 3_600_000 * n) if n <= reached else None
        for reached in [LIFECYCLE.index(stage)]
        for n, name in enumerate(LIFECYCLE)
    }
    return {
        "email": f"contact{contact_id}@example{contact_id % 997}.com",
        "firstname": f"First{contact_id % 313}",
        "lastname": f"Last{contact_id % 419}",
        "createdate": iso(created),
        "lastmodifieddate": iso(modified),
        "hs_object_id": str(contact_id),
        "lifecyclestage": stage,
        **stage_dates,
        "hs_analytics_source": source,
        "hs_analytics_source_data_1": data_1,
        "hs_analytics_source_data_2": data_2,
        "hs_latest_source": source,
        "hs_latest_source_data_1": data_1,
        "hs_latest_source_data_2": data_2,
        "hs_google_click_id": f"Cj0KCQ{contact_id:012d}" if source == "PAID_SEARCH" else None,
        "hs_facebook_click_id": None,
        "associatedcompanyid": str(1_000_000 + contact_id % 5_000),
        "hubspot_owner_id": str(70_000 + contact_id % 12),
    }


def _error(status: int, category: str, message: str) -> Response:
    return json_response(status, {"status": "error", "message": message, "category": category})


def _encode(offset: int) -> str:
    return base64.urlsafe_b64encode(str(offset).encode()).decode().rstrip("=")


def _decode(after: str | None) -> int:
    if not after:
        return 0
    return int(base64.urlsafe_b64decode(after + "=" * (-len(after) % 4)).decode())


@contextmanager
def serve_contacts(count: int, start_ms: int, end_ms: int) -> Iterator[dict[str, str]]:
    """Serve ``count`` contacts; yield the settings the HubSpot connector needs."""
    with SyntheticContacts(count, start_ms, end_ms) as server:
        yield {"THINLINE_HUBSPOT__BASE_URL": server.url, "THINLINE_HUBSPOT__TOKEN": TOKEN}
