"""What one offline conversion is, what a platform answered, and what an uploader must do.

Shared by the sender (thinline/conversions/send.py) and the three platforms' uploaders
(``extract/<platform>/conversions.py``): an uploader never reads the warehouse or the ledger,
the sender never builds a platform's request.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, Protocol


@dataclass(frozen=True)
class Conversion:
    """One row of ``analytics.fct_offline_conversions``: one conversion for one destination.

    Only hashed identifiers: ``email_sha256`` is the SHA-256 hex digest of the trimmed,
    lower-cased email (dim_contacts.email_hash). A platform that wants another normalisation
    (Google's enhanced conversions drop dots in gmail.com names) cannot get it from here and
    sends the click id alone.
    """

    event_id: str  # stable per conversion and destination: the platform's de-duplication key
    conversion_id: str  # fct_attribution.conversion_id, e.g. "closed_won:hubspot:123"
    conversion_type: str  # lead, mql, sql, opportunity, closed_won
    platform: str  # google_ads, meta_ads, linkedin_ads
    account_id: str  # Google customer id (digits), Meta dataset (pixel) id, LinkedIn ad account id
    destination: str  # Google conversion action id, Meta event name, LinkedIn conversion rule id
    occurred_at: datetime  # when the conversion happened (UTC, tz-aware)
    click_id: str  # the platform's click id: gclid, fbclid or li_fat_id
    clicked_at: datetime  # when that click happened (its touchpoint's touched_at; tz-aware)
    email_sha256: str | None = None
    value: Decimal | None = None  # None when the map's value rule is "none"
    currency: str | None = None  # ISO 4217, set whenever value is


class Status(enum.StrEnum):
    """A ledger row's state. accepted, rejected, skipped and failed are final."""

    PENDING = "pending"  # recorded, not yet answered (a crash mid-send leaves these)
    ACCEPTED = "accepted"  # the platform took it
    REJECTED = "rejected"  # the platform refused this row for a reason retrying cannot fix
    RETRY = "retry"  # a transient failure: sent again on a later attempt
    FAILED = "failed"  # still failing after the last allowed attempt
    SKIPPED = "skipped"  # never sent: outside the platform's window, no consent, disabled


@dataclass(frozen=True)
class Outcome:
    """A platform's answer about one conversion (matched by ``event_id``)."""

    event_id: str
    status: Status  # ACCEPTED, REJECTED or RETRY
    message: str | None = None  # the platform's own words for a refusal
    response: dict[str, Any] = field(default_factory=dict)  # the row's part of the answer


class Uploader(Protocol):
    """One platform's conversion upload, written from its documentation.

    ``upload`` sends one account's conversions (at most ``batch_size``) in as few requests as
    the API allows and returns one Outcome per conversion, in any order. A request that fails
    as a whole with a transient error gives every conversion in it ``Status.RETRY``; one that
    the platform refuses as a whole for a reason retrying cannot fix (bad credentials, a
    conversion action that does not exist) raises :class:`extract.base.SourceError` with one
    line saying what to fix. ``payload`` is the exact per-conversion body part sent (hashed
    identifiers only); the ledger stores its hash.
    """

    platform: ClassVar[str]
    batch_size: ClassVar[int]

    def skip_reason(self, conversion: Conversion, now: datetime) -> str | None:
        """Why the platform would refuse ``conversion`` if sent at ``now`` (click or event too
        old, click after the conversion, value without currency, ...), or None."""
        ...

    def payload(self, conversion: Conversion) -> dict[str, Any]:
        """The JSON this conversion becomes in the platform's request."""
        ...

    def upload(self, account_id: str, conversions: Sequence[Conversion]) -> list[Outcome]:
        """Send ``conversions`` (one account's) and return one Outcome each."""
        ...
