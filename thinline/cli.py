"""The ``thinline`` command: the warehouse, a nightly run, a one-source extract.

Bad input or config ends with one ``error:`` line on stderr and exit code 2; a source or
pipeline failure with exit code 1.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from datetime import UTC, date, datetime, timedelta
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from extract.base import ConfigError, SourceError

if TYPE_CHECKING:
    from thinline.backfill import Ledger
    from thinline.state import StateFolder

app = typer.Typer(
    help="Thinline: the revenue warehouse between marketing and sales.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
warehouse_app = typer.Typer(help="The embedded PostgreSQL warehouse.", no_args_is_help=True)
app.add_typer(warehouse_app, name="warehouse")
report_app = typer.Typer(help="The nightly report (static HTML site).", no_args_is_help=True)
app.add_typer(report_app, name="report")
quarantine_app = typer.Typer(help="Records held back from raw (ops.quarantine).")
app.add_typer(quarantine_app, name="quarantine")
conversions_app = typer.Typer(
    help="Offline conversions sent to the ad platforms (thinline/conversions).",
    no_args_is_help=True,
)
app.add_typer(conversions_app, name="conversions")


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


def check_port(port: int, option: str = "--port", free_choice: bool = False) -> int:
    """A TCP port number (0, any free port, only where ``free_choice``)."""
    low = 0 if free_choice else 1
    if not low <= port <= 65535:
        raise ConfigError(f"{option} {port} is not a port number ({low}-65535)")
    return port


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
def warehouse_url(
    role: Annotated[
        str, typer.Option("--role", help="owner (the pipeline) or bi_reader (BI tools).")
    ] = "owner",
) -> None:
    """Print the warehouse's postgresql:// URL (with its password: for BI tools)."""
    from thinline.roles import BI_READER, bi_reader_password, reader_url

    if role not in ("owner", BI_READER):
        raise ConfigError(f"unknown role {role!r} for --role (known: owner, {BI_READER})")
    settings = _settings()
    if settings.warehouse_url is not None:
        url = settings.warehouse_url.get_secret_value()
        if role == BI_READER:
            url = reader_url(url, bi_reader_password(settings.home))
        typer.echo(url)
    elif role == BI_READER:
        typer.echo(_warehouse().bi_reader_url())
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
    full_refresh: Annotated[
        bool,
        typer.Option(
            "--full-refresh",
            help="Rebuild the incremental models from scratch (THINLINE_FULL_REFRESH).",
        ),
    ] = False,
) -> None:
    """Run the nightly DAG through Airflow for one day's interval, then print a summary."""
    run_day = parse_day(day, "--date") if day else datetime.now(UTC).date() - timedelta(days=1)
    refuse_unfinished_day(run_day)
    folder, url = _run_days([run_day], demo, full_refresh, f"thinline run --date {run_day}")
    print_summary(folder, url)


@app.command("backfill")
@clear_errors
def backfill(
    start: Annotated[str, typer.Option("--start", help="First UTC day (YYYY-MM-DD).")],
    end: Annotated[str, typer.Option("--end", help="Last UTC day (YYYY-MM-DD), included.")],
    demo: Annotated[
        bool, typer.Option("--demo", help="Use the local demo sources (synthetic company).")
    ] = False,
) -> None:
    """Run the nightly DAG for each day from --start to --end, in order, through Airflow.

    Resumable: the days done are kept in <state>/runs/backfill-<start>_<end>.json, and the same
    command again runs only the rest. A failed day stops the backfill (exit 1)."""
    from thinline.backfill import Ledger, days_between
    from thinline.state import StateFolder

    first, last = parse_day(start, "--start"), parse_day(end, "--end")
    days = days_between(first, last)
    refuse_unfinished_day(last, "--end")
    ledger = Ledger.of(StateFolder.of(_settings().home).prepare(), first, last)
    todo = [day for day in days if day not in ledger.done]
    if ledger.done:
        typer.echo(f"already done: {ledger.describe(ledger.done)}")
    if todo:
        _run_days(todo, demo, False, f"thinline backfill --start {first} --end {last}", ledger)
    ran = ledger.describe(todo) or "no day (all done before)"
    typer.echo(f"backfill {first} … {last}: ran {ran}; all {len(days)} days done")


