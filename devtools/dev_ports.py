"""The ports `make dev` is asked for, checked before anything starts. A busy app port is refused
rather than followed (the README says why); a busy emulator port is replaced by a free one, unless
it was asked for."""

import errno
import os
from collections.abc import Callable

from devtools.dev_console import LaunchError
from devtools.tcp_ports import listen_error, next_free_port

DEFAULT_PORT = 3000
DEFAULT_EMULATOR_PORT = 8081


def requested_port(flag: str, flag_value: str | None, variable: str) -> int | None:
    """The port asked for with the flag, else with the environment variable; None if neither."""
    source, value = (flag, flag_value) if flag_value is not None else (variable, os.environ.get(variable, ""))
    if not value.strip():
        return None
    if not value.strip().isdigit() or int(value) > 65535:
        raise LaunchError(f"{source} is not a port number: expected 0 to 65535")
    return int(value)


def port_taken(port: int, variable: str, advice: str) -> LaunchError:
    return LaunchError(f"Port {port} ({variable}) is already in use on 127.0.0.1: {advice}")


def check_port(port: int, variable: str, advice: Callable[[], str]) -> None:
    """Refuse a port that a server could not listen on now; `advice` says what to do if it is taken."""
    error = listen_error(port) if port else None
    if error == errno.EADDRINUSE:
        raise port_taken(port, variable, advice())
    if error:
        raise LaunchError(f"Port {port} ({variable}) cannot be used on 127.0.0.1: {os.strerror(error)}")


def app_port_advice(port: int) -> str:
    return f"stop what uses it, or choose another port, e.g. PORT={next_free_port(port)} make dev"


def choose_emulator_port(asked: int | None) -> int:
    """A port asked for must be free. Otherwise the usual one, or, when that is busy, any free one
    (0: the emulator picks it); the launcher hands the address on to the functions anyway."""
    if asked is None:
        return DEFAULT_EMULATOR_PORT if listen_error(DEFAULT_EMULATOR_PORT) is None else 0
    check_port(
        asked, "EMULATOR_PORT", lambda: "choose another, or leave EMULATOR_PORT unset and make dev picks a free one"
    )
    return asked
