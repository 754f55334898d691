"""The ``thinline`` command: the warehouse, a nightly run, a one-source extract.

Bad input or config ends with one ``error:`` line on stderr and exit code 2; a source or
pipeline failure with exit code 1.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, date, datetime, timedelta
from functools import wraps
from pathlib import Path
from typing import Annotated, Any

import typer

from extract.base import ConfigError, SourceError

app = typer.Typer(
    help="Thinline: the revenue warehouse between marketing and sales.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
warehouse_app = typer.Typer(help="The embedded PostgreSQL warehouse.", no_args_is_help=True)
app.add_typer(warehouse_app, name="warehouse")


def fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def clear_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn known failures into one line and a non-zero exit."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ConfigError as error:
            fail(str(error), 2)
        except SourceError as error:
            fail(str(error), 1)

    return wrapper


def parse_day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"malformed date {value!r} for {option}: expected YYYY-MM-DD") from None


def _settings():
    from thinline.settings import load_settings

    return load_settings()


def _warehouse():
    from thinline.warehouse import EmbeddedWarehouse

    return EmbeddedWarehouse(_settings().home)


# -- thinline warehouse ----------------------------------------------------------------------


@warehouse_app.command("start")
@clear_errors
def warehouse_start() -> None:
    """Start the embedded warehouse (initialising it on first use)."""
    from thinline.warehouse import redact

    url = _warehouse().start()
    typer.echo(f"warehouse running: {redact(url)}")


@warehouse_app.command("stop")
@clear_errors
def warehouse_stop() -> None:
    """Stop the embedded warehouse."""
    typer.echo("warehouse stopped" if _warehouse().stop() else "warehouse was not running")


@warehouse_app.command("status")
@clear_errors
def warehouse_status() -> None:
    """Say whether the embedded warehouse runs, and where."""
    status = _warehouse().status()
    if status.running:
        typer.echo(f"running (pid {status.pid}, 127.0.0.1:{status.port})")
    else:
        typer.echo("stopped")
        raise typer.Exit(3)


@warehouse_app.command("url")
@clear_errors
def warehouse_url() -> None:
    """Print the warehouse's postgresql:// URL (with its password: for BI tools)."""
    settings = _settings()
    if settings.warehouse_url is not None:
        typer.echo(settings.warehouse_url.get_secret_value())
    else:
        typer.echo(_warehouse().url())


# -- thinline run ----------------------------------------------------------------------------


@app.command("run")
@clear_errors
def run(
    day: Annotated[
        str | None, typer.Option("--date", help="UTC day to run (YYYY-MM-DD); default yesterday.")
    ] = None,
    demo: Annotated[
        bool, typer.Option("--demo", help="Use the local demo sources (synthetic company).")
    ] = False,
) -> None:
    """Run the nightly DAG through Airflow for one day's interval, then print a summary."""
    from thinline.airflow_runner import airflow_env, run_nightly
    from thinline.pipeline import require_settings
    from thinline.warehouse import check_reachable, redact

    run_day = parse_day(day, "--date") if day else datetime.now(UTC).date() - timedelta(days=1)
    settings = _settings()
    use_demo = demo or settings.is_demo
    if not use_demo:
        require_settings()
    sources = settings.source_names()
    home = Path(settings.home).resolve()
    home.mkdir(parents=True, exist_ok=True)

    if settings.warehouse_url is not None:
        url = settings.warehouse_url.get_secret_value()
        check_reachable(url)
    else:
        typer.echo("starting the embedded warehouse …")
        url = _warehouse().start()
    typer.echo(f"warehouse: {redact(url)}")

    with _demo_sources(settings, run_day) if use_demo else nullcontext({}) as source_env:
        env = {
            **source_env,
            "THINLINE_HOME": str(home),
            "THINLINE_SOURCES": ",".join(sources),
            "THINLINE_WAREHOUSE_URL": url,
            "THINLINE_TASK_RETRIES": os.environ.get("THINLINE_TASK_RETRIES", "0"),
        }
        log_file = home / "logs" / f"run-{run_day.isoformat()}.log"
        log_file.parent.mkdir(parents=True, exist_ok=True)
        typer.echo(f"running thinline_nightly for {run_day} through Airflow (log: {log_file})")
        code = run_nightly(run_day, airflow_env(home, env), log_file, typer.echo)
    if code != 0:
        fail(f"the nightly run for {run_day} failed; see {log_file}", 1)
    print_summary(home / "runs" / "latest.json", url)


