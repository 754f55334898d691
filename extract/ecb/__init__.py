"""ECB euro foreign exchange reference rates (Data Portal, EXR dataflow) → ``raw_ecb``.

The rates Thinline converts ad spend with, and anything the CRM has no rate for. Cursor and
grain: :mod:`extract.ecb.streams`.
"""

from __future__ import annotations

from extract.connector import SourceManifest
from extract.ecb.preflight import run_preflight
from extract.ecb.settings import EcbSettings
from extract.ecb.streams import build_streams

__all__ = ["MANIFEST", "EcbSettings", "build_connector"]

MANIFEST = SourceManifest(
    "ecb", EcbSettings, build_streams, run_preflight, "sandbox.ecb_server:EcbServer"
)
build_connector = MANIFEST.build_connector
