"""Data quality gates: Great Expectations suites as code and the runner Airflow calls.

``validate_raw`` / ``validate_marts`` load GX (slow to import) on first use; the report and
error types import without it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

# Set before any quality module loads GX: usage statistics off, GX never calls out.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

from quality.results import QualityGateError, QualityReport, RuleResult

if TYPE_CHECKING:
    from quality.runner import validate_marts, validate_raw

__all__ = ["QualityGateError", "QualityReport", "RuleResult", "validate_marts", "validate_raw"]


def __getattr__(name: str) -> Any:
    if name in ("validate_raw", "validate_marts"):
        from quality import runner

        return getattr(runner, name)
    raise AttributeError(f"module 'quality' has no attribute {name!r}")
