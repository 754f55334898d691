"""A deterministic synthetic company and local stand-ins for its source APIs (HubSpot, Google Ads).

Test and demo use only: production code paths never import this package.

    with serve(build_world(WorldConfig(seed=7))) as sources:
        os.environ.update(sources.env)  # THINLINE_HUBSPOT__BASE_URL, ...
"""

from sandbox.config import WorldConfig
from sandbox.faults import Faults
from sandbox.serve import DemoSources, serve
from sandbox.world import World, build_world

__all__ = ["DemoSources", "Faults", "World", "WorldConfig", "build_world", "serve"]
