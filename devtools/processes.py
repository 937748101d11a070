"""Stopping the processes that the launcher, the benchmarks and the tests start, alone or as whole
process groups, and what /proc says about a live one.

A stop is SIGTERM, so that the process can clean up; SIGCONT with it, because a stopped process acts
on SIGTERM only once it runs again (vercel dev freezes its idle Python workers, tests freeze servers
on purpose); then SIGKILL for whatever is still there after a bound.
"""

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable

STOP_TIMEOUT_S = 10


def _exists(kill: Callable[[int, int], None], target: int) -> bool:
    try:
        kill(target, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by someone else
        pass
    return True


def is_running(pid: int) -> bool:
    return _exists(os.kill, pid)


def group_exists(pgid: int) -> bool:
    return _exists(os.killpg, pgid)


def signal_groups(pgids, signum: int) -> None:
    for pgid in pgids:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signum)


def _terminate(send: Callable[[int], None], gone: Callable[[], bool], timeout: float) -> None:
    send(signal.SIGTERM)
    send(signal.SIGCONT)
    deadline = time.monotonic() + timeout
    while not gone():
        if time.monotonic() >= deadline:
            send(signal.SIGKILL)
            return
        time.sleep(0.1)


def stop_groups(pgids: list[int], reap: Callable[[], object] = lambda: None, timeout: float = STOP_TIMEOUT_S) -> None:
    """Stop every group, waiting until all are gone, or SIGKILL what is left after `timeout` seconds.

    `reap` lets the parent of the group leaders collect them: a leader that exited but was not waited
    for is a zombie, which keeps its group alive."""

    def gone() -> bool:
        reap()
        return not any(map(group_exists, pgids))

    _terminate(lambda signum: signal_groups(pgids, signum), gone, timeout)


def stop(process: subprocess.Popen, *, group: bool = False, timeout: float = STOP_TIMEOUT_S) -> None:
    """Stop a child process, or with `group` the whole process group it leads, and reap it."""
    if group:
        stop_groups([process.pid], reap=process.poll, timeout=timeout)
    else:
        _terminate(process.send_signal, lambda: process.poll() is not None, timeout)
    process.wait()


def memory_mib(pid: int, field: str = "VmRSS") -> float:
    """A memory figure of a live process from /proc/<pid>/status: VmRSS now, or VmHWM, its peak."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    raise KeyError(field)
