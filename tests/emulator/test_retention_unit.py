"""How long a channel keeps its history: the ordinary retention, or the longer one where the persist rule is
on (`--persisted` for the default app, namespaces marked `persisted` in `POST /apps`), with fake time."""

import pytest

from emulator.apps import Registry, Retention

from .fakes import FakeTime, SequentialIds

RETENTION = Retention(default_ms=120_000, persisted_ms=86_400_000)


@pytest.fixture
def world():
    clock = FakeTime()
    registry = Registry(clock, SequentialIds(), RETENTION)
    return clock, registry


def surviving(app, names, clock, after_s):
    """Publish one message on each channel, let `after_s` seconds pass, and say which still have it."""
    for name in names:
        app.channel(name).append("message", [{"name": "m"}], clock(), None)
    clock.advance(after_s)
    for name in names:
        app.channel(name).prune(clock())
    return {name for name in names if app.channel(name).log}


def test_the_rules_make_dev_sets_persist_the_default_room_and_the_chat_namespace(world):
    clock, registry = world
    registry.add_key_str("app.key:secret")
    app = registry.apps["app"]
    app.persisted_rules.update({"chat", "chat:*"})
    names = ("chat", "chat:games", "chatter", "other", "other:chat")
    assert surviving(app, names, clock, 10 * 60) == {"chat", "chat:games"}
    # The persisted retention ends too.
    assert surviving(app, ("chat",), clock, 24 * 60 * 60 + 1) == set()


def test_a_namespace_rule_alone_does_not_cover_the_bare_channel(world):
    clock, registry = world
    registry.add_key_str("app.key:secret")
    app = registry.apps["app"]
    app.persisted_rules.add("chat:*")
    assert surviving(app, ("chat", "chat:room"), clock, 180) == {"chat:room"}


def test_a_provisioned_persisted_namespace_keeps_history_longer(world):
    clock, registry = world
    app = registry.provision({"namespaces": [{"id": "persisted", "persisted": True}, {"id": "plain"}]}).app
    names = ("persisted:room", "plain:room", "persisted")
    assert surviving(app, names, clock, 180) == {"persisted:room"}
