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


def held_session(settings, name: str = "Ana", room: str = "general", claim: str | None = None) -> str:
    """A session for `name` in `room` as POST /api/session signs it, its claim recorded as the name's
    holder in the deployment's record (this process's, or Redis with REDIS_URL): for suites and
    benchmarks that send as somebody without claiming through Ably presence first."""
    import time

    from chat.holders import Holders
    from chat.names import name_key
    from chat.sessions import Sessions, new_claim_id

    claim, key = claim or new_claim_id(), name_key(name)
    if not Holders.shared(settings).take(room, key, claim, time.time()):
        raise RuntimeError(f"{name!r} is already held in {room!r}")
    return Sessions(settings).issue(name, room, claim, key)
