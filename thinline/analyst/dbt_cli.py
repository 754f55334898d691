"""dbt for analysts: Thinline's profile, warehouse and sources wired, target dev.

Everything an analyst builds lands in ``dev_<name>`` schemas (``dev_<name>`` for marts,
``dev_<name>_staging`` ...; see ``macros/generate_schema_name.sql``), never in ``analytics``
or the shared ``staging``/``intermediate`` schemas the nightly run owns.
"""

from __future__ import annotations

import getpass
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from extract.base import ConfigError
from thinline.dbt import PROJECT_DIR, dbt_env, vars_args
from thinline.processes import installed_script
from thinline.settings import load_settings
from thinline.state import StateFolder, enabled_sources, warehouse_url
from thinline.warehouse import EmbeddedWarehouse

DEV_PREFIX = "dev_"
# PostgreSQL names stop at 63 bytes; leave room for the longest custom-schema suffix.
MAX_SCHEMA = 40


@dataclass(frozen=True)
class DbtContext:
    """Where an analyst's dbt runs: the warehouse, the enabled sources, the project, the schema."""

    url: str
    sources: list[str]
    home: Path
    project_dir: Path
    schema: str
    state: Path | None = None  # folder of the published manifest.json, if there is one

    @property
    def target_path(self) -> Path:
        """dbt's artifacts for this dev schema, apart from the nightly run's ``target/``."""
        return self.project_dir / "target" / self.schema


def dev_schema(env: dict[str, str] | None = None) -> str:
    """``THINLINE_DEV_SCHEMA``, else ``dev_`` + ``THINLINE_ANALYST`` or the OS user, sanitised."""
    env = dict(os.environ) if env is None else env
    name = env.get("THINLINE_DEV_SCHEMA") or env.get("THINLINE_ANALYST") or _os_user()
    cleaned = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")
    if not cleaned:
        raise ConfigError(f"cannot make a dev schema name from {name!r}; set THINLINE_DEV_SCHEMA")
    if not cleaned.startswith(DEV_PREFIX):
        cleaned = DEV_PREFIX + cleaned
    return cleaned[:MAX_SCHEMA].rstrip("_")


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        return "analyst"


def project_dir() -> Path:
    """The dbt project: ``THINLINE_DBT_PROJECT_DIR`` (e.g. a copy being edited) or the repo's."""
    override = os.environ.get("THINLINE_DBT_PROJECT_DIR")
    path = Path(override).resolve() if override else PROJECT_DIR
    if not (path / "dbt_project.yml").exists():
        raise ConfigError(f"no dbt_project.yml in {path} (THINLINE_DBT_PROJECT_DIR)")
    return path


def published_state(home: Path) -> Path | None:
    """``THINLINE_PUBLISHED_STATE`` or ``<home>/state/published``, if it holds a manifest."""
    from thinline.analyst.state import MANIFEST, published_state_dir

    chosen = os.environ.get("THINLINE_PUBLISHED_STATE")
    folder = Path(chosen).resolve() if chosen else published_state_dir(home)
    return folder if (folder / MANIFEST).exists() else None


def analyst_context(schema: str | None = None) -> DbtContext:
    """Resolve settings and check the warehouse answers; one-line ConfigError otherwise."""
    settings = load_settings()
    folder = StateFolder.of(settings.home)
    if settings.warehouse_url is None and not EmbeddedWarehouse(folder.root).status().running:
        raise ConfigError(
            f"the embedded warehouse in {folder.root} is not running; start it with "
            "`thinline warehouse start` (or set THINLINE_WAREHOUSE_URL)"
        )
    url = warehouse_url(settings)
    home = folder.root
    return DbtContext(
        url=url,
        sources=enabled_sources(settings),
        home=home,
        project_dir=project_dir(),
        schema=schema or dev_schema(),
        state=published_state(home),
    )


def dbt_environment(ctx: DbtContext) -> dict[str, str]:
    """The process environment for dbt: profile variables, sources, target dev, and deferral
    to the published manifest (``--no-defer`` or ``--state DIR`` on the command line win)."""
    deferral = {"DBT_DEFER": "true", "DBT_STATE": str(ctx.state)} if ctx.state else {}
    return {
        **deferral,
        **os.environ,
        **dbt_env(ctx.url, sources=ctx.sources),
        "THINLINE_DBT_TARGET": "dev",
        "THINLINE_DBT_DEV_SCHEMA": ctx.schema,
        # dbt itself refuses the prod target while this is set (macros/generate_schema_name.sql)
        "THINLINE_DBT_DEV_ONLY": "1",
        "DBT_TARGET_PATH": str(ctx.target_path),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def refuse_other_targets(args: list[str], env: dict[str, str] | None = None) -> None:
    """Only the dev target: prod is the nightly run's, and builds the schema BI is fed from.

    Refused here, with one line: ``--target X``, ``--target=X``, ``-t X``, ``-tX``, dbt's own
    ``DBT_TARGET``/``DBT_PROFILE``/``DBT_PROFILES_DIR``, and ``--profile``/``--profiles-dir``
    (another profile could call anything dev). dbt refuses the rest (an edited profiles.yml)
    itself: macros/generate_schema_name.sql under ``THINLINE_DBT_DEV_ONLY``.
    """
    environ = dict(os.environ) if env is None else env
    for index, arg in enumerate(args):
        value = None
        if arg in ("--target", "-t") and index + 1 < len(args):
            value = args[index + 1]
        elif arg.startswith("--target="):
            value = arg.split("=", 1)[1]
        elif arg.startswith("-t") and not arg.startswith("--") and len(arg) > 2:
            value = arg[2:]
        if value is not None and value != "dev":
            raise ConfigError(
                f"thinline dbt builds only into your dev schema (target dev), not target "
                f"{value}; the prod target is the nightly run's (thinline run)"
            )
        if arg.split("=", 1)[0] in ("--profile", "--profiles-dir"):
            raise ConfigError(
                f"thinline dbt uses Thinline's profile (target dev); drop {arg.split('=')[0]}"
            )
    if environ.get("DBT_TARGET", "dev") != "dev":
        raise ConfigError(
            f"thinline dbt builds only into your dev schema: unset DBT_TARGET "
            f"({environ['DBT_TARGET']}); the prod target is the nightly run's (thinline run)"
        )
    for name in ("DBT_PROFILE", "DBT_PROFILES_DIR"):
        if environ.get(name):
            raise ConfigError(f"thinline dbt uses Thinline's profile (target dev); unset {name}")


def dbt_command(ctx: DbtContext, args: list[str]) -> list[str]:
    """``dbt <args>`` with the project and its committed profiles.yml (unless given)."""
    command = [installed_script("dbt"), *args]
    if not args or args[0].startswith("-"):  # `dbt --help`, `dbt --version`: no project
        return command
    if "--project-dir" not in args:
        command += ["--project-dir", str(ctx.project_dir)]
    if "--profiles-dir" not in args:
        command += ["--profiles-dir", str(ctx.project_dir)]
    return command + vars_args(args)


def run_analyst_dbt(
    ctx: DbtContext, args: list[str], capture: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run dbt in the analyst's dev target; output streams through unless ``capture``."""
    refuse_other_targets(args)
    return subprocess.run(
        dbt_command(ctx, args),
        env=dbt_environment(ctx),  # cwd stays the caller's: relative --state paths work
        capture_output=capture,
        text=True,
        check=False,
    )
