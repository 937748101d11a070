"""The `python -m emulator` command line: ready line, --key, shutdown, errors."""

import asyncio
import signal
import socket
import subprocess
import sys
import time

import aiohttp
import httpx
import pytest
from ably.sync import AblyRestSync
from ably.sync.types.message import Message

from devtools import ROOT
from devtools.emulator import running_emulator
from emulator import DEFAULT_KEY
from tests.support.http import basic_auth


def test_key_flag_replaces_the_default_key():
    with running_emulator(key="myapp.k1:sesame") as emu:
        assert emu.url == f"http://127.0.0.1:{emu.port}"
        assert "app myapp, key myapp.k1" in emu.output and "sesame" not in emu.output
        ok = httpx.get(f"{emu.url}/channels/c/messages", headers=basic_auth("myapp.k1:sesame"))
        assert ok.status_code == 200
        old = httpx.get(f"{emu.url}/channels/c/messages", headers=basic_auth(DEFAULT_KEY))
        assert old.status_code == 401


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_clean_shutdown_on_signal_with_an_open_websocket(sig):
    with running_emulator() as emu:

        async def hold_connection_then_signal():
            async with aiohttp.ClientSession() as session:
                async with session.ws_connect(f"{emu.ws_url}/?key={DEFAULT_KEY}&format=json") as ws:
                    assert (await ws.receive_json(timeout=5))["action"] == 4
                    emu.process.send_signal(sig)
                    msg = await ws.receive(timeout=5)
                    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)

        asyncio.run(hold_connection_then_signal())
        assert emu.process.wait(timeout=10) == 0


def test_bad_key_flag_is_a_usage_error():
    result = subprocess.run(
        [sys.executable, "-m", "emulator", "--port", "0", "--key", "no-secret"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2 and "--key" in result.stderr


def test_startup_failure_is_reported_with_output():
    with pytest.raises(RuntimeError, match="did not become ready"):
        with running_emulator("--port", "not-a-port"):
            pass


def test_history_file_survives_a_restart(tmp_path):
    def client(emu):
        return AblyRestSync(key=emu.key, endpoint=emu.host, port=emu.port, tls=False, use_token_auth=True)

    path = str(tmp_path / "history.sqlite")
    with running_emulator("--history-file", path) as emu:
        channel = client(emu).channels.get("kept")
        channel.publish([Message(name=f"m{i}", data=str(i), id=f"id-{i}") for i in range(3)])
        before = [(m.id, m.serial) for m in channel.history().items]
    with running_emulator("--history-file", path) as emu:
        channel = client(emu).channels.get("kept")
        channel.publish(Message(name="m1", data="again", id="id-1"))  # still deduplicated
        channel.publish(Message(name="m3", data="3", id="id-3"))
        after = [(m.id, m.serial) for m in channel.history().items]
    assert after[1:] == before
    assert after[0][0] == "id-3" and after[0][1] > before[0][1]  # serials continue


def test_persisted_flag_keeps_the_rooms_history_past_the_ordinary_retention():
    rules = ("--persisted", "chat", "--persisted", "chat:*")  # as `make dev` sets them
    with running_emulator("--history-ttl", "1", *rules) as emu:
        client = AblyRestSync(key=emu.key, endpoint=emu.host, port=emu.port, tls=False, use_token_auth=True)
        names = ("chat", "chat:games", "plain")
        for name in names:
            client.channels.get(name).publish("message", f"on {name}")
        deadline = time.monotonic() + 15
        while client.channels.get("plain").history().items:  # gone once the ordinary second has passed
            assert time.monotonic() < deadline, "the ordinary retention never ended"
            time.sleep(0.2)
        kept = {name: [m.data for m in client.channels.get(name).history().items] for name in names}
    assert kept == {"chat": ["on chat"], "chat:games": ["on chat:games"], "plain": []}


@pytest.mark.parametrize("rule", ["", "chat*:x", "*chat"])
def test_a_persisted_rule_is_a_name_or_a_pattern_ending_in_a_star(rule, capsys):
    from emulator.__main__ import parse_args

    with pytest.raises(SystemExit):
        parse_args(["--persisted", rule])
    assert "--persisted: a channel name, or a pattern" in capsys.readouterr().err
    assert parse_args(["--persisted", "chat", "--persisted", "chat:*"]).persisted == ("chat", "chat:*")


def test_malformed_http_is_refused_without_a_traceback():
    with running_emulator() as emu:
        with socket.create_connection((emu.host, emu.port), timeout=5) as sock:
            sock.sendall(b"GET /time HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: \x08bad\r\n\r\n")
            assert sock.recv(100).split(b"\r\n")[0].endswith(b" 400 Bad Request")
        assert httpx.get(f"{emu.url}/time").status_code == 200
    assert "Malformed HTTP request refused" in emu.output  # and running_emulator saw no Traceback


def test_the_flags_default_to_the_dataclass_fields():
    from emulator.__main__ import parse_args
    from emulator.apps import Retention
    from emulator.connection import ConnectionSettings
    from emulator.server import Options

    options, defaults = parse_args([]), Options()
    assert (options.host, options.port, options.key) == (defaults.host, defaults.port, defaults.key)
    assert options.settings == ConnectionSettings() and options.retention == Retention()
    assert (options.timestamp_window_ms, options.channel_close_delay_ms) == (
        defaults.timestamp_window_ms,
        defaults.channel_close_delay_ms,
    )
    assert parse_args(["--heartbeat-interval", "2.5"]).settings.max_idle_interval_ms == 2500
