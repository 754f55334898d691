"""Run sqlfluff on the dbt project with the database variables dbt's templater needs.

sqlfluff's dbt templater renders models exactly as dbt runs them, which needs a reachable
database for dbt's relation cache: the configured warehouse, or the embedded one.
Usage: ``python -m thinline.sql_lint lint|fix [paths...]``.
"""

from __future__ import annotations

import os
import subprocess
import sys

from extract.base import ConfigError
from thinline.dbt import PROJECT_DIR, dbt_env
from thinline.processes import installed_script
from thinline.settings import load_settings
from thinline.state import warehouse_url


def main(argv: list[str]) -> int:
    command, paths = (argv[0] if argv else "lint"), (argv[1:] or [str(PROJECT_DIR / "models")])
    try:
        url = warehouse_url(load_settings(), start=True, check=False)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    sqlfluff = installed_script("sqlfluff")
    env = {**os.environ, **dbt_env(url)}
    return subprocess.run([str(sqlfluff), command, *paths], env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