def _run_days(
    days: list[date],
    demo: bool,
    full_refresh: bool,
    holder_command: str,
    ledger: Ledger | None = None,
) -> tuple[StateFolder, str]:
    """Run the nightly DAG, then the report DAG, for each of ``days`` in order under one run
    lock; stop at the first failure (exit 1). Returns the state folder and warehouse URL."""
    from thinline.airflow_runner import REPORT_DAG_ID, airflow_env, run_nightly
    from thinline.run_lock import TOKEN_ENV, describe, hold_run_lock, new_token
    from thinline.state import StateFolder, warehouse_url
    from thinline.warehouse import redact

    settings = _settings()
    sources = _sources(settings, demo)
    if not demo:  # real accounts: the pre-flight checks first, nothing runs on a FAIL
        for name in sources:
            settings.source_settings(name).check_credentials()
        _preflight_or_exit(settings, sources)
    folder = StateFolder.of(settings.home).prepare()
    if settings.warehouse_url is None:
        typer.echo("starting the embedded warehouse …")
    url = warehouse_url(settings, start=True)
    typer.echo(f"warehouse: {redact(url)}")

    token = new_token()
    with (
        hold_run_lock(url, describe(holder_command), token),
        _demo_sources(settings, days[-1]) if demo else nullcontext({}) as source_env,
    ):
        env = {
            **source_env,
            "THINLINE_HOME": str(folder.root),
            "THINLINE_SOURCES": ",".join(sources),
            "THINLINE_WAREHOUSE_URL": url,
            "THINLINE_TASK_RETRIES": os.environ.get("THINLINE_TASK_RETRIES", "0"),
            TOKEN_ENV: token,
        }
        if full_refresh:
            env["THINLINE_FULL_REFRESH"] = "true"
        airflow = airflow_env(folder.root, env)
        for number, run_day in enumerate(days, 1):
            log_file = folder.run_log(run_day)
            log_file.parent.mkdir(parents=True, exist_ok=True)
            counter = f" (day {number} of {len(days)})" if len(days) > 1 else ""
            typer.echo(
                f"running thinline_nightly for {run_day}{counter} through Airflow (log: {log_file})"
            )
            if run_nightly(run_day, airflow, log_file, typer.echo) != 0:
                fail(f"the nightly run for {run_day} failed; see {log_file}{_resume(ledger)}", 1)
            # what the scheduler starts when publish emits the warehouse's Asset
            typer.echo(f"running {REPORT_DAG_ID} on the published warehouse")
            if run_nightly(run_day, airflow, log_file, typer.echo, REPORT_DAG_ID) != 0:
                fail(
                    f"{REPORT_DAG_ID} failed after {run_day} was published; see {log_file}"
                    f"{_resume(ledger)}",
                    1,
                )
            if ledger is not None:
                ledger.mark_done(run_day)
    return folder, url


def _resume(ledger: Ledger | None) -> str:
    if ledger is None:
        return ""
    done = ledger.describe(ledger.done) or "no day"
    return f" (done: {done}; the same command resumes)"


def refuse_unfinished_day(day: date, option: str = "--date") -> None:
    """A run reads one finished UTC day: a day that has not ended would commit watermarks past
    what any source could have sent, and later nights would skip what arrives meanwhile."""
    today = datetime.now(UTC).date()
    if day >= today:
        raise ConfigError(
            f"{option} {day} has not ended yet (UTC today is {today}); a run reads a finished "
            f"day, the latest being {today - timedelta(days=1)}"
        )


