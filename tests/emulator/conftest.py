import pytest

from tests.support.emulator import running_emulator

# Short timers so presence-leave, connection-TTL and channel-closing behaviour can be tested
# without long sleeps.
CHANNEL_CLOSE_DELAY_S = 2
FAST_TIMERS = ("--presence-leave-delay", "1", "--connection-state-ttl", "4",
               "--channel-close-delay", str(CHANNEL_CLOSE_DELAY_S))


@pytest.fixture(scope="session")
def emulator():
    """One emulator process shared by the suite's SDK tests (they use distinct channel names)."""
    with running_emulator(*FAST_TIMERS) as emu:
        yield emu


@pytest.fixture
def channel_name(request):
    """A channel name unique to the test, so tests sharing the emulator don't interfere."""
    return f"test-{request.node.name}".replace("[", "-").replace("]", "")
