"""Independent reference solutions of the first-order Markov removal effects.

Two solvers of the same absorbing chain, written from the textbook definition rather than
from the SQL: numpy in floating point (fundamental-matrix style: solve (I - Q) x = r), and
plain Gaussian elimination on exact fractions. A journey is (channels in order, converted).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from itertools import pairwise

import numpy as np

Journey = tuple[list[str], bool]


@dataclass(frozen=True)
class Chain:
    """Transition counts of one conversion type's journeys."""

    channels: list[str]
    start: Counter[str]  # start -> channel
    between: Counter[tuple[str, str]]  # channel -> channel (self-loops included)
    converted: Counter[str]  # last channel -> conversion
    lost: Counter[str]  # last channel -> null

    @classmethod
    def from_journeys(cls, journeys: list[Journey]) -> Chain:
        start: Counter[str] = Counter()
        between: Counter[tuple[str, str]] = Counter()
        converted: Counter[str] = Counter()
        lost: Counter[str] = Counter()
        for touches, is_converted in journeys:
            start[touches[0]] += 1
            between.update(pairwise(touches))
            (converted if is_converted else lost)[touches[-1]] += 1
        channels = sorted({channel for touches, _ in journeys for channel in touches})
        return cls(channels, start, between, converted, lost)

    def out_total(self, channel: str) -> int:
        to_channels = sum(n for (origin, _), n in self.between.items() if origin == channel)
        return to_channels + self.converted[channel] + self.lost[channel]


def conversion_probability_float(chain: Chain, removed: str | None = None) -> float:
    """P(absorbed in conversion | start) with numpy; a removed channel leads to null."""
    kept = [channel for channel in chain.channels if channel != removed]
    if not kept:
        return 0.0
    index = {channel: i for i, channel in enumerate(kept)}
    q = np.zeros((len(kept), len(kept)))
    r = np.zeros(len(kept))
    for channel in kept:
        total = chain.out_total(channel)
        for (origin, target), count in chain.between.items():
            if origin == channel and target in index:
                q[index[channel], index[target]] += count / total
        r[index[channel]] = chain.converted[channel] / total
    x = np.linalg.solve(np.eye(len(kept)) - q, r)
    paths = sum(chain.start.values())
    return float(sum(chain.start[channel] * x[index[channel]] for channel in kept) / paths)


def conversion_probability_exact(chain: Chain, removed: str | None = None) -> Fraction:
    """The same probability in exact fractions (Gauss-Jordan with partial pivoting)."""
    kept = [channel for channel in chain.channels if channel != removed]
    size = len(kept)
    rows: list[list[Fraction]] = []
    for channel in kept:
        total = chain.out_total(channel)
        row = [Fraction(int(channel == other)) for other in kept]
        for j, other in enumerate(kept):
            row[j] -= Fraction(chain.between[(channel, other)], total)
        row.append(Fraction(chain.converted[channel], total))
        rows.append(row)
    for k in range(size):
        pivot = next(i for i in range(k, size) if rows[i][k] != 0)
        rows[k], rows[pivot] = rows[pivot], rows[k]
        for i in range(size):
            if i != k and rows[i][k] != 0:
                factor = rows[i][k] / rows[k][k]
                rows[i] = [a - factor * b for a, b in zip(rows[i], rows[k], strict=True)]
    x = {channel: rows[i][size] / rows[i][i] for i, channel in enumerate(kept)}
    paths = sum(chain.start.values())
    return sum((chain.start[channel] * x[channel] for channel in kept), Fraction(0)) / paths


def removal_effects_exact(chain: Chain) -> dict[str, tuple[Fraction, Fraction | None]]:
    """channel -> (removal effect, removal share); share None when nothing converts."""
    base = conversion_probability_exact(chain)
    if base == 0:
        return {channel: (Fraction(0), None) for channel in chain.channels}
    effects = {
        channel: 1 - conversion_probability_exact(chain, channel) / base
        for channel in chain.channels
    }
    total = sum(effects.values(), Fraction(0))
    return {channel: (effect, effect / total) for channel, effect in effects.items()}


def removal_effects_float(chain: Chain) -> dict[str, tuple[float, float | None]]:
    base = conversion_probability_float(chain)
    if base == 0:
        return {channel: (0.0, None) for channel in chain.channels}
    effects = {
        channel: 1 - conversion_probability_float(chain, channel) / base
        for channel in chain.channels
    }
    total = sum(effects.values())
    return {channel: (effect, effect / total) for channel, effect in effects.items()}