def _sources(settings: Any, demo: bool) -> list[str]:
    """The enabled sources: configured ones, or with ``--demo`` every demo source unless some
    are named. Nothing configured and no ``--demo`` is an error (settings.source_names)."""
    from thinline.settings import DEMO_SOURCES

    if demo and settings.sources is None:
        return list(DEMO_SOURCES)
    return settings.source_names()


def _preflight_or_exit(settings: Any, sources: list[str]) -> None:
    from extract.preflight import failed
    from thinline.doctor import check_sources, render

    checks = check_sources(sources, settings.source_settings)
    if failed(checks):
        render(checks, lambda line: typer.echo(line, err=True))
        fail("pre-flight checks failed (see the FAIL rows above; `thinline doctor` re-checks)")


# -- thinline doctor -------------------------------------------------------------------------


@app.command("doctor")
@clear_errors
def doctor(
    demo: Annotated[
        bool, typer.Option("--demo", help="Check the local demo sources (synthetic company).")
    ] = False,
) -> None:
    """Pre-flight checks of every enabled source: credentials, API version, accounts, fields.

    One row per check (OK / WARN / FAIL, with the fix); exit code 2 on any FAIL.
    """
    from extract.preflight import failed
    from thinline.doctor import check_sources, render
    from thinline.settings import load_settings

    settings = _settings()
    sources = _sources(settings, demo)
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    with ExitStack() as stack:
        source_env = stack.enter_context(_demo_sources(settings, yesterday)) if demo else {}
        stack.enter_context(_environment(source_env))
        settings = load_settings() if source_env else settings
        checks = check_sources(sources, settings.source_settings)
    render(checks, typer.echo)
    if failed(checks):
        raise typer.Exit(2)


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """``os.environ`` with ``values`` set for the block (the demo sources' settings)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def _demo_sources(
    settings: Any, run_day: date, follow_days: bool = False
) -> Iterator[dict[str, str]]:
    """Serve the synthetic company's stand-in APIs for the length of the run (thinline/demo.py)."""
    from thinline.demo import demo_sources

    with demo_sources(settings, run_day, typer.echo, follow_days) as env:
        yield env


def print_summary(folder: StateFolder, url: str) -> None:
    from thinline.roles import BI_READER, bi_reader_password, reader_url
    from thinline.state import RunSummary
    from thinline.warehouse import redact

    summary = RunSummary.latest(folder)
    if summary is None:
        raise ConfigError(f"the run wrote no summary to {folder.latest_summary}")
    home = folder.root
    typer.echo("")
    typer.echo(f"Thinline run {summary.run_id} ({summary.day})")
    typer.echo("  rows loaded:")
    for source, rows in summary.rows_loaded.items():
        detail = ", ".join(f"{entity} {count}" for entity, count in rows.items())
        typer.echo(f"    {source:<12} {sum(rows.values()):>8}  ({detail})")
    print_quarantine(summary.quarantined, summary.quarantine_open)
    print_skipped(summary.skipped)
    for line in summary.preflight_warnings:
        typer.echo(f"  pre-flight WARN: {' '.join(line.split())}")
    for gate, result in summary.checks.items():
        typer.echo(
            f"  checks {gate:<5}: {result['passed']} passed, {result['failed']} failed, "
            f"{result['warnings']} warnings"
        )
    typer.echo(f"  published    : {', '.join('analytics.' + t for t in summary.published_tables)}")
    for line in summary.not_kept:
        typer.echo(f"  NOT KEPT     : {line}")
    for line in summary.ended_sessions:
        typer.echo(f"  ended BI session (it blocked publish): {line}")
    # BI tools get the read-only role that sees analytics only; the owner's URL without one
    password = bi_reader_password(home)
    if password:
        bi_url, command = reader_url(url, password), f"thinline warehouse url --role {BI_READER}"
    else:
        bi_url, command = url, "thinline warehouse url"
    typer.echo(f"  BI connection: {redact(bi_url)}   (full URL: {command})")
    if summary.report:
        typer.echo(f"  report       : {summary.report}   (serve it: thinline report open)")


