"""The demo sources: the synthetic company (``sandbox``) served by local stand-ins of the five
source APIs for the length of a ``thinline run --demo`` (or ``airflow``/``doctor --demo``).

The demo company lives on in its state folder (``<home>/demo``), night after night:

* **Anchored.** The first demo run of a state folder fixes the company, in ``company.json``:
  seed and scale (``THINLINE_DEMO_SEED``, ``THINLINE_DEMO_SCALE``) and its first day,
  ``THINLINE_DEMO_HISTORY_DAYS`` before that run's day (the setting counts on that run only).
  The sandbox plans every record from ``(seed, day)``, so the same start with a later end only
  adds days (sandbox/README.md): each night's company is the one before plus one more day. A
  later run asking for another seed or scale is refused with one line: another company needs
  another state folder (its rows would mix with this one's in the warehouse).
  ``THINLINE_START_DATE`` is the company's first day, so a first load reads its whole past.
* **As of the latest day it has reached.** ``company.json`` also keeps the latest day any run
  served (``reached``). The stand-ins serve the company as of max(run day, reached), as a real
  API answers with today's state whatever window is asked, while the run's interval stays its
  own day. Rerunning an older day reads that day's window from the latest company: nothing
  rolls back, and the deal snapshot sees no stage step back (no re-opening that never
  happened). Callers pass finished days only (``thinline run`` refuses the others).
* **The commands.** ``thinline doctor --demo`` serves yesterday, so it moves the company on to
  yesterday as that night's run would. ``thinline airflow --demo`` serves yesterday from its
  start and follows the calendar while it stays up (``follow_days``): once a UTC day has
  ended, the company is moved on to it and the stand-ins answer with it from the same
  addresses (``DemoSources.roll``), so each scheduled night reads yesterday's company plus one
  more day, as under ``thinline run --demo``.
* **Truth.** ``truth.json`` is what the served company planted (``config.end`` is the day
  reached), to compare the warehouse against.
* **Cost.** The company is rebuilt from its first day on every run, so building grows with
  its age: at scale 5 (the default) about 0.5 s at 120 days, 2 s at a year, 4.5 s at two and
  7 s at 1000 days (measured December 2026, one core); the first run loads its whole past.

A state folder from before anchoring (a ``truth.json`` and no ``company.json``) continues the
company its ``truth.json`` describes.
"""

from __future__ import annotations

import json
import math
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from extract.base import ConfigError
from thinline.state import StateFolder

COMPANY_FILE = "company.json"
TRUTH_FILE = "truth.json"


@dataclass(frozen=True)
class DemoCompany:
    """One state folder's demo company: fixed by its first run, moved on by later ones."""

    seed: int
    scale: float
    start: date  # its first day, never moved
    reached: date  # the latest day any run has served

    def to_json(self) -> str:
        fields = asdict(self) | {"start": str(self.start), "reached": str(self.reached)}
        return json.dumps(fields, indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str) -> DemoCompany:
        """Parse ``company.json``; ValueError (with the reason) if it is not one."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        if missing := [key for key in ("seed", "scale", "start", "reached") if key not in data]:
            raise ValueError(f"no {', '.join(missing)}")
        seed, scale = data["seed"], data["scale"]
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise ValueError("seed is not an integer")
        if not isinstance(scale, int | float) or not (math.isfinite(scale) and scale > 0):
            raise ValueError("scale is not a positive number")
        start, reached = (date.fromisoformat(str(data[key])) for key in ("start", "reached"))
        if reached < start:
            raise ValueError(f"reached {reached} is before start {start}")
        return cls(seed, float(scale), start, reached)


def company_for(settings: Any, run_day: date, folder: Path) -> DemoCompany:
    """The company a run of ``run_day`` serves: the folder's, moved on to ``run_day`` if that is
    later; a new one, ``demo_history_days`` old, on the folder's first demo run."""
    company = read_company(folder)
    if company is None:
        start = run_day - timedelta(days=settings.demo_history_days)
        return DemoCompany(settings.demo_seed, float(settings.demo_scale), start, run_day)
    if (company.seed, company.scale) != (settings.demo_seed, float(settings.demo_scale)):
        raise ConfigError(
            f"the demo company in {folder} has seed {company.seed} and scale {company.scale}, "
            f"not THINLINE_DEMO_SEED={settings.demo_seed} and THINLINE_DEMO_SCALE="
            f"{settings.demo_scale}; keep its settings, or set THINLINE_HOME to a new folder "
            "for another company"
        )
    return replace(company, reached=max(company.reached, run_day))


