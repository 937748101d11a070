"""Programs from outside Python that the tests and benchmarks run (Chromium, Node, redis-server)
and the npm packages. One that is missing raises ToolMissing, saying how to install it: the tests
fail on it under CI=true and skip elsewhere (tests/conftest.py), the benchmarks say what they could
not measure."""

import shutil


class ToolMissing(RuntimeError):
    """A tool is not installed; the message says how to install it."""


def program(name: str, install: str) -> str:
    """The path of the program `name` (a name on PATH, or a path); ToolMissing, saying `install`, if
    there is none."""
    path = shutil.which(name)
    if path is None:
        raise ToolMissing(f"{name} is missing: {install}")
    return path
