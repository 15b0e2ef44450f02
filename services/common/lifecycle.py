"""When a process should stop: SIGTERM, SIGINT, or its supervisor gone.

A supervisor (`make run`, the tests) starts children in their own process groups so that it can stop them in
order; should the supervisor itself die without doing so, its children notice here and stop too instead of
living on as orphans. It names itself in `CDP_SUPERVISOR_PID`.
"""

import asyncio
import os
import signal

SUPERVISOR_ENV = "CDP_SUPERVISOR_PID"


def stop_requested() -> asyncio.Event:
    """An event set on SIGTERM/SIGINT or when the supervisor named in the environment is gone."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    supervisor = os.environ.get(SUPERVISOR_ENV)
    if supervisor:
        task = loop.create_task(_watch(int(supervisor), stop))
        stop._watchdog = task  # type: ignore[attr-defined]  # keep a reference for the loop's lifetime
    return stop


async def _watch(supervisor: int, stop: asyncio.Event) -> None:
    while not stop.is_set():
        if os.getppid() != supervisor:
            stop.set()
            return
        await asyncio.sleep(1)
