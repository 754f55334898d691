"""``thinline conversions preview``: what tonight's send would do, sending nothing.

The same selection as :mod:`thinline.conversions.send` (published rows the ledger has not
answered for good, consent, each platform's windows), for every platform that takes offline
conversions whether or not its uploads are on, counted per platform, destination and
conversion type, with a few payloads exactly as they would be sent (hashed identifiers only).
Nothing is written but the ledger's empty table, if it did not exist yet.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import psycopg

from thinline.conversions.ledger import ensure_ledger
from thinline.conversions.model import Uploader
from thinline.conversions.send import NO_CONSENT, read_due

SAMPLES_PER_PLATFORM = 2


@dataclass
class PlatformPreview:
    platform: str
    enabled: bool
    would_send: Counter[tuple[str, str]] = field(default_factory=Counter)  # (type, destination)
    value: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))  # currency
    skipped: Counter[str] = field(default_factory=Counter)  # reason -> rows
    samples: list[dict[str, Any]] = field(default_factory=list)


def preview(
    url: str, uploaders: dict[str, Uploader], enabled: list[str], now: datetime
) -> list[PlatformPreview]:
    """What a send at ``now`` would do on each platform of ``uploaders``."""
    with psycopg.connect(url, autocommit=True) as conn:
        ensure_ledger(conn)
        due = read_due(conn, list(uploaders), now)
    previews = {name: PlatformPreview(name, name in enabled) for name in uploaders}
    for item in due:
        conversion = item.conversion
        uploader, shown = uploaders[conversion.platform], previews[conversion.platform]
        reason = NO_CONSENT if not item.has_consent else uploader.skip_reason(conversion, now)
        if reason:
            shown.skipped[reason] += 1
            continue
        shown.would_send[(conversion.conversion_type, conversion.destination)] += 1
        if conversion.value is not None and conversion.currency:
            shown.value[conversion.currency] += conversion.value
        if len(shown.samples) < SAMPLES_PER_PLATFORM:
            shown.samples.append(uploader.payload(conversion))
    return list(previews.values())


def render(previews: list[PlatformPreview], now: datetime, echo: Callable[[str], None]) -> None:
    """Print ``previews`` for a person: one block per platform."""
    echo(f"offline conversions due as of {now:%Y-%m-%d %H:%M} UTC (preview: nothing is sent)")
    for shown in previews:
        state = (
            "on"
            if shown.enabled
            else f"off (THINLINE_{shown.platform.upper()}__UPLOAD_CONVERSIONS)"
        )
        total = sum(shown.would_send.values())
        echo(f"{shown.platform}: uploads {state}; {total} would be sent")
        for (conversion_type, destination), rows in sorted(shown.would_send.items()):
            echo(f"  {conversion_type} -> {destination}: {rows}")
        for currency, amount in sorted(shown.value.items()):
            echo(f"  value {amount:,.2f} {currency}")
        for reason, rows in shown.skipped.most_common():
            echo(f"  skipped, {reason}: {rows}")
        for sample in shown.samples:
            echo(f"  sample: {json.dumps(sample, sort_keys=True, default=str)}")