def print_quarantine(
    quarantined: dict[str, dict[str, dict[str, int]]], still_open: dict[str, dict[str, int]]
) -> None:
    """``quarantined: 3 rows this run, 5 still open`` then one line per table and reason."""
    lines = [
        (f"raw_{source}.{entity}", reason, count)
        for source, entities in quarantined.items()
        for entity, reasons in entities.items()
        for reason, count in reasons.items()
    ]
    opened = sum(count for entities in still_open.values() for count in entities.values())
    typer.echo(
        f"  quarantined  : {sum(count for _, _, count in lines)} rows this run, {opened} still "
        "open (ops.quarantine; re-read each night until they load)"
    )
    for table, reason, count in lines:
        typer.echo(f"    {table:<40} {count:>6}  {reason}")


def print_skipped(skipped: dict[str, dict[str, dict[str, int]]]) -> None:
    """What a connector passed over on purpose (e.g. click_view days older than 90 days)."""
    for source, entities in skipped.items():
        for entity, reasons in entities.items():
            for reason, count in reasons.items():
                typer.echo(f"  skipped      : raw_{source}.{entity} {count} ({reason})")


# -- thinline airflow (docs/production.md) -----------------------------------------------------


@app.command("airflow")
@clear_errors
def airflow(
    port: Annotated[
        int, typer.Option("--port", help="Port of the Airflow UI on 127.0.0.1.")
    ] = 8080,
    demo: Annotated[
        bool, typer.Option("--demo", help="Serve the demo sources (synthetic company) meanwhile.")
    ] = False,
) -> None:
    """Run Airflow locally (UI, scheduler, dag-processor, triggerer): the nightly DAG runs on
    its schedule until Ctrl-C."""
    from thinline.airflow_local import (
        LocalAirflow,
        local_env,
        metadata_url,
        port_is_free,
        serve_until_interrupted,
        stop_leftovers,
    )
    from thinline.pipeline import require_settings
    from thinline.state import StateFolder
    from thinline.warehouse import check_reachable, redact

    check_port(port)
    settings = _settings()
    sources = _sources(settings, demo)
    if not demo:
        require_settings()
    folder = StateFolder.of(settings.home).prepare()
    home = folder.root
    # what a killed `thinline airflow` left running (its api-server may still hold the port)
    stop_leftovers(folder.airflow, typer.echo)
    if not port_is_free(port):
        raise ConfigError(f"port {port} on 127.0.0.1 is in use; choose another with --port")
    embedded = _warehouse()
    was_running = embedded.status().running
    if settings.warehouse_url is not None:
        url = settings.warehouse_url.get_secret_value()
        check_reachable(url)
    else:
        typer.echo("starting the embedded warehouse …")
        url = embedded.start()
    typer.echo(f"warehouse: {redact(url)}")
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    try:
        # Airflow's metadata: database `airflow` on the state folder's embedded PostgreSQL.
        metadata = metadata_url(home)
        serving = _demo_sources(settings, yesterday, follow_days=True) if demo else nullcontext({})
        with serving as source_env:
            env = {
                **source_env,
                "THINLINE_HOME": str(home),
                "THINLINE_SOURCES": ",".join(sources),
                "THINLINE_WAREHOUSE_URL": url,
            }
            local = LocalAirflow(
                local_env(home, port, env, metadata), home / "logs" / "airflow", port
            )
            typer.echo(
                "starting Airflow (api-server, log server, scheduler, dag-processor, triggerer) …"
            )
            serve_until_interrupted(local, typer.echo)
    finally:
        if not was_running:
            embedded.stop()
            typer.echo("embedded PostgreSQL stopped")


# -- thinline rollback -----------------------------------------------------------------------


