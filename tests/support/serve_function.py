"""`python -m tests.support.serve_function api/sendMessage.py PORT`: one function, loaded by path
as Vercel loads it and configured from the environment, served over real HTTP until SIGTERM.
Prints "serving on PORT" once it listens."""

import signal
import sys

from werkzeug.serving import make_server

from devtools.functions import load_function


def main() -> None:
    path, port = sys.argv[1], int(sys.argv[2])
    server = make_server("127.0.0.1", port, load_function(path).app, threaded=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"serving on {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
