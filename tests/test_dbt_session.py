"""dbt's PostgreSQL sessions: memory sized for the machine, JIT off, the user's options last."""

from __future__ import annotations

import os

import psycopg

from thinline.dbt import session_options


def _options(text: str) -> dict[str, str]:
    pairs = text.replace("-c ", "").split()
    return dict(pair.split("=", 1) for pair in pairs)


def test_work_mem_is_sized_for_the_machine_within_bounds() -> None:
    options = _options(session_options({}))
    total_mb = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2**20
    work_mem = int(options["work_mem"].removesuffix("MB"))
    assert 16 <= work_mem <= 256
    assert work_mem == min(max(total_mb // 128, 16), 256)
    assert options["jit"] == "off"


def test_the_setting_overrides_and_pgoptions_come_last() -> None:
    text = session_options({"THINLINE_DBT_WORK_MEM": "64MB", "PGOPTIONS": "-c jit=on"})
    assert _options(text.split("-c jit=on")[0])["work_mem"] == "64MB"
    assert text.endswith("-c jit=on")  # PostgreSQL applies the last one: the user's


def test_postgresql_accepts_the_options(fresh_database: str) -> None:
    with psycopg.connect(fresh_database, options=session_options({})) as conn:
        assert conn.execute("show jit").fetchone() == ("off",)
        shown = conn.execute("show work_mem").fetchone()
        assert shown is not None and shown[0] == _options(session_options({}))["work_mem"]
