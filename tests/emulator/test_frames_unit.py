"""The realtime state machine against arbitrary frames: whatever a client sends, the machine stays up
and answers everybody else."""

from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.protocol import Action

from .driving import KEY, connect
from .fakes import make_realtime

frame_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 30) | st.text(max_size=5) | st.binary(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8) | st.binary(max_size=3), inner, max_size=3)
    ),
    max_leaves=8,
)
frame_fields = st.fixed_dictionaries(
    {"action": st.sampled_from([0, 5, 7, 10, 12, 14, 15, 16, 17, 19, 99])},
    optional=dict.fromkeys(
        ("channel", "msgSerial", "messages", "presence", "params", "flags", "channelSerial", "auth", "id"), frame_values
    ),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(frame_fields, max_size=6))
def test_arbitrary_frames_never_crash_the_machine(frames):
    _, _, realtime = make_realtime(KEY)
    bystander, tb = connect(realtime)
    conn, t = connect(realtime, clientId="fuzz")
    for pm in frames:
        if t.closed:
            break
        realtime.receive(conn, t, pm)
    realtime.receive(bystander, tb, {"action": Action.HEARTBEAT, "id": "ping"})
    assert tb.frames[-1] == {"action": Action.HEARTBEAT, "id": "ping"} and not tb.closed
