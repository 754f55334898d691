"""int_attribution_removal_effects against independent solutions of the same random chains.

Random journeys' transition counts go into a real PostgreSQL as the model's input table; the
real dbt model (and its on-run-start hook installing the exact solver) builds from them; every
channel's removal effect and share must match numpy to 1e-12 and exact fractions to the
output's 30-decimal rounding.
"""

from __future__ import annotations

import random
from decimal import Decimal
from fractions import Fraction

import psycopg
import pytest

from tests.attribution_markov.markov_reference import (
    Chain,
    Journey,
    removal_effects_exact,
    removal_effects_float,
)
from thinline.dbt import run_dbt

CHANNELS = [
    "direct",
    "email",
    "events",
    "organic_search",
    "paid_search",
    "paid_social_linkedin",
    "paid_social_meta",
    "referral",
    "display",
    "offline",
    "organic_social",
    "paid_other",
]
ROUNDING = Fraction(1, 2 * 10**30)  # the model rounds half up to 30 decimal places


def random_journeys(rng: random.Random, channels: int, journeys: int, rate: float) -> list[Journey]:
    """Journeys of 1-8 touches; some channels convert better, repeats and cycles included."""
    names = rng.sample(CHANNELS, channels)
    weights = [rng.uniform(0.2, 3) for _ in names]
    quality = {name: rng.uniform(0, 1) for name in names}
    made: list[Journey] = []
    for _ in range(journeys):
        touches = rng.choices(names, weights, k=min(1 + int(rng.expovariate(0.5)), 8))
        chance = rate * sum(quality[name] for name in touches) / len(touches)
        made.append((touches, rng.random() < chance))
    return made


def chains_under_test() -> dict[str, list[Journey]]:
    rng = random.Random(20261127)
    chains = {
        f"random_{index}": random_journeys(rng, channels, journeys, rate)
        for index, (channels, journeys, rate) in enumerate(
            [(2, 40, 0.6), (3, 120, 0.5), (5, 300, 0.4), (8, 500, 0.3), (12, 800, 0.2)]
        )
    }
    chains["never_converts"] = random_journeys(rng, 4, 60, 0.0)
    chains["one_channel"] = [(["email"], True), (["email", "email"], False), (["email"], False)]
    # without paid_search nothing converts; email never leads to a conversion
    chains["dead_end"] = [
        (["paid_search"], True),
        (["email"], False),
        (["paid_search", "email"], False),
        (["email", "email"], False),
    ]
    return chains


def load_transitions(url: str, chains: dict[str, list[Journey]]) -> None:
    """The model's input: each chain's transition counts (int_attribution_markov_transitions
    counts them from the journeys; its own unit test checks that)."""
    rows = []
    for conversion_type, journeys in chains.items():
        chain = Chain.from_journeys(journeys)
        for channel, count in chain.start.items():
            rows.append((conversion_type, None, channel, False, count))
        for (origin, target), count in chain.between.items():
            rows.append((conversion_type, origin, target, False, count))
        for channel, count in chain.converted.items():
            rows.append((conversion_type, channel, None, True, count))
        for channel, count in chain.lost.items():
            rows.append((conversion_type, channel, None, False, count))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("create schema intermediate")
        conn.execute(
            "create table intermediate.int_attribution_markov_transitions (conversion_type text,"
            " from_channel text, to_channel text, is_converted boolean, transition_count bigint,"
            " attribution_scope text default 'contact')"
        )
        with conn.cursor() as cursor:
            cursor.executemany(
                "insert into intermediate.int_attribution_markov_transitions (conversion_type,"
                " from_channel, to_channel, is_converted, transition_count)"
                " values (%s, %s, %s, %s, %s)",
                rows,
            )


def built_effects(url: str) -> dict[tuple[str, str], tuple[Decimal, Decimal | None]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select conversion_type, channel, removal_effect, removal_share"
            " from intermediate.int_attribution_removal_effects"
        ).fetchall()
    return {(row[0], row[1]): (row[2], row[3]) for row in rows}


def test_removal_effects_match_independent_solutions(fresh_database: str) -> None:
    chains = chains_under_test()
    load_transitions(fresh_database, chains)
    run_dbt(["run", "--select", "int_attribution_removal_effects"], fresh_database)
    built = built_effects(fresh_database)

    expected_keys = {
        (conversion_type, channel)
        for conversion_type, journeys in chains.items()
        for touches, _ in journeys
        for channel in touches
    }
    assert set(built) == expected_keys

    for conversion_type, journeys in chains.items():
        chain = Chain.from_journeys(journeys)
        exact = removal_effects_exact(chain)
        floating = removal_effects_float(chain)
        for channel in chain.channels:
            effect, share = built[(conversion_type, channel)]
            exact_effect, exact_share = exact[channel]
            float_effect, float_share = floating[channel]
            where = f"{conversion_type}/{channel}"
            assert abs(Fraction(effect) - exact_effect) <= ROUNDING, where
            assert float(effect) == pytest.approx(float_effect, abs=1e-12), where
            if exact_share is None:
                assert share is None and float_share is None, where
            else:
                assert share is not None, where
                assert abs(Fraction(share) - exact_share) <= ROUNDING, where
                assert float(share) == pytest.approx(float_share, abs=1e-12), where

    # the hand-checkable chains say what they should
    assert built[("dead_end", "paid_search")] == (Decimal(1), Decimal(1))
    assert built[("dead_end", "email")] == (Decimal(0), Decimal(0))
    assert built[("one_channel", "email")] == (Decimal(1), Decimal(1))
    assert all(
        share is None and effect == 0
        for (conversion_type, _), (effect, share) in built.items()
        if conversion_type == "never_converts"
    )
    # shares of a converting chain add up to 1 (to the rounding of each)
    for conversion_type in chains.keys() - {"never_converts"}:
        shares = [share for (kind, _), (_, share) in built.items() if kind == conversion_type]
        assert abs(sum(shares) - 1) <= Decimal(len(shares)) / 10**30, conversion_type
