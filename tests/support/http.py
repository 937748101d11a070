"""HTTP for the suites: checks on the functions' answers, Basic auth, and servers of their own (a small
handler, or one of the functions served over real HTTP)."""

import base64
import contextlib
import http.server
import threading

from werkzeug.serving import make_server


def assert_json_error(response, status: int, field: str | None = None, mentions: str | None = None) -> dict:
    """`response` (a Flask test response) is a JSON error with `status`, naming `field`."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    error = response.get_json()["error"]
    assert isinstance(error["message"], str) and error["message"]
    assert error.get("field") == field
    if mentions:
        assert mentions in error["message"], error["message"]
    return error


def basic_auth(key: str) -> dict:
    """The Authorization header of a request authenticated with an Ably key itself."""
    return {"Authorization": "Basic " + base64.b64encode(key.encode()).decode()}


class QuietHandler(http.server.BaseHTTPRequestHandler):
    """A request handler for a test's own server: it answers with whole bodies and logs nothing."""

    def respond(self, body: bytes, content_type: str, status: int = 200, headers: dict[str, str] | None = None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serving(handler, port: int = 0):
    """A threaded HTTP server with `handler` on 127.0.0.1 (on `port`, or a free one); yields its port."""
    with _running(http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)) as server:
        yield server.server_address[1]


@contextlib.contextmanager
def serving_app(app):
    """A WSGI app (a function's Flask app) served by Werkzeug, threaded, on a free port of 127.0.0.1:
    for clients that need real HTTP, such as ably-js. Yields its base URL."""
    with _running(make_server("127.0.0.1", 0, app, threaded=True)) as server:
        yield f"http://127.0.0.1:{server.server_port}"


@contextlib.contextmanager
def _running(server: http.server.HTTPServer):
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
