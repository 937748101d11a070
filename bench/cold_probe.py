"""Cold-start probe, run as a fresh process: `python bench/cold_probe.py FUNCTION ROUTE`.

Loads FUNCTION (a path like api/sendMessage.py) by path as Vercel's runtime does, POSTs one
JSON chat message to ROUTE through WSGI, and prints wall-clock times (ns) as one JSON line.
It imports nothing beyond the standard library's basics, so its own cost stays the same for
every function it loads.
"""

import time

STARTED_NS = time.time_ns()

import importlib.util  # noqa: E402 (the clock starts first)
import io  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BODY = json.dumps({"username": "Ana", "message": "cold start", "id": "cold-start-probe"}).encode()
REQUEST_MARKER = "cold_probe: first request"  # on stderr, so -X importtime output can be split


def load(relative_path: str):
    sys.path.insert(0, str(ROOT))
    module_name = relative_path.removesuffix(".py").replace("/", ".")
    spec = importlib.util.spec_from_file_location(module_name, ROOT / relative_path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def post(app, route: str) -> str:
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": route, "QUERY_STRING": "", "SERVER_NAME": "localhost",
        "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(BODY)),
        "wsgi.input": io.BytesIO(BODY), "wsgi.errors": sys.stderr, "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0), "wsgi.multithread": False, "wsgi.multiprocess": False, "wsgi.run_once": False,
    }
    statuses = []
    b"".join(app(environ, lambda status, headers, exc_info=None: statuses.append(status)))
    return statuses[0]


def main() -> None:
    function_path, route = sys.argv[1:3]
    app = load(function_path).app
    imported_ns = time.time_ns()
    print(REQUEST_MARKER, file=sys.stderr, flush=True)
    status = post(app, route)
    responded_ns = time.time_ns()
    print(json.dumps({"status": int(status.split()[0]), "started_ns": STARTED_NS,
                      "imported_ns": imported_ns, "responded_ns": responded_ns}), flush=True)


if __name__ == "__main__":
    main()