def read_company(folder: Path) -> DemoCompany | None:
    """``company.json``; else the company an older ``truth.json`` describes; else None."""
    path = folder / COMPANY_FILE
    if path.exists():
        try:
            return DemoCompany.from_json(path.read_text())
        except (OSError, UnicodeDecodeError, ValueError) as error:
            reason = getattr(error, "strerror", None) or " ".join(str(error).split())[:120]
            raise ConfigError(
                f"demo company file {path} is damaged ({reason}); restore it, or set "
                "THINLINE_HOME to a new folder for a new company"
            ) from None
    try:  # before anchoring, only truth.json recorded the company a run served
        config = json.loads((folder / TRUTH_FILE).read_text())["config"]
        return DemoCompany.from_json(json.dumps(config | {"reached": config["end"]}))
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        return None


FOLLOW_SECONDS = 60.0  # how often a following demo looks at the calendar


@contextmanager
def demo_sources(
    settings: Any, run_day: date, echo: Callable[[str], None], follow_days: bool = False
) -> Iterator[dict[str, str]]:
    """Serve the synthetic company's stand-in APIs; yield the settings that reach them. With
    ``follow_days`` the company moves on to each day that ends while they serve."""
    from sandbox import serve

    folder = StateFolder.of(settings.home).demo
    company = company_for(settings, run_day, folder)
    since = f"seed {company.seed}, scale {company.scale}, since {company.start}"
    later = f" (the latest day it has reached; this run reads {run_day})"
    echo(
        f"starting demo sources: the synthetic company ({since}) as of {company.reached}"
        + (later if company.reached > run_day else "")
        + " …"
    )
    world = _world(company)
    _save(folder, company, world)
    echo(f"demo truth written to {folder / TRUTH_FILE}")
    with serve(world) as sources:
        follower = DayFollower(folder, company, sources, echo)
        stop = threading.Event()
        thread = threading.Thread(target=follower.run, args=(stop,), name="demo-days", daemon=True)
        if follow_days:
            thread.start()
        try:
            yield {**sources.env, "THINLINE_START_DATE": company.start.isoformat()}
        finally:
            stop.set()
            if thread.is_alive():
                thread.join()


class DayFollower:
    """Moves a served company on to each UTC day that ends (``thinline airflow --demo``)."""

    def __init__(
        self, folder: Path, company: DemoCompany, sources: Any, echo: Callable[[str], None]
    ) -> None:
        self.folder, self.company, self.sources, self.echo = folder, company, sources, echo

    def run(self, stop: threading.Event) -> None:
        while not stop.wait(FOLLOW_SECONDS):
            self.follow(datetime.now(UTC).date() - timedelta(days=1))

    def follow(self, yesterday: date) -> bool:
        """Serve the company as of ``yesterday`` if it is a day later than the one served."""
        if yesterday <= self.company.reached:
            return False
        company = replace(self.company, reached=yesterday)
        world = _world(company)
        self.sources.roll(world)
        _save(self.folder, company, world)
        self.company = company
        self.echo(f"demo sources: the synthetic company moved on to {yesterday}")
        return True


def _world(company: DemoCompany) -> Any:
    from sandbox import WorldConfig, build_world

    return build_world(WorldConfig(company.seed, company.scale, company.start, company.reached))


def _save(folder: Path, company: DemoCompany, world: Any) -> None:
    """``truth.json`` (what the served company planted) and ``company.json``."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        world.write_truth(folder / TRUTH_FILE)
        _replace(folder / COMPANY_FILE, company.to_json())
    except OSError as error:
        raise ConfigError(
            f"cannot write the demo company to {folder} ({error.strerror or error}); set "
            "THINLINE_HOME to a folder you can write"
        ) from None


def _replace(path: Path, text: str) -> None:
    """Write ``path`` whole: a run killed meanwhile leaves the previous company, never half."""
    partial = path.with_name(f".{path.name}.tmp")
    partial.write_text(text)
    os.replace(partial, path)
