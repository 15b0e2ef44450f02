"""The per-workspace token bucket, with a clock the test moves."""

import pytest

from gateway.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_a_burst_then_the_rate(clock: Clock) -> None:
    limiter = RateLimiter(rate=100, burst=500, clock=clock)
    assert all(limiter.wait("w") == 0 for _ in range(500))
    assert limiter.wait("w") == pytest.approx(0.01)  # the 501st waits for one token at 100/s
    clock.now += 0.051  # five tokens back (and a tenth)
    assert [limiter.wait("w") == 0 for _ in range(6)] == [True] * 5 + [False]


def test_refused_requests_take_nothing(clock: Clock) -> None:
    limiter = RateLimiter(rate=2, burst=1, clock=clock)
    assert limiter.wait("w") == 0
    for _ in range(10):
        assert limiter.wait("w") == pytest.approx(0.5)  # asking again does not push the wait further out
    clock.now += 0.5
    assert limiter.wait("w") == 0


def test_idle_time_refills_up_to_the_burst_only(clock: Clock) -> None:
    limiter = RateLimiter(rate=10, burst=3, clock=clock)
    limiter.wait("w")
    clock.now += 3600
    assert [limiter.wait("w") == 0 for _ in range(4)] == [True, True, True, False]


def test_each_workspace_has_its_own_bucket(clock: Clock) -> None:
    limiter = RateLimiter(rate=1, burst=2, clock=clock)
    assert [limiter.wait("a") == 0 for _ in range(3)] == [True, True, False]
    assert [limiter.wait("b") == 0 for _ in range(2)] == [True, True]