@app.command("pools")
@clear_errors
def pools(
    demo: Annotated[bool, typer.Option("--demo", help="The demo's sources (all five).")] = False,
) -> None:
    """Print the Airflow pools of the enabled sources' extracts, as `airflow pools import`
    reads them: thinline_<source> with THINLINE_<SOURCE>__PARALLEL_ACCOUNTS slots."""
    import json

    from thinline.pools import extract_pools

    settings = _settings()
    typer.echo(json.dumps(extract_pools(_sources(settings, demo)), indent=2))


@app.command("rollback")
@clear_errors
def rollback() -> None:
    """Put the previously published version back as analytics (run again to roll forward)."""
    from thinline.publish import PublishError
    from thinline.publish import rollback as swap_back
    from thinline.roles import bi_reader_password
    from thinline.state import warehouse_url

    settings = _settings()
    try:
        tables = swap_back(warehouse_url(settings), bi_reader_password(settings.home))
    except PublishError as error:
        raise ConfigError(str(error)) from None
    typer.echo(f"rolled back: analytics now holds the previous version ({len(tables)} tables)")
    for line in tables.not_kept:
        typer.echo(f"not kept: {line}")
    typer.echo("the replaced version is kept as analytics_previous (rollback again to undo)")


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
    from extract.registry import check_names
    from extract.runner import extract_source
    from thinline.run_lock import task_lock
    from thinline.state import warehouse_url

    first, last = parse_day(start, "--start"), parse_day(end, "--end")
    if last <= first:
        raise ConfigError(f"--end {last} must be after --start {first}")
    check_names([source])
    settings = _settings()
    url = warehouse_url(settings)
    run_id = f"cli:{datetime.now(UTC).isoformat()}"
    with task_lock(url, f"thinline extract {source} --start {first} --end {last}"):
        summary = extract_source(
            source,
            settings.source_settings(source),
            Window(midnight(first), midnight(last)),
            url,
            first,
            run_id=run_id,
        )
    for entity, rows in summary.rows.items():
        typer.echo(f"raw_{source}.{entity}: {rows} rows")


# -- thinline reset / quarantine ---------------------------------------------------------------


@app.command("reset")
@clear_errors
def reset(
    source: Annotated[str, typer.Argument(help="Source name, e.g. hubspot.")],
    stream: Annotated[
        str | None, typer.Argument(help="One stream (raw table), e.g. contacts; default all.")
    ] = None,
    to: Annotated[str, typer.Option("--to", help="New watermark (YYYY-MM-DD, UTC midnight).")] = "",
) -> None:
    """Move watermarks back on purpose, so the next run re-reads from --to (logged in
    ops.watermark_resets). Watermarks never move back otherwise."""
    import psycopg

    from extract.base import midnight
    from extract.loader import ensure_ops
    from extract.registry import check_names, manifest
    from extract.watermarks import reset_watermarks
    from thinline.run_lock import task_lock
    from thinline.state import warehouse_url

    if not to:
        raise ConfigError("--to DATE is required: the day the next run re-reads from")
    day = parse_day(to, "--to")
    check_names([source])
    settings = _settings()
    connector = manifest(source).build_connector(settings.source_settings(source))
    streams = [stream.entity for stream in connector.streams()]
    if stream is not None and stream not in streams:
        raise ConfigError(f"unknown stream '{stream}' of {source} (known: {', '.join(streams)})")
    url = warehouse_url(settings)
    with task_lock(url, f"thinline reset {source} --to {day}"), psycopg.connect(url) as conn:
        ensure_ops(conn)
        resets = reset_watermarks(conn, source, [stream] if stream else streams, midnight(day))
    for item in resets:
        account = f" (account {item.account})" if item.account else ""
        typer.echo(
            f"raw_{source}.{item.entity}{account}: watermark {item.before:%Y-%m-%d %H:%M} -> {day}"
        )
    if not resets:
        typer.echo(f"no watermark of {source} was after {day}: nothing to reset")


