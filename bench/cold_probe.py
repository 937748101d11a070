"""Cold-start probe, run as a fresh process:

    python bench/cold_probe.py FUNCTION METHOD ROUTE [PRELOAD]

Imports the PRELOAD modules first (comma-separated: what Vercel's Python runtime has imported
before it loads a function), loads FUNCTION (a path like api/sendMessage.py) by path as the
runtime does, sends it one request (METHOD ROUTE, a JSON chat message as the body of a POST, the
session in COLD_PROBE_SESSION as `Authorization: Bearer`) through WSGI, and prints wall-clock
times (ns) as one JSON line. Apart from what it is asked to load, it imports only the standard
library's basics, so its own cost is the same whatever it loads.
"""

import time

STARTED_NS = time.time_ns()

import importlib  # noqa: E402 (the clock starts first)
import io  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BODY = json.dumps({"message": "cold start", "id": "cold-start-probe"}).encode()
# On stderr, so that -X importtime output can be told apart by phase.
IMPORT_MARKER = "cold_probe: function import"
REQUEST_MARKER = "cold_probe: first request"


def load(relative_path: str):
    sys.path.insert(0, str(ROOT))
    from devtools.functions import load_function  # importlib and pathlib only: nothing to skew the timing

    return load_function(relative_path)


def call(app, method: str, route: str) -> str:
    body = BODY if method == "POST" else b""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": route,
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_AUTHORIZATION": f"Bearer {os.environ.get('COLD_PROBE_SESSION', '')}",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    statuses = []
    b"".join(app(environ, lambda status, headers, exc_info=None: statuses.append(status)))
    return statuses[0]


def main() -> None:
    function, method, route, preload = ([*sys.argv[1:], ""])[:4]
    for module in filter(None, preload.split(",")):
        importlib.import_module(module)
    preloaded_ns = time.time_ns()
    print(IMPORT_MARKER, file=sys.stderr, flush=True)
    app = load(function).app
    imported_ns = time.time_ns()
    print(REQUEST_MARKER, file=sys.stderr, flush=True)
    status = call(app, method, route)
    responded_ns = time.time_ns()
    print(
        json.dumps(
            {
                "status": int(status.split()[0]),
                "started_ns": STARTED_NS,
                "preloaded_ns": preloaded_ns,
                "imported_ns": imported_ns,
                "responded_ns": responded_ns,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
