"""What a synthetic world is built from, and the seeded randomness every generator shares."""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from datetime import date, timedelta

from sandbox.clock import day_start_ms


@dataclass(frozen=True)
class WorldConfig:
    """A world is a pure function of this: same config, same world, byte for byte."""

    seed: int = 7
    scale: float = 1.0  # ~1: a few hundred contacts and tens of deals; the demo uses ~5-10
    start: date = date(2026, 1, 1)  # first day with activity
    end: date = date(2026, 3, 31)  # last day (inclusive); servers show state as of its end, UTC
    meta_ad_accounts: int = 2  # 1-3: a third account tests per-account extracts

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"world end {self.end} is before its start {self.start}")
        if not 1 <= self.meta_ad_accounts <= 3:
            raise ValueError(f"meta_ad_accounts must be 1 to 3, got {self.meta_ad_accounts}")
        if self.scale <= 0:
            raise ValueError(f"world scale must be positive, got {self.scale}")

    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    @property
    def as_of_ms(self) -> int:
        """Exclusive cut-off: events at or after midnight following ``end`` have not happened."""
        return day_start_ms(self.end + timedelta(days=1))


def rng(config: WorldConfig, *parts: object) -> random.Random:
    """A generator seeded by the world seed and a stream name (and day), never by ``end``.

    Seeding per day is what lets a later ``end`` only append: earlier days draw the same values.
    """
    return random.Random("|".join([str(config.seed), *map(str, parts)]))


class UniqueIds:
    """Random ids drawn from ``rnd``, never the same one twice (one pool per world part)."""

    def __init__(self, rnd: random.Random) -> None:
        self.rnd = rnd
        self.seen: set[int] = set()

    def new(self, low: int, span: int) -> int:
        while (value := low + self.rnd.randrange(span)) in self.seen:
            pass
        self.seen.add(value)
        return value


def poisson(rnd: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth for small means, a rounded normal for large ones)."""
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rnd.gauss(mean, math.sqrt(mean))))
    limit, count, product = math.exp(-mean), 0, rnd.random()
    while product > limit:
        count += 1
        product *= rnd.random()
    return count


def landing_page(name: str) -> str:
    """The website page an ad named ``name`` links to: ``https://thinline.example/<slug>``."""
    return "https://thinline.example/" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
