"""No configured secret in anything a run leaves behind: the run log (every Airflow task's
output), Airflow's metadata, run summaries, the report site and GX Data Docs (the shared
`published_company` run)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import pytest

from sandbox import serve
from sandbox.world import World
from thinline.roles import stored_password

pytestmark = pytest.mark.integration

SECRET_SETTINGS = ("TOKEN", "SECRET", "PASSWORD")
# Where the secrets legitimately live: the warehouse's own folder (password files, data).
NOT_SCANNED = ("warehouse",)


def configured_secrets(url: str, home: Path, world: World) -> set[str]:
    """The warehouse passwords and every source token and secret the run was given."""
    owner = unquote(urlsplit(url).password or "")
    reader = stored_password(home / "warehouse") or ""
    with serve(world) as sources:  # the stand-ins' credentials are fixed per world
        source_secrets = {
            value
            for name, value in sources.env.items()
            if any(part in name.rsplit("__", 1)[-1] for part in SECRET_SETTINGS)
        }
    secrets = {owner, reader, *source_secrets}
    secrets |= {quote(secret, safe="") for secret in secrets}
    return {secret for secret in secrets if len(secret) >= 8}


def scanned_files(home: Path) -> list[Path]:
    return [
        path
        for path in sorted(home.rglob("*"))
        if path.is_file() and path.relative_to(home).parts[0] not in NOT_SCANNED
    ]


def test_no_secret_in_logs_summaries_or_sites(published_company: dict, world: World) -> None:
    home: Path = published_company["home"]
    secrets = configured_secrets(published_company["url"], home, world)
    # Non-vacuous: the owner and reader passwords plus the sources' tokens and secrets.
    assert len(secrets) >= 8

    files = scanned_files(home)
    folders = {path.relative_to(home).parts[0] for path in files}
    assert {"logs", "airflow", "runs", "site"} <= folders
    assert any(path.match("*/site/data_docs/index.html") for path in files)
    # `airflow dags test` writes every task's log to the run log; Airflow keeps its metadata
    # (XComs, task instances) in airflow/airflow.db: both are scanned.
    run_logs = [path for path in files if path.match("logs/run-*.log")]
    assert run_logs and b"validate_raw" in run_logs[0].read_bytes()
    assert any(path.name == "airflow.db" for path in files)
    contents = {path: path.read_bytes() for path in files}
    assert sum(len(data) for data in contents.values()) > 100_000

    leaks = [
        (str(path.relative_to(home)), secret[:4] + "…")
        for path, data in contents.items()
        for secret in secrets
        if secret.encode() in data
    ]
    assert leaks == []
    # The run's own printed output too.
    output = published_company["output"] + published_company["rerun_output"]
    assert [secret[:4] for secret in secrets if secret in output] == []
