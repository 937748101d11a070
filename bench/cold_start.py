"""2. Cold start: a fresh process to the first 200 from api/sendMessage.py, against a
hello-world Flask function spawned in the same loop, plus `python -X importtime`."""

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from bench.cold_probe import REQUEST_MARKER
from bench.report import Table, ratio
from bench.stats import median, percentile, scaled
from tests.support.emulator import running_emulator

ROOT = Path(__file__).resolve().parents[1]
PROBE = Path(__file__).with_name("cold_probe.py")
FUNCTIONS = {  # name -> (path, route)
    "hello-world Flask": ("bench/hello_function.py", "/api/hello"),
    "api/sendMessage.py": ("api/sendMessage.py", "/api/sendMessage"),
}
BASELINE, SEND_MESSAGE = FUNCTIONS
# Imported by api/sendMessage.py although a REST publish never runs them.
NOT_NEEDED = {
    "ably": "ably-python's async package: async REST and realtime clients, websockets, pyee, "
            "asyncio. Runs because `ably.sync` is a subpackage of `ably`",
    "ably.sync.realtime.realtime": "the sync realtime client, imported by `ably/sync/__init__.py`",
    "ably.sync.vcdiff.defaultvcdiffdecoder": "delta decoding for realtime channels, same",
    "httpcore._sync.http2": "HTTP/2 (h2, hpack, hyperframe), imported by httpcore during the first request "
                            "because ably-python installs h2 and opens `httpx.Client(http2=True)`; one small "
                            "POST per request gains nothing from it",
    "httpx._main": "httpx's command-line tool; pulls in pygments where installed (this dev venv)",
    "dotenv": "reads `.env`: only useful in local development",
}
IMPORTTIME_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)$")


