"""The entry points: ``serve()`` for tests and the demo, ``python -m sandbox`` for people."""

from __future__ import annotations

import json
import shlex
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import httpx
import pytest

from sandbox import DemoSources, Faults, World, WorldConfig, build_world, serve
from sandbox.__main__ import main
from tests.sandbox.conftest import HUBSPOT_VERSION


def serve_env_keys() -> set[str]:
    with serve(build_world(WorldConfig(scale=0.5, end=date(2026, 1, 10)))) as sources:
        return set(sources.env)


def assert_extractor_settings(env: dict[str, str]) -> None:
    """Every key is a real extractor setting; every source gets its URL and credentials."""
    from extract.registry import source_names
    from thinline.settings import Settings

    settings = Settings()
    for key in env:
        source, field = key.removeprefix("THINLINE_").lower().split("__", 1)
        assert field in type(settings.source_settings(source)).model_fields, key
    for source in source_names():
        needed = ("base_url", *settings.source_settings(source).credentials)
        for field in needed:
            assert f"THINLINE_{source.upper()}__{field.upper()}" in env, (source, field)


def test_serve_hands_out_exactly_the_extractor_settings(world: World) -> None:
    with serve(world) as sources:
        assert isinstance(sources, DemoSources)
        env = sources.env
        assert_extractor_settings(env)
        assert env["THINLINE_GOOGLE_ADS__TOKEN_URL"] == sources.google_ads.url + "/token"
        assert env["THINLINE_HUBSPOT__BASE_URL"] == sources.hubspot.url
        ids = env["THINLINE_GOOGLE_ADS__CUSTOMER_IDS"].split(",")
        assert ids == [str(c.customer_id) for c in world.google_ads.customers]
        assert env["THINLINE_GOOGLE_ADS__LOGIN_CUSTOMER_ID"] == str(
            world.google_ads.manager.customer_id
        )
        assert all(
            url.startswith("http://127.0.0.1:")
            for url in (sources.hubspot.url, sources.google_ads.url)
        )


def test_serve_passes_faults_to_each_server(world: World) -> None:
    with serve(
        world, hubspot_faults=Faults(rate_limit=1), google_ads_faults=Faults(server_errors=3)
    ) as sources:
        assert sources.hubspot.faults.rate_limit == 1
        assert sources.google_ads.faults.server_errors == 3


def test_servers_stop_on_exit_even_with_kept_alive_connections(world: World) -> None:
    with httpx.Client() as client:
        with serve(world) as sources:
            url = f"{sources.hubspot.url}/crm/pipelines/{HUBSPOT_VERSION}/deals"
            headers = {"Authorization": f"Bearer {sources.env['THINLINE_HUBSPOT__TOKEN']}"}
            assert client.get(url, headers=headers).status_code == 200
        with pytest.raises(httpx.TransportError):
            client.get(url, headers=headers)
        with pytest.raises(httpx.ConnectError):
            httpx.get(url, headers=headers)


def test_cli_writes_the_truth_file(tmp_path: Path) -> None:
    out = tmp_path / "truth.json"
    assert main(["truth", "--out", str(out), "--seed", "3", "--end", "2026-01-31"]) == 0
    truth = json.loads(out.read_text())
    assert truth["config"]["seed"] == 3 and truth["config"]["end"] == "2026-01-31"
    expected = build_world(WorldConfig(seed=3, end=date(2026, 1, 31))).truth()
    assert truth == json.loads(json.dumps(expected))


def test_cli_rejects_an_end_before_the_start(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        main(
            [
                "truth",
                "--out",
                str(tmp_path / "t.json"),
                "--start",
                "2026-02-01",
                "--end",
                "2026-01-01",
            ]
        )


def test_cli_serve_prints_exports_and_stops_on_interrupt() -> None:
    command = [sys.executable, "-m", "sandbox", "serve", "--scale", "0.5", "--end", "2026-01-10"]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],
        # a suite started in the background (`cmd &`) ignores SIGINT and its children inherit
        # that: the CLI must see the interrupt a terminal would send
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        # The CLI prints the same settings serve() hands out, one export line each.
        lines = [process.stdout.readline().strip() for _ in serve_env_keys()]
        env = dict(shlex.split(line.removeprefix("export "))[0].split("=", 1) for line in lines)
        assert_extractor_settings(env)
        headers = {"Authorization": f"Bearer {env['THINLINE_HUBSPOT__TOKEN']}"}
        response = httpx.get(
            f"{env['THINLINE_HUBSPOT__BASE_URL']}/crm/owners/{HUBSPOT_VERSION}/", headers=headers
        )
        assert response.status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
        process.stdout.close()
        process.stderr.close()


def test_nothing_reads_the_wall_clock() -> None:
    source = Path(__file__).parents[2] / "sandbox"
    for module in source.glob("*.py"):
        text = module.read_text()
        allowed = int(module.name == "clock.py")  # clock.utc_today: the stand-in APIs' calendar
        assert text.count("datetime.now") == allowed and "date.today" not in text, module.name
        assert "time.time()" not in text, module.name
