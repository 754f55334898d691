"""Which fields a query selects: every field the object's describe lists, within SOQL's limits.

An org's objects differ: ``CurrencyIsoCode`` exists only once multiple currencies are enabled,
field-level security hides fields from the integration user, and each org adds its own custom
``__c`` fields. So the SELECT is built from ``GET …/sobjects/{Object}/describe`` (read once per
object per run), not from a fixed list, and custom fields pass through to the raw ``record``:

* every field describe lists, in Thinline's known order first, then the org's others;
* not compound fields (``address`` / ``location``: their components are listed and selected) nor
  ``base64`` blobs (Bulk API cannot query either; a raw JSON record is no place for files);
* the relationship fields Thinline reads (``UserRole.Name``) when their lookup is visible;
* the fields Thinline's models need (:attr:`SObjectType.required`) must be visible, or the read
  stops with one line naming object and field;
* SOQL statements may be 100,000 characters and a REST request's URI and headers 16,384 bytes
  (help article 000386264): past :data:`URI_BUDGET`, the org's trailing extra fields are left out
  and counted as skipped, never a required one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

from extract.base import SourceError

if TYPE_CHECKING:
    from extract.salesforce.streams import SObjectType

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
UNSELECTED_TYPES = frozenset({"address", "location", "base64"})
URI_BUDGET = 16_384 - 2_048  # leave room for the headers (the session token among them)
FLS_FIX = (
    "grant the integration user read access (field-level security: the permission set or profile "
    "Thinline's integration user has)"
)


@dataclass(frozen=True)
class Selection:
    fields: tuple[str, ...]
    left_out: tuple[str, ...] = ()  # past the request-size limit


def readable_fields(describe: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The describe's fields a query can select, by name, in describe order."""
    return {
        str(field["name"]): field
        for field in describe.get("fields") or ()
        if isinstance(field, dict)
        and field.get("name")
        and field.get("type") not in UNSELECTED_TYPES
        and not field.get("deprecatedAndHidden")
    }


def missing_required(sobject: SObjectType, describe: dict[str, Any]) -> list[str]:
    readable = readable_fields(describe)
    return [name for name in sobject.required if name not in readable]


def missing_field_error(sobject: str, field: str) -> SourceError:
    return SourceError(
        f"salesforce: the integration user cannot see {sobject}.{field}, which Thinline needs — "
        f"{FLS_FIX}"
    )


def select(sobject: SObjectType, describe: dict[str, Any], path: str) -> Selection:
    """The SELECT list for ``sobject`` from its describe, fitted to a ``GET {path}?q=`` URI."""
    readable = readable_fields(describe)
    if missing := missing_required(sobject, describe):
        raise missing_field_error(sobject.name, missing[0])
    lookups = {f["relationshipName"] for f in readable.values() if f.get("relationshipName")}
    known = [
        name
        for name in sobject.fields
        if (name.split(".")[0] in lookups if "." in name else name in readable)
    ]
    fields = known + [name for name in readable if name not in sobject.fields]
    return _fit(sobject, fields, path)


def _fit(sobject: SObjectType, fields: list[str], path: str) -> Selection:
    """Leave out the last optional fields until the request URI fits :data:`URI_BUDGET`."""
    length = len(path) + len("?q=") + len(quote_plus(sobject.query(fields, EPOCH, EPOCH)))
    keep, left_out = list(fields), []
    protected = set(sobject.required)
    for name in reversed(fields):
        if length <= URI_BUDGET:
            break
        if name in protected:
            continue
        keep.remove(name)
        left_out.insert(0, name)
        length -= len(quote_plus(f", {name}"))
    if length > URI_BUDGET:
        raise SourceError(
            f"salesforce: the {sobject.name} query is over {URI_BUDGET} bytes with only the "
            "fields Thinline needs — report this as a Thinline bug"
        )
    return Selection(tuple(keep), tuple(left_out))
