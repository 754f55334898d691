"""The entry point others use: all stand-ins for one world, and the settings to reach them.

The stand-ins are the ones the sources' manifests name (``stand_in``, extract/registry.py), so a
new source with a stand-in joins the demo and the tests' ``serve()`` with no change here.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from extract.registry import manifests
from sandbox.faults import Faults
from sandbox.http import StandInServer
from sandbox.world import World


@dataclass
class DemoSources:
    running: dict[str, StandInServer]  # source -> its stand-in; also reachable as an attribute
    env: dict[str, str]  # exactly the THINLINE_* settings an extractor needs to reach them

    def __getattr__(self, name: str) -> Any:
        running = self.__dict__.get("running", {})
        if name in running:
            return running[name]
        raise AttributeError(name)

    def servers(self) -> list[StandInServer]:
        return list(self.running.values())

    def roll(self, world: World) -> None:
        """Serve ``world`` (a later day of the same company) from the same addresses and
        credentials: what a real API does overnight. Faults are not carried over."""
        for name, previous in self.running.items():
            self.running[name] = type(previous)(world).take_over(previous)
        if _env(self) != self.env:
            raise RuntimeError("a rolled world must keep the settings that reach it")


def stand_in_classes() -> dict[str, type[StandInServer]]:
    """Each source's stand-in class, from the ``module:Class`` its manifest names."""
    classes = {}
    for found in manifests():
        if found.stand_in is not None:
            module, name = found.stand_in.split(":")
            classes[found.name] = getattr(importlib.import_module(module), name)
    return classes


@contextmanager
def serve(
    world: World, host: str = StandInServer.host, **faults: Faults | None
) -> Iterator[DemoSources]:
    """Run every source's stand-in on 127.0.0.1 (or ``host``; free ports) until the block
    exits. ``<source>_faults=Faults(...)`` injects faults into one of them."""
    classes = stand_in_classes()
    unknown = sorted(set(faults) - {f"{source}_faults" for source in classes})
    if unknown:
        raise TypeError(f"serve() got unknown fault arguments: {', '.join(unknown)}")
    sources = DemoSources(
        {
            source: cls(world, faults=faults.get(f"{source}_faults"))
            for source, cls in classes.items()
        },
        {},
    )
    try:
        for server in sources.servers():
            server.host = host
            server.start()
        sources.env = _env(sources)
        yield sources
    finally:  # the servers answering now, which a roll may have replaced
        for server in sources.servers():
            server.stop()


def _env(sources: DemoSources) -> dict[str, str]:
    return {name: value for server in sources.servers() for name, value in server.env().items()}
