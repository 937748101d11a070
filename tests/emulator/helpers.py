"""Settings shared by the emulator suites and their fixtures (conftest.py)."""

# Short timers so presence-leave, connection-TTL and channel-closing behaviour can be tested
# without long sleeps.
CHANNEL_CLOSE_DELAY_S = 2
FAST_TIMERS = (
    "--presence-leave-delay",
    "1",
    "--connection-state-ttl",
    "4",
    "--channel-close-delay",
    str(CHANNEL_CLOSE_DELAY_S),
)
# The shared emulator turns the mutable-messages rule on for the `mutable` namespace, as the SDKs' own test
# app does (its `POST /apps` spec has a namespace `{"id": "mutable", "mutableMessages": true}`).
MUTABLE_NAMESPACE = "mutable"
MUTABLE_RULE = ("--mutable-messages", f"{MUTABLE_NAMESPACE}:*")
