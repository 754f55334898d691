"""Connector tests run against the sandbox's local stand-ins, which speak the real wire format."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time
from typing import Any, TypeVar

import pytest

from extract.base import Window
from extract.settings import SourceSettings
from sandbox import World, WorldConfig, build_world

SettingsT = TypeVar("SettingsT", bound=SourceSettings)


@pytest.fixture(scope="session")
def world() -> World:
    return build_world(WorldConfig(seed=7, scale=1.0))


@pytest.fixture(scope="session")
def truth(world: World) -> dict[str, Any]:
    return world.truth()


@pytest.fixture(scope="session")
def world_window(world: World) -> Window:
    """Everything the world holds: from its first day to its as-of cut-off."""
    start = datetime.combine(world.config.start, time.min, tzinfo=UTC)
    return Window(start, datetime.fromtimestamp(world.config.as_of_ms / 1000, tz=UTC))


def settings_from_env(cls: type[SettingsT], env: Mapping[str, str], **overrides: Any) -> SettingsT:
    """What ``THINLINE_<SOURCE>__<FIELD>`` variables become once composed into settings."""
    prefix = f"THINLINE_{cls.source.upper()}__"
    fields = {
        name[len(prefix) :].lower(): value for name, value in env.items() if name.startswith(prefix)
    }
    return cls(**{**fields, **overrides})


class SleepRecorder(list[float]):
    """Stands in for ``time.sleep``: records each requested delay instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture(scope="session")
def make_settings() -> Any:
    return settings_from_env
