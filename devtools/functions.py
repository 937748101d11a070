"""Load the functions in api/ the way Vercel's Python runtime does: by file path."""

import importlib.util

from devtools import ROOT


def load_function(relative_path: str):
    """Import e.g. `api/ably/auth.py` as module `api.ably.auth`, returning the module."""
    module_name = relative_path.removesuffix(".py").replace("/", ".")
    spec = importlib.util.spec_from_file_location(module_name, ROOT / relative_path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
