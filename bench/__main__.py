"""`make bench` (or `.venv/bin/python -m bench [SECTION ...]`): run the benchmarks, print each
table and, when all of them ran, write bench/results.md and its plot, bench/results.svg.
BENCH_SCALE=N multiplies the sample counts."""

import argparse
import datetime
import importlib
import os
import sys
import time

from bench.plot import write_plot
from bench.report import header, write_results
from bench.stats import scale

SECTIONS = {  # module in bench/ -> heading
    "publish": "1. Publish path",
    "cold_start": "2. Cold start",
    "fanout": "3–4. End-to-end delivery and fan-out throughput",
    "client_weight": "5. Client weight",
}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("sections", nargs="*", metavar="SECTION",
                        help=f"any of {', '.join(SECTIONS)} (default: all)")
    chosen = parser.parse_args().sections or list(SECTIONS)
    if unknown := [name for name in chosen if name not in SECTIONS]:
        parser.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    started = datetime.datetime.now(datetime.timezone.utc)
    load_before = os.getloadavg()
    results = []
    for name in chosen:
        print(f"\n== {SECTIONS[name]} ==", flush=True)
        began = time.monotonic()
        tables = importlib.import_module(f"bench.{name}").run()
        for table in tables:
            print(table.markdown(), flush=True)
        print(f"({time.monotonic() - began:.0f} s)", flush=True)
        results.append((SECTIONS[name], tables))
    if set(chosen) != set(SECTIONS):
        print("\nPartial run: bench/results.md is left as it was.")
        return 0
    plot = write_plot(results)
    path = write_results(header(scale(), started, load_before, os.getloadavg()), results, plot)
    print(f"\nWritten to {path}" + (f" and {plot}" if plot else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
