"""The demo sources: the synthetic company (``sandbox``) served by local stand-ins of the five
source APIs for the length of a ``thinline run --demo`` (or ``airflow``/``doctor --demo``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any


@contextmanager
def demo_sources(
    settings: Any, run_day: date, echo: Callable[[str], None]
) -> Iterator[dict[str, str]]:
    """Serve the synthetic company's stand-in APIs; yield the settings that reach them."""
    from sandbox import WorldConfig, build_world, serve

    start = run_day - timedelta(days=settings.demo_history_days)
    config = WorldConfig(
        seed=settings.demo_seed, scale=settings.demo_scale, start=start, end=run_day
    )
    echo(f"starting demo sources (synthetic company, scale {settings.demo_scale}) …")
    world = build_world(config)
    truth = Path(settings.home).resolve() / "demo" / "truth.json"
    truth.parent.mkdir(parents=True, exist_ok=True)
    world.write_truth(truth)  # what the generator planted, to compare the warehouse against
    echo(f"demo truth written to {truth}")
    with serve(world) as sources:
        yield {**sources.env, "THINLINE_START_DATE": start.isoformat()}
