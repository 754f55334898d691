"""docker-compose.yml cannot run here (no Docker engine), so check what it would run:
the file parses, every command exists, every setting it passes is one Thinline or Airflow
reads, and the Dockerfile copies files that exist."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
AIRFLOW_SERVICES = {
    name: service for name, service in COMPOSE["services"].items() if "build" in service
}


def test_the_deployed_layout_is_complete() -> None:
    services = set(COMPOSE["services"])
    assert {"airflow-db", "warehouse", "redis"} <= services
    commands = {tuple(service["command"]) for service in AIRFLOW_SERVICES.values()}
    assert {
        ("airflow", "api-server"),
        ("airflow", "scheduler"),
        ("airflow", "dag-processor"),
        ("airflow", "triggerer"),
        ("airflow", "celery", "worker"),
        ("airflow", "db", "migrate"),
    } == commands


@pytest.mark.parametrize(
    "command", sorted({tuple(s["command"]) for s in AIRFLOW_SERVICES.values()})
)
def test_every_command_exists(command: tuple[str, ...]) -> None:
    airflow = str(Path(sys.executable).parent / "airflow")
    result = subprocess.run(
        [airflow, *command[1:], "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_every_setting_is_read_by_thinline_or_airflow() -> None:
    from airflow.configuration import conf

    from thinline.settings import Settings

    settings = Settings.model_fields
    known = conf.configuration_description  # every documented option, providers' included
    for service in AIRFLOW_SERVICES.values():
        for name in service["environment"]:
            if name.startswith("THINLINE_"):
                field, _, nested = name.removeprefix("THINLINE_").lower().partition("__")
                assert field in settings, name
                if nested:
                    model = settings[field].annotation
                    assert nested in model.model_fields, name
            elif name.startswith("AIRFLOW__"):
                section, key = name.removeprefix("AIRFLOW__").lower().split("__", 1)
                assert key in known.get(section, {}).get("options", {}), name


def test_the_image_copies_what_exists() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text().splitlines()
    for line in dockerfile:
        if line.startswith("COPY ") and not line.startswith("COPY . "):
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), source
    assert "uv pip sync --system requirements.lock" in "\n".join(dockerfile)