@contextmanager
def _demo_sources(settings: Any, run_day: date) -> Iterator[dict[str, str]]:
    """Serve the synthetic company's stand-in APIs for the length of the run."""
    from sandbox import WorldConfig, build_world, serve

    start = run_day - timedelta(days=settings.demo_history_days)
    config = WorldConfig(
        seed=settings.demo_seed, scale=settings.demo_scale, start=start, end=run_day
    )
    typer.echo(f"starting demo sources (synthetic company, scale {settings.demo_scale}) …")
    world = build_world(config)
    truth = Path(settings.home).resolve() / "demo" / "truth.json"
    truth.parent.mkdir(parents=True, exist_ok=True)
    world.write_truth(truth)  # what the generator planted, to compare the warehouse against
    typer.echo(f"demo truth written to {truth}")
    with serve(world) as sources:
        yield {**sources.env, "THINLINE_START_DATE": start.isoformat()}


def print_summary(path: Path, url: str) -> None:
    from thinline.warehouse import redact

    summary = json.loads(path.read_text())
    typer.echo("")
    typer.echo(f"Thinline run {summary['run_id']} ({summary['window']['start'][:10]})")
    typer.echo("  rows loaded:")
    for source, rows in summary["rows_loaded"].items():
        detail = ", ".join(f"{entity} {count}" for entity, count in rows.items())
        typer.echo(f"    {source:<12} {sum(rows.values()):>8}  ({detail})")
    for gate, result in summary["checks"].items():
        typer.echo(
            f"  checks {gate:<5}: {result['passed']} passed, {result['failed']} failed, "
            f"{result['warnings']} warnings"
        )
    typer.echo(
        f"  published    : {', '.join('analytics.' + t for t in summary['published_tables'])}"
    )
    typer.echo(f"  BI connection: {redact(url)}   (full URL: thinline warehouse url)")


# -- thinline extract ------------------------------------------------------------------------


@app.command("extract")
@clear_errors
def extract(
    source: Annotated[str, typer.Argument(help="Source name, e.g. hubspot or google_ads.")],
    start: Annotated[str, typer.Option("--start", help="First day (YYYY-MM-DD), inclusive.")],
    end: Annotated[str, typer.Option("--end", help="Last day (YYYY-MM-DD), exclusive.")],
) -> None:
    """Extract one source for one window into raw_<source>, without Airflow."""
    from extract.base import Window, midnight
    from extract.registry import SOURCES
    from extract.runner import extract_source
    from thinline.pipeline import warehouse_url

    first, last = parse_day(start, "--start"), parse_day(end, "--end")
    if last <= first:
        raise ConfigError(f"--end {last} must be after --start {first}")
    if source not in SOURCES:
        raise ConfigError(f"unknown source '{source}' (known: {', '.join(sorted(SOURCES))})")
    settings = _settings()
    summary = extract_source(
        source,
        settings.source_settings(source),
        Window(midnight(first), midnight(last)),
        warehouse_url(settings),
        first,
        run_id=f"cli:{datetime.now(UTC).isoformat()}",
    )
    for entity, rows in summary.rows.items():
        typer.echo(f"raw_{source}.{entity}: {rows} rows")


def main() -> None:  # pragma: no cover - console entry point
    app(prog_name="thinline")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
