"""2. Cold start: a fresh process to the first 200, as Vercel runs a function: from the output of a
real `vercel build` (its Python environment, its bytecode), after the imports of Vercel's Python
runtime. In one run: (a) hello-world Flask; (b) the floor for sending, a Flask function that makes
ably-python's AblyRestSync when it loads and publishes the request's message with no checks; (b')
the same answering a TokenRequest; (c) api/sendMessage.py's first valid publish; (d) api/ably/auth.py's
first token. Without bytecode, the rate-limit engines and the function bundles alongside."""

import ast
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from bench.cold_probe import IMPORT_MARKER, REQUEST_MARKER
from bench.cold_variants import (
    AUTH_AS_RUN,
    COMPARED_REQUIREMENTS,
    DESIGN,
    GOAL,
    HELLO_AS_RUN,
    HELLO_NO_PYC,
    RATE_LIMITS,
    SEND_AS_RUN,
    SEND_FLOOR,
    SEND_NO_PYC,
    TOKEN_FLOOR,
    VARIANTS,
    Variant,
)
from bench.functions import settings_for
from bench.report import Table, ratio
from bench.stats import median, percentile, scaled
from devtools.emulator import running_emulator
from devtools.functions import held_session
from devtools.vercel_build import BuildFailed, build_python, bundled_files, function_dirs, vercel_build

IMPORTTIME_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)$")
PHASES = ["interpreter start", "runtime imports", "function imports", "first request"]


def runtime_imports(python: Path) -> list[str]:
    """The modules vercel_runtime/vc_init.py imports at its top, before it imports the function."""
    found = subprocess.run(
        [python, "-c", "import importlib.util; print(importlib.util.find_spec('vercel_runtime.vc_init').origin)"],
        capture_output=True,
        text=True,
        check=True,
    )
    modules = []
    for node in ast.parse(Path(found.stdout.strip()).read_text()).body:
        if isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module != "__future__":
            modules.append(node.module)
    return modules