# -- thinline conversions ---------------------------------------------------------------------

DEMO_OPTION = typer.Option("--demo", help="Use the local demo sources (synthetic company).")
AS_OF_OPTION = typer.Option(
    "--date", help="Decide as at the end of this UTC day (YYYY-MM-DD); default now."
)


def _as_of(day: str | None) -> datetime:
    if day is None:
        return datetime.now(UTC)
    return datetime.combine(parse_day(day, "--date") + timedelta(days=1), datetime.min.time(), UTC)


@contextmanager
def _conversion_settings(demo: bool) -> Iterator[Any]:
    """Settings with the demo sources' when ``--demo`` (served for the command's length)."""
    from thinline.settings import load_settings

    settings = _settings()
    if not demo:
        yield settings
        return
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    sources = ",".join(_sources(settings, demo))
    with (
        _demo_sources(settings, yesterday) as source_env,
        _environment({**source_env, "THINLINE_SOURCES": sources}),
    ):
        yield load_settings()


@conversions_app.command("preview")
@clear_errors
def conversions_preview(
    demo: Annotated[bool, DEMO_OPTION] = False,
    day: Annotated[str | None, AS_OF_OPTION] = None,
) -> None:
    """Print what would be sent to each ad platform (counts, value, skips, hashed samples);
    sends nothing."""
    from thinline.conversions.preview import preview, render
    from thinline.conversions.send import build_uploaders, enabled_platforms, uploader_platforms
    from thinline.state import warehouse_url

    now = _as_of(day)
    with _conversion_settings(demo) as settings:
        platforms = [name for name in uploader_platforms() if name in settings.source_names()]
        uploaders = build_uploaders(settings, platforms)
        url = warehouse_url(settings)
        render(preview(url, uploaders, enabled_platforms(settings), now), now, typer.echo)


@conversions_app.command("send")
@clear_errors
def conversions_send(
    demo: Annotated[bool, DEMO_OPTION] = False,
    day: Annotated[str | None, AS_OF_OPTION] = None,
) -> None:
    """Send what is due now (what the nightly task send_conversions does after publish)."""
    from thinline.conversions.send import send_conversions
    from thinline.run_lock import task_lock
    from thinline.state import warehouse_url

    now = _as_of(day)
    with _conversion_settings(demo) as settings:
        url = warehouse_url(settings)
        with task_lock(url, "thinline conversions send"):
            sent = send_conversions(url, settings, now)
    typer.echo(sent.summary_line())
    if sent.errors:
        fail("; ".join(sent.errors), 1)


@quarantine_app.command("resolve")
@clear_errors
def quarantine_resolve(
    source: Annotated[str, typer.Argument(help="Source name, e.g. hubspot.")],
    stream: Annotated[str | None, typer.Argument(help="One stream; default all.")] = None,
) -> None:
    """Close open quarantined records by hand (they stop being re-read each night)."""
    import getpass

    import psycopg

    from extract.loader import ensure_ops, resolve_quarantine
    from extract.registry import check_names
    from thinline.state import warehouse_url

    check_names([source])
    with psycopg.connect(warehouse_url(_settings()), autocommit=True) as conn:
        ensure_ops(conn)
        closed = resolve_quarantine(conn, source, stream, f"{getpass.getuser()} (by hand)")
    for entity, rows in closed.items():
        typer.echo(f"raw_{source}.{entity}: {rows} quarantined records closed")
    if not closed:
        typer.echo(f"no open quarantined records of {source}")


# -- thinline dbt / diff / docs (the analyst's loop, docs/analyst.md) --------------------------


@app.command(
    "dbt",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)
