"""`make bench`: run every benchmark and write its results to bench/results/<name>.json."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bench import (
    attribution,
    company,
    extract,
    markov,
    memory,
    pipeline,
    report_queries,
    sales_models,
    transform,
)

BENCHMARKS = {
    "transform": transform.main,
    "extract": extract.main,
    "memory": memory.main,
    "attribution": attribution.main,
    "report_queries": report_queries.main,
    "sales_models": sales_models.main,
    "company": company.main,
    "markov": markov.main,
    "pipeline": pipeline.main,
}
RESULTS = Path(__file__).resolve().parent / "results"


def main(names: list[str]) -> None:
    RESULTS.mkdir(exist_ok=True)
    for name in names or list(BENCHMARKS):
        print(f"== benchmark {name}", flush=True)
        result = BENCHMARKS[name]()
        path = RESULTS / f"{name}.json"
        path.write_text(json.dumps(result, indent=2) + "\n")
        print(f"== {name}: results written to {path}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