def spawn(function: str, env: dict, python_flags: tuple = ()) -> tuple[dict, str]:
    """One fresh interpreter: the probe's timings (ms from spawn) and its stderr."""
    path, route = FUNCTIONS[function]
    spawned_ns = time.time_ns()
    done = subprocess.run([sys.executable, *python_flags, str(PROBE), path, route], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    if done.returncode or not done.stdout.strip():
        raise RuntimeError(f"the probe failed for {path}:\n{done.stderr[-2000:]}")
    probe = json.loads(done.stdout)
    if probe["status"] != 200:
        raise RuntimeError(f"{path} answered {probe['status']} on its first request:\n{done.stderr[-2000:]}")

    def ms_between(start_ns: int, end_ns: int) -> float:
        return (end_ns - start_ns) / 1e6

    timings = {"total": ms_between(spawned_ns, probe["responded_ns"]),
               "interpreter": ms_between(spawned_ns, probe["started_ns"]),
               "import": ms_between(probe["started_ns"], probe["imported_ns"]),
               "first request": ms_between(probe["imported_ns"], probe["responded_ns"])}
    return timings, done.stderr


def parse_importtime(stderr: str) -> dict[str, dict]:
    """module -> {self, cumulative (ms), phase: "load" or "first request"}."""
    modules, phase = {}, "load"
    for line in stderr.splitlines():
        if line == REQUEST_MARKER:
            phase = "first request"
        elif match := IMPORTTIME_LINE.match(line):
            modules[match[4]] = {"self": int(match[1]) / 1000, "cumulative": int(match[2]) / 1000,
                                 "phase": phase}
    return modules


NO_BYTECODE = ", no .pyc (Vercel's default)"


def run() -> list[Table]:
    spawns = scaled(30, minimum=3)
    importtime_runs = scaled(5, minimum=1)
    with running_emulator() as emulator, tempfile.TemporaryDirectory() as empty_cache:
        env = {**os.environ, "ABLY_API_KEY": emulator.key, "ABLY_ENDPOINT": emulator.url}
        # Vercel bundles no bytecode unless the build sets VERCEL_PYTHON_COMPILEALL=1, and functions run
        # with PYTHONDONTWRITEBYTECODE=1: every cold start compiles every module from source.
        no_bytecode_env = {**env, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": empty_cache}
        variants = {name: (name, env) for name in FUNCTIONS}
        variants |= {name + NO_BYTECODE: (name, no_bytecode_env) for name in FUNCTIONS}
        timings = {label: [] for label in variants}
        labels = list(variants)
        for index in range(spawns):
            shift = index % len(labels)  # rotate which goes first
            for label in labels[shift:] + labels[:shift]:
                timings[label].append(spawn(*variants[label])[0])
        importtimes = {name: [] for name in FUNCTIONS}
        for _ in range(importtime_runs):
            for name in FUNCTIONS:
                importtimes[name].append(parse_importtime(spawn(name, env, ("-X", "importtime"))[1]))
    return [cold_start_table(timings), import_table(importtimes), not_needed_table(importtimes[SEND_MESSAGE])]


def cold_start_table(timings: dict[str, list[dict]]) -> Table:
    phases = ["interpreter", "import", "first request"]
    baseline_total = median([t["total"] for t in timings[BASELINE]])
    rows = []
    for name, runs in timings.items():
        totals = [t["total"] for t in runs]
        rows.append([name, len(runs), median(totals), percentile(totals, 0.9),
                     *(median([t[phase] for t in runs]) for phase in phases), ratio(median(totals), baseline_total)])
    send_total = median([t["total"] for t in timings[SEND_MESSAGE]])
    send_uncached = median([t["total"] for t in timings[SEND_MESSAGE + NO_BYTECODE]])
    return Table(
        title="Cold start: process spawn to the first 200",
        columns=["Function", "n", "p50 ms", "p90 ms", "interpreter start", "import", "first request",
                 "p50 / hello"],
        rows=rows,
        interpretation=f"A cold sendMessage answers in {ratio(send_total, baseline_total)} the time of a "
                       f"hello-world Flask function ({send_total - baseline_total:.0f} ms more at the median); "
                       f"without bytecode, as Vercel deploys by default, in {ratio(send_uncached, send_total)} "
                       "its own time with bytecode, which the build flag VERCEL_PYTHON_COMPILEALL=1 avoids.",
        notes=["Fresh `python` processes (this venv), alternating; phase columns are medians: "
               "interpreter start = spawn to the probe's first line, import = loading the function by path, "
               "first request = the WSGI call, including creating the Ably client.",
               "Against the emulator (plain HTTP) ably-python uses token auth, so sendMessage's first request "
               "includes a token request; against Ably over TLS it would use the key (Basic auth) directly."],
    )


def self_ms_by_package(modules: dict[str, dict]) -> dict[str, float]:
    totals = defaultdict(float)
    for name, entry in modules.items():
        totals[name.split(".")[0]] += entry["self"]
    return totals


def import_table(importtimes: dict[str, list[dict]], top: int = 12) -> Table:
    by_package = {name: [self_ms_by_package(run) for run in runs] for name, runs in importtimes.items()}

    def package_ms(function: str, package: str) -> float:
        return median([run.get(package, 0.0) for run in by_package[function]])

    packages = sorted(by_package[SEND_MESSAGE][0], key=lambda p: -package_ms(SEND_MESSAGE, p))[:top]
    send_runs = importtimes[SEND_MESSAGE]
    rows = [[package, package_ms(SEND_MESSAGE, package), package_ms(BASELINE, package),
             len([m for m in send_runs[0] if m.split(".")[0] == package])] for package in packages]
    totals = {name: median([sum(m["self"] for m in run.values()) for run in runs])
              for name, runs in importtimes.items()}
    during_request = median([sum(m["self"] for m in run.values() if m["phase"] == "first request")
                             for run in send_runs])
    rows.append(["all imports", totals[SEND_MESSAGE], totals[BASELINE], len(send_runs[0])])
    return Table(
        title=f"Import time by top-level package (`python -X importtime`, self time, top {top})",
        columns=["Package", "sendMessage ms", "hello ms", "modules (sendMessage)"],
        rows=rows,
        interpretation=f"sendMessage imports {ratio(totals[SEND_MESSAGE], totals[BASELINE])} the import time "
                       f"of hello-world Flask; {during_request:.1f} ms of imports are deferred to its first request.",
        notes=[f"Median of {len(send_runs)} `-X importtime` run(s) of the same probe; importtime's own overhead "
               "inflates every figure alike."],
    )


def not_needed_table(send_runs: list[dict]) -> Table:
    rows = []
    for module, why in NOT_NEEDED.items():
        loaded = [run[module]["cumulative"] for run in send_runs if module in run]
        rows.append([f"`{module}`", median(loaded) if loaded else "not imported", why])
    cuttable = sum(row[1] for row in rows if isinstance(row[1], float))
    total = median([sum(m["self"] for m in run.values()) for run in send_runs])
    return Table(
        title="Imports sendMessage does not need (cumulative, median)",
        columns=["Module", "ms", "Why it is loaded"],
        rows=rows,
        interpretation=f"About {cuttable:.0f} ms of {total:.0f} ms of imports (under -X importtime) are not needed "
                       "to publish one message over REST.",
        notes=["The function imports `ably.sync.*` (chat/publisher.py), and these come with it. Posting to "
               "`/channels/chat/messages` with plain httpx would skip them, at the price of re-implementing "
               "what the SDK does for us (token renewal, fallback hosts, retries, Ably's error shapes); "
               "precompiled bytecode (VERCEL_PYTHON_COMPILEALL=1) saves far more."],
    )
