"""The compose file's ``airflow-pools``: create the extract pools ``thinline_<source>`` in its
Airflow (thinline/pools.py), with ``THINLINE_<SOURCE>__PARALLEL_ACCOUNTS`` slots each."""

from __future__ import annotations

import os
import sys

from extract.base import ConfigError
from thinline.pools import enabled, extract_pools, import_pools

try:
    import_pools("airflow", os.environ)
except ConfigError as error:
    sys.exit(f"thinline: {error}")
print("created pools:", ", ".join(extract_pools(enabled(os.environ))))
