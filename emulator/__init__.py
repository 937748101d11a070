"""Local Ably-compatible emulator: REST and realtime WebSocket on one port.

Kept import-light on purpose: other code only needs the default key from here.
"""

# The documented well-known development key of the default app `local`. Safe to publish: the
# emulator binds to loopback unless told otherwise, and holds nothing but development data.
DEFAULT_KEY = "local.dev:local-dev-secret"

__all__ = ["DEFAULT_KEY"]
