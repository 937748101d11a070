"""`python -m emulator`: run the Ably emulator until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from aiohttp.http_exceptions import HttpProcessingError

from .access import AccessPolicy
from .apps import Retention
from .auth import parse_key_str
from .connection import ConnectionSettings
from .server import Options, serve


def _without_traceback_for_malformed_http(record: logging.LogRecord) -> bool:
    """aiohttp answers malformed HTTP with a 400 itself: the client's mistake, worth one line."""
    error = record.exc_info[1] if record.exc_info else None
    if isinstance(error, HttpProcessingError):
        record.msg, record.args, record.exc_info, record.levelno, record.levelname = (
            "Malformed HTTP request refused: %s",
            (str(error.message).strip(),),
            None,
            logging.WARNING,
            "WARNING",
        )
    return True


# The one source of every default: the fields of these dataclasses.
OPTIONS, CONNECTION_SETTINGS, RETENTION = Options(), ConnectionSettings(), Retention()


def seconds(ms: int) -> float:
    return ms / 1000


def parse_args(argv=None) -> Options:
    p = argparse.ArgumentParser(prog="python -m emulator", description="Local Ably-compatible emulator")
    p.add_argument("--host", default=OPTIONS.host, help="interface to bind (default: loopback only)")
    p.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="a web origin besides loopback ones whose pages may use the emulator, e.g. "
        "https://app.example:8443 (repeatable)",
    )
    p.add_argument("--port", type=int, default=OPTIONS.port, help="port for REST and WebSocket; 0 picks a free one")
    p.add_argument(
        "--key",
        default=OPTIONS.key,
        help="the default app's key, appId.keyId:secret (default: the dev key %(default)s)",
    )
    p.add_argument(
        "--presence-leave-delay",
        type=float,
        default=seconds(CONNECTION_SETTINGS.presence_leave_delay_ms),
        metavar="SECONDS",
        help="how long members of an abruptly dropped connection stay present",
    )
    p.add_argument(
        "--connection-state-ttl",
        type=float,
        default=seconds(CONNECTION_SETTINGS.connection_state_ttl_ms),
        metavar="SECONDS",
        help="how long a dropped connection can be resumed",
    )
    p.add_argument(
        "--heartbeat-interval",
        type=float,
        default=seconds(CONNECTION_SETTINGS.max_idle_interval_ms),
        metavar="SECONDS",
        help="maxIdleInterval: a HEARTBEAT is sent after this much silence",
    )
    p.add_argument(
        "--history-ttl",
        type=float,
        default=seconds(RETENTION.default_ms),
        metavar="SECONDS",
        help="message retention for ordinary channels",
    )
    p.add_argument(
        "--persisted-history-ttl",
        type=float,
        default=seconds(RETENTION.persisted_ms),
        metavar="SECONDS",
        help="message retention for channels with the persist rule (--persisted, or namespaces marked "
        "persisted in POST /apps)",
    )
    p.add_argument(
        "--token-timestamp-window",
        type=float,
        default=seconds(OPTIONS.timestamp_window_ms),
        metavar="SECONDS",
        help="how far a TokenRequest timestamp may be from the emulator's clock",
    )
    p.add_argument(
        "--channel-close-delay",
        type=float,
        default=seconds(OPTIONS.channel_close_delay_ms),
        metavar="SECONDS",
        help="how long a channel stays active (listed by GET /channels) after its last attachment, "
        "presence member or message",
    )
    p.add_argument(
        "--history-file",
        metavar="PATH",
        help="keep channel history in this SQLite file so it survives restarts (default: memory only)",
    )
    p.add_argument(
        "--mutable-messages",
        action="append",
        default=[],
        metavar="CHANNELS",
        help="turn on the mutable-messages rule (updates, deletes, appends, annotations) for a channel name, "
        "or for the channels a pattern ending in * matches, e.g. 'chat:*' (repeatable)",
    )
    p.add_argument(
        "--persisted",
        action="append",
        default=[],
        metavar="CHANNELS",
        help="turn on the persist-all-messages rule (history kept for --persisted-history-ttl) for a channel "
        "name, or for the channels a pattern ending in * matches, e.g. 'chat:*' (repeatable)",
    )
    p.add_argument("--verbose", action="store_true", help="log debug information to stderr")
    args = p.parse_args(argv)
    try:
        parse_key_str(args.key)
    except ValueError as e:
        p.error(f"--key: {e}")
    for flag, rules in (("--mutable-messages", args.mutable_messages), ("--persisted", args.persisted)):
        if any(not rule or "*" in rule[:-1] for rule in rules):
            p.error(f"{flag}: a channel name, or a pattern with one * at its end")
    try:
        AccessPolicy(args.host, tuple(args.allow_origin))
    except ValueError as e:
        p.error(f"--allow-origin: {e}")
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    if not args.verbose:
        logging.getLogger("aiohttp.server").addFilter(_without_traceback_for_malformed_http)
    ms = lambda seconds: int(seconds * 1000)  # noqa: E731
    return Options(
        host=args.host,
        port=args.port,
        key=args.key,
        settings=ConnectionSettings(
            presence_leave_delay_ms=ms(args.presence_leave_delay),
            connection_state_ttl_ms=ms(args.connection_state_ttl),
            max_idle_interval_ms=ms(args.heartbeat_interval),
        ),
        retention=Retention(ms(args.history_ttl), ms(args.persisted_history_ttl)),
        timestamp_window_ms=ms(args.token_timestamp_window),
        channel_close_delay_ms=ms(args.channel_close_delay),
        history_file=args.history_file,
        allowed_origins=tuple(args.allow_origin),
        mutable_messages=tuple(args.mutable_messages),
        persisted=tuple(args.persisted),
    )


async def main(options: Options) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    def ready(emulator, host, port):
        key = emulator.default_key
        authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"  # IPv6 literals need brackets
        print(f"Ably emulator ready on http://{authority} (app {key.app_id}, key {key.name})", flush=True)

    await serve(options, stop, ready)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