@clear_errors
def dbt(ctx: typer.Context) -> None:
    """Run dbt (any arguments) in your dev schema dev_<name>, warehouse and sources wired."""
    from thinline.analyst.dbt_cli import analyst_context, refuse_other_targets, run_analyst_dbt

    refuse_other_targets(ctx.args)
    analyst = analyst_context()
    deferral = f"deferring to {analyst.state}" if analyst.state else "no published manifest yet"
    typer.echo(f"dbt in dev schema {analyst.schema}; {deferral}", err=True)
    raise typer.Exit(run_analyst_dbt(analyst, list(ctx.args)).returncode)


@app.command("diff")
@clear_errors
def diff(
    models: Annotated[list[str], typer.Argument(help="Model(s) built in your dev schema.")],
    key: Annotated[
        str | None, typer.Option("--key", help="Comma list of key columns (default: the PK).")
    ] = None,
) -> None:
    """Compare your dev build of a model with the published table, row by row and per column."""
    from thinline.analyst.dbt_cli import analyst_context
    from thinline.analyst.diff import diff_table, render

    analyst = analyst_context()
    keys = [name.strip() for name in key.split(",")] if key else None
    for model in models:
        render(diff_table(analyst, model, keys, analyst.state), typer.echo)


@app.command("docs")
@clear_errors
def docs(
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1.")] = 8580,
    out: Annotated[Path | None, typer.Option("--out", help="Folder for the static docs.")] = None,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve after building.")] = True,
) -> None:
    """Generate the dbt docs of the published project and serve them on 127.0.0.1."""
    from thinline.docs import build_dbt_docs, serve_docs
    from thinline.state import StateFolder, enabled_sources, warehouse_url

    check_port(port)
    settings = _settings()
    folder = out or Path(settings.home).resolve() / "site" / "dbt_docs"
    published = StateFolder.of(settings.home).published_state
    index = build_dbt_docs(
        warehouse_url(settings), folder, enabled_sources(settings), published=published
    )
    typer.echo(f"dbt docs written to {index}")
    if not serve:
        return
    try:
        server = serve_docs(folder, port)
    except OSError as error:
        raise ConfigError(f"cannot serve on 127.0.0.1:{port}: {error.strerror}") from None
    typer.echo(f"serving dbt docs on http://127.0.0.1:{port}/ (Ctrl-C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


# -- thinline report (docs/report.md) ----------------------------------------------------------


@report_app.command("open")
@clear_errors
def report_open(
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1 (0: any free).")] = 8765,
    browser: Annotated[
        bool | None,
        typer.Option(
            "--browser/--no-browser", help="Open a web browser (default: when there is a screen)."
        ),
    ] = None,
) -> None:
    """Serve the report site on 127.0.0.1 until Ctrl-C."""
    import webbrowser

    if browser is None:  # a headless server has no browser to open
        has_screen = os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
        browser = bool(has_screen) or sys.platform in ("darwin", "win32")

    from thinline.report import site_dir
    from thinline.report.server import report_server, server_url

    check_port(port, free_choice=True)
    site = site_dir(_settings().home)
    if not (site / "index.html").is_file():
        raise ConfigError(f"no report in {site}: run `thinline run` (or `thinline report build`)")
    try:
        server = report_server(site, port)
    except OSError as error:
        raise ConfigError(
            f"cannot serve on 127.0.0.1:{port}: {error.strerror}; try --port"
        ) from None
    url = server_url(server)
    typer.echo(f"serving {site} at {url}   (Ctrl-C stops)")
    if browser:
        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@report_app.command("build")
@clear_errors
def report_build() -> None:
    """Rebuild the report site from the warehouse as it is now (no run)."""
    from thinline.report import build_site
    from thinline.state import RunSummary, StateFolder, warehouse_url

    settings = _settings()
    summary = RunSummary.latest(StateFolder.of(settings.home))
    typer.echo(f"report written to {build_site(warehouse_url(settings), settings.home, summary)}")


def main() -> None:  # pragma: no cover - console entry point
    app(prog_name="thinline")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
