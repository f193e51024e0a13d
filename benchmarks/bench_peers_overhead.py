"""Peer benchmark: ``pytest --mlscore`` overhead on a large plain suite (not a test).

Reuses ``bench_plugin_overhead.py`` with a larger generated suite (default 10,000 trivial
tests, a quarter of them marked) so the fixed cost of the plugin is measured against a run
the size of a real project's. None of the peers ships a pytest plugin, so this has no peer
column: it is the price of scoring inside the test run instead of in a separate tool.

    .venv/bin/python benchmarks/bench_peers_overhead.py [--tests 10000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_plugin_overhead


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    bench_plugin_overhead.TESTS = args.tests
    bench_plugin_overhead.MARKED = args.tests // 4
    sys.argv = [sys.argv[0], "--repeats", str(args.repeats)]
    bench_plugin_overhead.main()


if __name__ == "__main__":
    main()
