"""Repeating calls that are safe to repeat while a service is unavailable (restarting, or its store away)."""

import asyncio
from collections.abc import Awaitable, Callable, Iterator

import grpc

# The channels' own retry policy (gateway.backends) covers a replica's brief absence, within about a second;
# this covers a restart, which a long import or a watch should outlive.
FIRST_DELAY = 0.5
LONGEST_DELAY = 8.0

type Notify = Callable[[grpc.aio.AioRpcError, float], None]


def delays(first: float = FIRST_DELAY, longest: float = LONGEST_DELAY) -> Iterator[float]:
    """Exponential backoff: first, twice that, ... up to `longest`, then `longest` for ever."""
    delay = first
    while True:
        yield delay
        delay = min(delay * 2, longest)


def unavailable(error: grpc.aio.AioRpcError) -> bool:
    return error.code() == grpc.StatusCode.UNAVAILABLE


async def retrying[T](call: Callable[[], Awaitable[T]], retries: int, notify: Notify,
                      sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> T:
    """`call()`, made again after a backoff each time it answers UNAVAILABLE, up to `retries` more times; the last
    failure, or any other, is raised. `notify` hears of each retry before its wait."""
    waits = delays()
    for attempt in range(retries + 1):
        try:
            return await call()
        except grpc.aio.AioRpcError as error:
            if not unavailable(error) or attempt == retries:
                raise
            delay = next(waits)
            notify(error, delay)
            await sleep(delay)
    raise AssertionError("the loop returns or raises")
