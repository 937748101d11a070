"""TCP ports on 127.0.0.1: free ones for the servers the scripts, benchmarks and tests start, and
whether a server could listen on a given one now."""

import socket


def free_port() -> int:
    """A port on 127.0.0.1 with nothing listening on it now (connections to it are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def listen_error(port: int) -> int | None:
    """The errno a server would get listening on 127.0.0.1:port now, or None. With SO_REUSEADDR, as
    Node and aiohttp listen: a port that a previous run left in TIME_WAIT is free for them too."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
            sock.listen()
        except OSError as error:
            return error.errno
    return None


def next_free_port(after: int) -> int:
    """The first port above `after` that a server could listen on now (within a hundred)."""
    return next((p for p in range(after + 1, min(after + 100, 65536)) if listen_error(p) is None), after + 1)
