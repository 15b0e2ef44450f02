"""The per-workspace rate limit: a token bucket per workspace, Intilery's 100 requests/s with bursts of 500.

Buckets live in this gateway process. With N gateway replicas a workspace may therefore make N times the rate in
all, as with Intilery's per-node limits: the limit protects each replica (and the services behind it) from one
tenant's burst, not an account quota. Only authenticated workspaces get a bucket, so their number is bounded by
the workspaces that exist, whatever a caller sends.
"""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import Request

from gateway.errors import ApiError

type MonotonicClock = Callable[[], float]


@dataclass
class TokenBucket:
    """Holds up to `burst` tokens, refilled at `rate` per second; a request takes one."""

    rate: float
    burst: float
    tokens: float
    updated: float

    def take(self, now: float) -> float:
        """Take a token if there is one: 0.0, else the seconds until there will be one (nothing is taken)."""
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


@dataclass
class RateLimiter:
    rate: float
    burst: int
    clock: MonotonicClock = time.monotonic
    _buckets: dict[str, TokenBucket] = field(default_factory=dict)

    def wait(self, workspace: str) -> float:
        """0.0 when the workspace may make a request now (and it is counted), else the seconds to wait."""
        now = self.clock()
        bucket = self._buckets.get(workspace)
        if bucket is None:
            bucket = self._buckets[workspace] = TokenBucket(self.rate, self.burst, self.burst, now)
        return bucket.take(now)


def admit(request: Request, workspace: str) -> str:
    """The workspace, once its request is within its rate; 429 `rate_limit_error` with `Retry-After` otherwise."""
    limiter: RateLimiter = request.app.state.rate_limiter
    wait = limiter.wait(workspace)
    if wait:
        # Retry-After is whole seconds (RFC 9110); rounding up never invites a retry that is refused again.
        raise ApiError(429, "rate_limit_error",
                       f"over the rate limit of {limiter.rate:g} requests/s (bursts of {limiter.burst}); retry later",
                       headers={"Retry-After": str(max(1, math.ceil(wait)))})
    return workspace
