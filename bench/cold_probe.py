"""Cold-start probe, run as a fresh process:

    python bench/cold_probe.py FUNCTION ROUTE [PRELOAD [CANDIDATES]]

Imports the PRELOAD modules first (comma-separated: what Vercel's Python runtime has imported
before it loads a function), applies the CANDIDATES (comma-separated names of changes to try),
loads FUNCTION (a path like api/sendMessage.py) by path as the runtime does, POSTs one JSON chat
message to ROUTE through WSGI, and prints wall-clock times (ns) as one JSON line. Apart from what
it is asked to load, it imports only the standard library's basics, so its own cost is the same
whatever it loads.
"""

import time

STARTED_NS = time.time_ns()

import importlib  # noqa: E402 (the clock starts first)
import importlib.util  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BODY = json.dumps({"username": "Ana", "message": "cold start", "id": "cold-start-probe"}).encode()
# On stderr, so that -X importtime output can be told apart by phase.
IMPORT_MARKER = "cold_probe: function import"
REQUEST_MARKER = "cold_probe: first request"


def ably_packages_without_init() -> None:
    """`ably` and `ably.sync` as bare packages: their __init__ imports the async and realtime
    clients, which a REST publish never uses. Their submodules read two constants from them."""
    import re

    for name in ("ably", "ably.sync"):
        spec = importlib.util.find_spec(name)
        package = importlib.util.module_from_spec(spec)
        source = Path(spec.origin).read_text()
        for constant in ("api_version", "lib_version"):
            setattr(package, constant, re.search(rf"^{constant} = '([^']+)'", source, re.M)[1])
        sys.modules[name] = package


def http1_only() -> None:
    """As if h2 were not installed: httpcore then skips HTTP/2, and httpx clients speak HTTP/1.1."""
    sys.modules["h2"] = None
    import httpx

    make_client = httpx.Client.__init__

    def http1_client(self, *args, **kwargs):
        make_client(self, *args, **{**kwargs, "http2": False})

    httpx.Client.__init__ = http1_client


CANDIDATES = {"ably-rest-only": ably_packages_without_init, "http1": http1_only}


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
    function, route, preload, candidates = (sys.argv[1:] + ["", ""])[:4]
    for module in filter(None, preload.split(",")):
        importlib.import_module(module)
    preloaded_ns = time.time_ns()
    print(IMPORT_MARKER, file=sys.stderr, flush=True)
    for candidate in filter(None, candidates.split(",")):
        CANDIDATES[candidate]()
    app = load(function).app
    imported_ns = time.time_ns()
    print(REQUEST_MARKER, file=sys.stderr, flush=True)
    status = post(app, route)
    responded_ns = time.time_ns()
    print(json.dumps({"status": int(status.split()[0]), "started_ns": STARTED_NS, "preloaded_ns": preloaded_ns,
                      "imported_ns": imported_ns, "responded_ns": responded_ns}), flush=True)


if __name__ == "__main__":
    main()