class Probe:
    """Spawns cold_probe.py in the build's own Python environment, in the built project."""

    def __init__(self, project: Path, python: Path, env: dict, no_pyc_cache: str, compared_path: str):
        self.project, self.python, self.preload = project, python, ",".join(runtime_imports(python))
        # As on Vercel: no bytecode is written, and PYTHONPATH is the bundle's packages only.
        self.env = {key: value for key, value in env.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
        self.env["PYTHONDONTWRITEBYTECODE"] = "1"
        self.no_pyc_cache, self.compared_path = no_pyc_cache, compared_path

    def spawn(self, variant: Variant, python_flags: tuple = ()) -> tuple[dict, str]:
        """One fresh interpreter: the phases' durations (ms) and its stderr."""
        env = dict(self.env)
        if not variant.bytecode:  # an empty cache dir: every module is compiled from source
            env["PYTHONPYCACHEPREFIX"] = self.no_pyc_cache
        if variant.compared:
            env["PYTHONPATH"] = self.compared_path
        path, method, route = variant.function
        spawned_ns = time.time_ns()
        done = subprocess.run(
            [self.python, *python_flags, "bench/cold_probe.py", path, method, route, self.preload],
            cwd=self.project,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if done.returncode or not done.stdout.strip():
            raise RuntimeError(f"the probe failed for {variant.label}:\n{done.stderr[-2000:]}")
        probe = json.loads(done.stdout)
        if probe["status"] != 200:
            raise RuntimeError(f"{path} answered {probe['status']} on its first request:\n{done.stderr[-2000:]}")
        marks = [spawned_ns, probe["started_ns"], probe["preloaded_ns"], probe["imported_ns"], probe["responded_ns"]]
        timings = {phase: (end - start) / 1e6 for phase, start, end in zip(PHASES, marks, marks[1:])}
        timings["total"] = (marks[-1] - marks[0]) / 1e6
        return timings, done.stderr


def install_compared(python: Path, target: Path) -> None:
    uv = Path(sys.executable).with_name("uv")
    subprocess.run(
        [
            uv,
            "pip",
            "install",
            "--quiet",
            "--python",
            python,
            "--target",
            target,
            "--no-deps",
            "--compile-bytecode",
            "-r",
            COMPARED_REQUIREMENTS,
        ],
        check=True,
        timeout=300,
    )


def parse_importtime(stderr: str) -> dict[str, dict]:
    """module -> {self, cumulative (ms), phase}, for what the function imports on top of the runtime."""
    modules, phase = {}, "runtime imports"
    for line in stderr.splitlines():
        if line == IMPORT_MARKER:
            phase = "function imports"
        elif line == REQUEST_MARKER:
            phase = "first request"
        elif (match := IMPORTTIME_LINE.match(line)) and phase != "runtime imports":
            modules[match[4]] = {"self": int(match[1]) / 1000, "cumulative": int(match[2]) / 1000, "phase": phase}
    return modules


def run() -> list[Table]:
    spawn_rounds = scaled(30, minimum=3)
    importtime_runs = scaled(5, minimum=1)
    with tempfile.TemporaryDirectory() as scratch:
        try:
            output = vercel_build(Path(scratch) / "project")
        except BuildFailed as error:
            return [Table("Cold start", ["Result"], [[f"`vercel build` failed: {str(error).strip()[-300:]}"]])]
        project = output.parents[1]
        (project / ".env").unlink()  # a leak check for the deploy test; no deployment has one
        python = build_python(output)
        install_compared(python, Path(scratch) / "compared")
        empty_cache = Path(scratch) / "no-pyc"
        empty_cache.mkdir()
        with running_emulator() as emulator:
            # Every probe sends the same session, as a page would: the function checks it (a fresh
            # process has no record of the name without REDIS_URL, so the signature decides).
            session = held_session(settings_for(emulator), "Ana", "general")
            env = {
                **os.environ,
                "ABLY_API_KEY": emulator.key,
                "ABLY_ENDPOINT": emulator.url,
                "COLD_PROBE_SESSION": session,
            }
            probe = Probe(project, python, env, str(empty_cache), str(Path(scratch) / "compared"))
            timings = {variant: [] for variant in VARIANTS}
            for index in range(spawn_rounds):
                due = [variant for variant in VARIANTS if index % variant.every == 0]
                shift = index % len(due)  # rotate which goes first
                for variant in due[shift:] + due[:shift]:
                    timings[variant].append(probe.spawn(variant)[0])
            importtimes = {variant: [] for variant in (HELLO_AS_RUN, SEND_FLOOR, SEND_AS_RUN)}
            for _ in range(importtime_runs):
                for variant in importtimes:
                    importtimes[variant].append(parse_importtime(probe.spawn(variant, ("-X", "importtime"))[1]))
        bundles = bundle_table(output, project)
    return [
        cold_start_table(timings),
        no_bytecode_table(timings),
        rate_limit_table(timings),
        import_table(importtimes),
        bundles,
    ]


def p50(runs: list[dict], phase: str = "total") -> float:
    return median([run[phase] for run in runs])


def p90(runs: list[dict]) -> float:
    return percentile([run["total"] for run in runs], 0.9)


def cold_start_table(timings: dict[Variant, list[dict]]) -> Table:
    ms = {variant: p50(timings[variant]) for variant in DESIGN}
    hello, send_floor, token_floor = ms[HELLO_AS_RUN], ms[SEND_FLOOR], ms[TOKEN_FLOOR]
    floor_of = {SEND_AS_RUN: SEND_FLOOR, AUTH_AS_RUN: TOKEN_FLOOR}
    rows = []
    for variant in DESIGN:
        runs = timings[variant]
        floor = floor_of.get(variant)
        rows.append(
            [
                variant.label,
                len(runs),
                ms[variant],
                p90(runs),
                *(p50(runs, phase) for phase in PHASES),
                ratio(ms[variant], hello),
                ratio(ms[variant], ms[floor]) if floor else "–",
                ("yes" if ms[variant] <= GOAL * ms[floor] else "no") if floor else "–",
            ]
        )
    send, auth = ms[SEND_AS_RUN], ms[AUTH_AS_RUN]

    def verdict(value: float, floor: float) -> str:
        return "met" if value <= GOAL * floor else f"not met by {value - GOAL * floor:.0f} ms"

    return Table(
        title="Cold start: process spawn to the first 200 (with bytecode, after the runtime's imports)",
        columns=["Function", "n", "p50 ms", "p90 ms", *PHASES, "p50 / (a)", "p50 / its floor", f"≤ {GOAL}×"],
        rows=rows,
        interpretation=f"sendMessage's first publish takes {ratio(send, send_floor)} the floor's (c)/(b), goal "
        f"≤ {GOAL}×: {verdict(send, send_floor)}; the token function's first token "
        f"{ratio(auth, token_floor)} its floor's (d)/(b'): {verdict(auth, token_floor)}. What the SDK "
        f"costs: (b)/(a) = {ratio(send_floor, hello)}, {send_floor - hello:.0f} ms over hello-world "
        f"Flask; sendMessage (c)/(a) = {ratio(send, hello)}.",
        notes=[
            "Every function runs from the output of a real `vercel build` with VERCEL_PYTHON_COMPILEALL=1: its "
            "Python environment (only requirements.txt and Vercel's runtime), the bytecode it compiled, "
            "PYTHONDONTWRITEBYTECODE=1.",
            "(b) and (b') are bench/cold_functions/send_floor.py and token_floor.py: Flask and ably-python's "
            "AblyRestSync made when the function loads, as the functions make theirs, and nothing else. Against "
            "the emulator (plain HTTP) a first publish asks for a token first, in (b) and (c) alike; against "
            "Ably's cloud it would use the key over TLS. The SDK's HTTP client makes its TLS context when it is "
            "made, in every row but (a).",
            "Phases are medians: interpreter start = spawn to the probe's first line; runtime imports = the "
            "modules vercel_runtime/vc_init.py imports before it imports the function (asyncio, http.server, "
            "logging, its own helpers), which the function then finds loaded; function imports = loading the "
            "function by path; first request = the WSGI call, with a session for (c) and (d), as the page "
            "sends it.",
            "Fresh processes, one of each variant per round in rotating order; the machine is shared, so "
            "compare ratios within a run.",
        ],
        data={
            "phases": {
                variant.label: {phase: p50(timings[variant], phase) for phase in PHASES}
                for variant in VARIANTS
                if variant in DESIGN or not variant.bytecode
            },
            "goals": [
                (GOAL * send_floor, f"goal for (c): {GOAL}× (b)"),
                (GOAL * token_floor, f"goal for (d): {GOAL}× (b')"),
            ],
            "bytecode": {variant.label: variant.bytecode for variant in VARIANTS},
        },
    )


def no_bytecode_table(timings: dict[Variant, list[dict]]) -> Table:
    rows = [
        [
            variant.label,
            len(timings[variant]),
            p50(timings[variant]),
            p90(timings[variant]),
            *(p50(timings[variant], phase) for phase in PHASES),
        ]
        for variant in (HELLO_NO_PYC, SEND_NO_PYC)
    ]
    send, send_no_pyc = p50(timings[SEND_AS_RUN]), p50(timings[SEND_NO_PYC])
    return Table(
        title="Cold start without bytecode (Vercel's default without VERCEL_PYTHON_COMPILEALL)",
        columns=["Function", "n", "p50 ms", "p90 ms", *PHASES],
        rows=rows,
        interpretation=f"Without bytecode a cold sendMessage takes {ratio(send_no_pyc, send)} its own time with "
        "bytecode.",
        notes=[
            f"No bytecode is read at all, as in a build without the flag; measured in one round out of "
            f"{HELLO_NO_PYC.every}."
        ],
    )


def rate_limit_table(timings: dict[Variant, list[dict]]) -> Table:
    hello, send = p50(timings[HELLO_AS_RUN]), p50(timings[SEND_AS_RUN])
    rows = [
        [
            variant.label,
            p50(timings[variant]),
            p90(timings[variant]),
            p50(timings[variant], "function imports"),
            p50(timings[variant], "first request"),
            p50(timings[variant]) - hello,
            ratio(p50(timings[variant]), hello),
        ]
        for variant in RATE_LIMITS
    ]
    added = {variant.label: p50(timings[variant]) - hello for variant in RATE_LIMITS[1:]}
    return Table(
        title="Rate-limit engines: what each adds to a cold start (memory storage, with bytecode)",
        columns=["Function", "p50 ms", "p90 ms", "function imports", "first request", "Δ p50 vs hello", "p50 / hello"],
        rows=rows,
        interpretation="Importing and using them adds "
        + " and ".join(f"{ms:.0f} ms ({label.split(' (')[0].removeprefix('hello + ')})" for label, ms in added.items())
        + f" to a cold start; sendMessage takes {send - p50(timings[SEND_FLOOR]):.0f} ms more "
        "than its floor (b).",
        notes=[
            "limits is one of the functions' own packages; Flask-Limiter is installed from "
            f"{COMPARED_REQUIREMENTS.relative_to(Path(__file__).parents[1])} next to the build's packages, "
            "with bytecode, for its row only; one limit per IP, checked on the request."
        ],
    )


def self_ms_by_package(modules: dict[str, dict]) -> dict[str, float]:
    totals = defaultdict(float)
    for name, entry in modules.items():
        totals[name.split(".")[0]] += entry["self"]
    return totals


def import_table(importtimes: dict[Variant, list[dict]], top: int = 12) -> Table:
    by_package = {variant: [self_ms_by_package(run) for run in runs] for variant, runs in importtimes.items()}

    def package_ms(variant: Variant, package: str) -> float:
        return median([run.get(package, 0.0) for run in by_package[variant]])

    send_runs = importtimes[SEND_AS_RUN]
    packages = sorted(by_package[SEND_AS_RUN][0], key=lambda p: -package_ms(SEND_AS_RUN, p))[:top]
    rows = []
    for package in packages:
        phases = {entry["phase"] for name, entry in send_runs[0].items() if name.split(".")[0] == package}
        rows.append(
            [
                package,
                package_ms(SEND_AS_RUN, package),
                package_ms(SEND_FLOOR, package),
                package_ms(HELLO_AS_RUN, package),
                len([m for m in send_runs[0] if m.split(".")[0] == package]),
                " + ".join(sorted(phases)),
            ]
        )
    totals = {
        variant: median([sum(m["self"] for m in run.values()) for run in runs]) for variant, runs in importtimes.items()
    }
    during_request = median(
        [sum(m["self"] for m in run.values() if m["phase"] == "first request") for run in send_runs]
    )
    rows.append(["all", totals[SEND_AS_RUN], totals[SEND_FLOOR], totals[HELLO_AS_RUN], len(send_runs[0]), ""])
    return Table(
        title=f"Imports on top of the runtime's, by top-level package (`python -X importtime`, self time, top {top})",
        columns=["Package", "(c) sendMessage ms", "(b) floor ms", "(a) hello ms", "modules (c)", "when (c)"],
        rows=rows,
        interpretation=f"sendMessage's imports take {ratio(totals[SEND_AS_RUN], totals[SEND_FLOOR])} those of its "
        f"floor (b) and {ratio(totals[SEND_AS_RUN], totals[HELLO_AS_RUN])} those of hello-world "
        f"Flask; {during_request:.1f} ms of them happen during its first request.",
        notes=[
            f"Median of {len(send_runs)} `-X importtime` run(s) in the build's environment, with bytecode; "
            "importtime's own overhead inflates every figure alike."
        ],
    )


def bundle_table(output: Path, project: Path) -> Table:
    """What each function's bundle holds, by part, from the filePathMap of the build."""

    def part(bundled: str) -> str:
        if bundled.startswith("_vendor/"):
            name = bundled.split("/")[1]
            return f"_vendor/{name}" if name in ("pip", "vercel_runtime") else "_vendor/ (requirements.txt)"
        return "the project's own files"

    rows = []
    for name, function_dir in sorted(function_dirs(output).items()):
        sizes, counts = defaultdict(int), defaultdict(int)
        for bundled, source in bundled_files(function_dir).items():
            sizes[part(bundled)] += source.stat().st_size
            counts[part(bundled)] += 1
        for label in sorted(sizes, key=lambda label: -sizes[label]):
            rows.append([name, label, counts[label], sizes[label] / 2**20])
        rows.append([name, "**total**", sum(counts.values()), sum(sizes.values()) / 2**20])
    copy = [path for path in (project / ".vercel_python_packages").rglob("*") if path.is_file()]
    copy_mib = sum(path.stat().st_size for path in copy) / 2**20
    return Table(
        title="Function bundles (uncompressed)",
        columns=["Function", "Part", "files", "MiB"],
        rows=rows,
        interpretation=f"vercel.json's excludeFiles keeps the builder's .vercel_python_packages/ ({len(copy):,} "
        f"files, {copy_mib:.1f} MiB, never imported) out of every function.",
        notes=[
            "From each function's filePathMap in the `vercel build` output above. _vendor/pip comes with the "
            "builder's environment and cannot be excluded. A smaller bundle is faster to fetch and unpack "
            "on a cold instance; that part of a cold start happens on Vercel and is not measured here."
        ],
    )
