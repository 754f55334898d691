"""The quarantine suite: records the loader moved to ``ops.quarantine`` during this run.

The loader (extract/loader.py) already kept them out of the raw tables; this suite is what
stops the run for a critical quarantine rule (``QUAR-001`` null key, ``QUAR-002`` differing
versions of one key in a batch, ``QUAR-004`` unparsable key, ``QUAR-005`` record not a JSON
object) and records a warning for ``QUAR-003`` (exact copies, one loaded). Samples show the
table, key and reason, never the payload (it may hold personal data).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import great_expectations as gx

from extract.loader import QUARANTINE_RULES
from quality.suites.rules import rows_check

TABLE = "ops.quarantine"


def build_quarantine_suite(run_id: str, sources: Sequence[str] | None) -> gx.ExpectationSuite:
    # The run id goes in as its md5: Airflow run ids hold ':' and '+', which SQLAlchemy's
    # text() would read as bind parameters.
    run = f"md5(run_id) = '{hashlib.md5(run_id.encode()).hexdigest()}'"
    only = (
        ""
        if sources is None
        else " and source in (" + ", ".join(f"'{source}'" for source in sources) + ")"
    )
    return gx.ExpectationSuite(
        name=TABLE,
        expectations=[
            rows_check(
                rule,
                severity,
                f"no record of this run quarantined for: {reason}",
                "select 'raw_' || source || '.' || entity as table_name, record_key, reason "
                f"from {{batch}} where {run} and rule = '{rule}'{only} order by quarantine_id",
            )
            for rule, (severity, reason) in QUARANTINE_RULES.items()
        ],
    )
