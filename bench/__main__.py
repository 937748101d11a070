"""`make bench` (or `.venv/bin/python -m bench [--update] [SECTION ...]`): run the benchmarks, print
each table and, when all of them ran, write bench/results.md and its plot, bench/results.svg.
`--update` writes a partial run too: its sections replace theirs in bench/results.md, the others
stay as they were, and the plot shows what this run measured. BENCH_SCALE=N multiplies the sample
counts."""

import argparse
import datetime
import importlib
import os
import sys
import time

from bench.plot import write_plot
from bench.report import header, update_results, write_results
from bench.stats import scale

SECTIONS = {  # module in bench/ -> heading
    "publish": "1. Publish path",
    "cold_start": "2. Cold start",
    "fanout": "3–4. End-to-end delivery and fan-out throughput",
    "changes": "3–4 (changes). Edits and reactions, end to end",
    "client_weight": "5. Client weight",
}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("sections", nargs="*", metavar="SECTION", help=f"any of {', '.join(SECTIONS)} (default: all)")
    parser.add_argument(
        "--update", action="store_true", help="write a partial run's sections into bench/results.md, keeping the others"
    )
    arguments = parser.parse_args()
    chosen = arguments.sections or list(SECTIONS)
    if unknown := [name for name in chosen if name not in SECTIONS]:
        parser.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    started = datetime.datetime.now(datetime.UTC)
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
    if set(chosen) != set(SECTIONS) and not arguments.update:
        print("\nPartial run: bench/results.md is left as it was (--update writes it).")
        return 0
    plot = write_plot(results)
    if set(chosen) != set(SECTIONS):
        loads = [" / ".join(f"{value:.2f}" for value in load) for load in (load_before, os.getloadavg())]
        note = (
            f"- Updated {started:%Y-%m-%d %H:%M} UTC: {', '.join(SECTIONS[name] for name in chosen)} "
            f"(BENCH_SCALE={scale():g}, load average before {loads[0]}, after {loads[1]}); sections not named "
            "in an update are from the date above"
        )
        path = update_results(note, results, plot)
        print(f"\nUpdated {', '.join(SECTIONS[name] for name in chosen)} in {path}" + (f"; {plot}" if plot else ""))
        return 0
    path = write_results(header(scale(), started, load_before, os.getloadavg()), results, plot)
    print(f"\nWritten to {path}" + (f" and {plot}" if plot else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
