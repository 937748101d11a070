"""Load the functions in api/ the way Vercel's Python runtime does: by file path; and build them, with
the settings of a suite or a benchmark, the way each function file builds its app.

The chat package is imported inside the functions here, never at the top: bench/cold_probe.py times
a cold start through `load_function` and must not pay for anything else.
"""

import importlib.util

from devtools import ROOT

# Far more requests than one person could send: the limiters still run, they just never refuse.
GENEROUS_SCALE = 10**9


def load_function(relative_path: str):
    """Import e.g. `api/ably/auth.py` as module `api.ably.auth`, returning the module."""
    module_name = relative_path.removesuffix(".py").replace("/", ".")
    spec = importlib.util.spec_from_file_location(module_name, ROOT / relative_path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def generous_limits(redis_url: str | None = None):
    """A real rate limiter (counting in Redis with `redis_url`, else in memory) that never refuses: for
    suites and benchmarks about something else than the limits, which have tests of their own."""
    from chat.rate_limits import RateLimits
    from chat.store import Store

    return RateLimits(Store(redis_url), scale=GENEROUS_SCALE)


def function_app(relative_path: str, settings, **collaborators):
    """A fresh Flask app of the function at `relative_path`, built as its file builds it but on `settings`
    and `collaborators` (chat.web.create_app's), its rate limits out of the way unless `limits` is given."""
    from chat.web import create_app

    if "limits" not in collaborators:
        collaborators["limits"] = generous_limits(settings.redis_url)
    return create_app(load_function(relative_path).routes, settings=settings, **collaborators)


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
