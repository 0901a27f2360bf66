"""`make bench`: every benchmark in turn, each printing its ratios against the floor it
measures in the same run, and writing its figures to bench/results/<name>.json.

    .venv/bin/python -m bench              # all of them
    .venv/bin/python -m bench dashboard    # one or more, by name
"""

from __future__ import annotations

import importlib
import sys

# In the order they run: the quick data benchmarks first, the long load test last.
BENCHMARKS = ["dashboard", "statements", "exports", "load"]


def main(argv: list[str]) -> None:
    names = argv or BENCHMARKS
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        sys.exit(f"No such benchmark: {', '.join(unknown)}. Choose from {', '.join(BENCHMARKS)}")
    for name in names:
        print(f"== bench.{name}", flush=True)
        importlib.import_module(f"bench.{name}").main([])


if __name__ == "__main__":
    main(sys.argv[1:])
