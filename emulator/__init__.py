"""Local Ably-compatible emulator: REST and realtime WebSocket on one port.

Kept import-light on purpose: other code only needs the default key from here.
"""

# The documented well-known development key of the default app `local`.
# Safe to publish: the emulator only binds to loopback and holds no real data.
DEFAULT_KEY = "local.dev:local-dev-secret"

__all__ = ["DEFAULT_KEY"]
