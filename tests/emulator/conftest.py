import pytest

from devtools.emulator import running_emulator

from .helpers import FAST_TIMERS, MUTABLE_NAMESPACE, MUTABLE_RULE


@pytest.fixture(scope="session")
def emulator():
    """One emulator process shared by the suite's SDK tests (they use distinct channel names)."""
    with running_emulator(*FAST_TIMERS, *MUTABLE_RULE) as emu:
        yield emu


@pytest.fixture
def channel_name(request):
    """A channel name unique to the test, so tests sharing the emulator don't interfere."""
    return f"test-{request.node.name}".replace("[", "-").replace("]", "")


@pytest.fixture
def mutable_channel(channel_name):
    """A channel name unique to the test, in the namespace with the mutable-messages rule."""
    return f"{MUTABLE_NAMESPACE}:{channel_name}"
