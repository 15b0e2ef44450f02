"""The gateway's HTTP metrics, recorded by `RequestLog` (the one place that sees every request's status and time),
served with every other series of the process at `GET /metrics`.

Requests are labelled by the route's template (`/track/{client}/{account}/{brand}/v1/audiences/{id}`), never by
the path itself: paths carry workspaces and profile ids, and a label per path would grow without bound. Paths no
route serves (404s, CORS preflights answered before routing) share one label, as do methods no route knows.
"""

import functools
from collections.abc import Sequence

from prometheus_client import Counter, Histogram
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Scope

from services.common.metrics import LATENCY_BUCKETS

UNMATCHED = "unmatched"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_OTHER_METHOD = "other"

_LABELS = ["route", "method", "status"]
REQUESTS = Counter("cdp_http_requests_total", "HTTP requests answered, by route template, method and status", _LABELS)
DURATION = Histogram("cdp_http_request_duration_seconds", "How long the gateway took to answer a request, by route "
                     "template, method and status", _LABELS, buckets=LATENCY_BUCKETS)


def route_of(scope: Scope, routes: Sequence[BaseRoute] = ()) -> str:
    """The template of the route that served the request: the one the router chose (it notes it in the scope),
    else one of `routes` (the app's own, such as `/docs`, which the router serves without noting it)."""
    chosen = scope.get("route")
    if isinstance(chosen, Route):
        return chosen.path
    for route in routes:
        if isinstance(route, Route) and route.matches(scope)[0] is not Match.NONE:
            return route.path
    return UNMATCHED


def method_of(scope: Scope) -> str:
    """The request's method as a label: any token is a valid HTTP method, so unknown ones share one label."""
    method = scope["method"]
    return method if method in _METHODS else _OTHER_METHOD


def observe(route: str, method: str, status: int, seconds: float) -> None:
    requests, duration = _series(route, method, status)
    requests.inc()
    duration.observe(seconds)


@functools.cache  # bounded: routes x methods x statuses
def _series(route: str, method: str, status: int) -> tuple[Counter, Histogram]:
    """The children of one label set, looked up once: a request pays no label lookup."""
    labels = (route, method, str(status))
    return REQUESTS.labels(*labels), DURATION.labels(*labels)
