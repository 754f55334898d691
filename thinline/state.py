"""One owner of run state: where the state folder keeps things, which warehouse a command
talks to, and the typed run summary. Nothing else re-derives them.

* :class:`StateFolder`: the paths under ``THINLINE_HOME`` (warehouse, Airflow home, logs, run
  summaries, the report site, the demo company, published dbt state), and one check that the
  folder can be written before any work starts.
* :func:`warehouse_url`: ``THINLINE_WAREHOUSE_URL`` if set, else the embedded warehouse of the
  state folder (started on request).
* :class:`RunSummary`: what a nightly run did, written once by the pipeline's last task to
  ``runs/latest.json`` and read by the CLI, the report and the analyst's tools.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from extract.base import ConfigError


@dataclass(frozen=True)
class StateFolder:
    """The paths of one state folder (``THINLINE_HOME``, default ``.thinline``)."""

    root: Path

    @classmethod
    def of(cls, home: Path | str) -> StateFolder:
        return cls(Path(home).expanduser().resolve())

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse"

    @property
    def airflow(self) -> Path:
        return self.root / "airflow"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def runs(self) -> Path:
        return self.root / "runs"

    @property
    def latest_summary(self) -> Path:
        return self.runs / "latest.json"

    @property
    def site(self) -> Path:
        return self.root / "site"

    @property
    def demo(self) -> Path:
        return self.root / "demo"

    @property
    def published_state(self) -> Path:
        """The manifest of what ``analytics`` holds (the analyst's dbt state)."""
        return self.root / "state" / "published"

    def run_log(self, day: date) -> Path:
        return self.logs / f"run-{day.isoformat()}.log"

    def prepare(self) -> StateFolder:
        """Create the folder if needed and prove it writable; a one-line error if not."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.root, prefix=".write-check-"):
                pass
        except OSError as error:
            reason = error.strerror or type(error).__name__
            raise ConfigError(
                f"state folder {self.root} is not writable ({reason}); set THINLINE_HOME to a "
                "folder you can write"
            ) from None
        return self


def warehouse_url(settings: Any, *, start: bool = False, check: bool = True) -> str:
    """``THINLINE_WAREHOUSE_URL`` if set (checked reachable), else the state folder's embedded
    warehouse: started (initialised on first use) when ``start``, else it must be running."""
    from thinline.warehouse import EmbeddedWarehouse, check_reachable

    if settings.warehouse_url is not None:
        url = settings.warehouse_url.get_secret_value()
    elif start:
        return EmbeddedWarehouse(StateFolder.of(settings.home).root).start()
    else:
        url = EmbeddedWarehouse(StateFolder.of(settings.home).root).url()
    if check:
        check_reachable(url)
    return url


@dataclass(frozen=True)
class RunSummary:
    """What one nightly run did (``runs/latest.json``)."""

    run_id: str
    window_start: str  # ISO timestamps of the run's data interval
    window_end: str
    finished_at: str
    rows_loaded: dict[str, dict[str, int]]  # source -> entity -> rows
    checks: dict[str, dict[str, int]]  # gate (raw, marts) -> passed / failed / warnings
    published_tables: list[str]
    sources: list[str] = field(default_factory=list)
    quarantined: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)  # this run
    quarantine_open: dict[str, dict[str, int]] = field(default_factory=dict)  # still bad, any run
    skipped: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    preflight_warnings: list[str] = field(default_factory=list)
    not_kept: list[str] = field(default_factory=list)  # users' views publish could not carry
    ended_sessions: list[str] = field(default_factory=list)  # BI sessions publish had to end
    report: str | None = None

    @property
    def day(self) -> str:
        return self.window_start[:10]

    def to_json(self) -> str:
        data = asdict(self)
        data["window"] = {"start": data.pop("window_start"), "end": data.pop("window_end")}
        return json.dumps(data, indent=2)

    @classmethod
    def from_json(cls, text: str) -> RunSummary:
        data = json.loads(text)
        if not isinstance(data, dict) or not isinstance(data.get("window"), dict):
            raise ValueError("not a run summary")
        window = data.pop("window")
        known = {
            name for name in cls.__dataclass_fields__ if name not in ("window_start", "window_end")
        }
        return cls(
            window_start=str(window["start"]),
            window_end=str(window["end"]),
            **{name: value for name, value in data.items() if name in known},
        )

    def write(self, folder: StateFolder) -> Path:
        """Replace ``runs/latest.json`` whole (a reader never sees half of it)."""
        folder.runs.mkdir(parents=True, exist_ok=True)
        partial = folder.latest_summary.with_name(".latest.json.tmp")
        partial.write_text(self.to_json())
        os.replace(partial, folder.latest_summary)
        return folder.latest_summary

    @classmethod
    def latest(cls, folder: StateFolder) -> RunSummary | None:
        """The last run's summary, None before the first; a one-line error if unreadable."""
        path = folder.latest_summary
        if not path.is_file():
            return None
        try:
            return cls.from_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ConfigError(
                f"run summary {path} is unreadable ({type(error).__name__}); delete it (the next "
                "run writes a new one)"
            ) from None


def enabled_sources(settings: Any) -> list[str]:
    """``THINLINE_SOURCES``, else the sources of the state folder's last run (an analyst on a
    demo warehouse), else the one-line "no sources configured" error."""
    if settings.sources is None:
        summary = RunSummary.latest(StateFolder.of(settings.home))
        if summary is not None and summary.sources:
            return list(summary.sources)
    return list(settings.source_names())
