"""Support code shared by the scripts, the benchmarks and the tests: the emulator, the whole app,
redis-server, Chromium and Node suites as they run them, functions loaded as Vercel loads them, and
one way to stop processes. Development only: never deployed (vercel.json's excludeFiles and
.vercelignore leave it out)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
