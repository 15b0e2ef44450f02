"""Schemathesis against the gateway's own OpenAPI: generated requests to every operation, none answered with a 5xx.

Each operation gets a few valid requests (positive) and a few that break its schema (negative), with the tenant's
path and credentials fixed so that requests get past authentication into the routes. Derandomized, so a failure
reproduces; small, so it runs in seconds.
"""

import asyncio
import base64

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.schemas import APIOperation

from tests.conftest import Tenant
from tools.suite import Endpoints

EXAMPLES_PER_MODE = 4


def fuzz(operation: APIOperation, mode: GenerationMode, gateway: str, tenant: Tenant) -> list[str]:
    """The 5xx answers to generated requests of one operation, described."""
    client, account, brand = tenant.name.split("/")
    names = {p.name for p in operation.path_parameters}
    path = {k: v for k, v in {"client": client, "account": account, "brand": brand}.items() if k in names}
    headers = {"auth-token": tenant.token,
               "authorization": "Basic " + base64.b64encode(f"{tenant.write_key}:".encode()).decode()}
    failures: list[str] = []

    @settings(max_examples=EXAMPLES_PER_MODE, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(mode, path_parameters=path, headers=headers))
    def run(case: schemathesis.Case) -> None:
        response = case.call(base_url=gateway, timeout=30)
        if response.status_code >= 500:
            failures.append(f"{operation.label} ({mode.value}): {response.status_code} {response.text[:200]} "
                            f"for {case.as_curl_command()}")

    try:
        run()
    except Unsatisfiable:
        assert mode is GenerationMode.NEGATIVE, operation.label  # nothing in its schema to break: no negative case
    return failures


async def test_no_generated_request_gets_a_5xx(suite: Endpoints, tenant: Tenant) -> None:
    schema = schemathesis.openapi.from_url(f"{suite.gateway}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 30

    def run_all() -> list[str]:
        return [failure for operation in operations for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
                for failure in fuzz(operation, mode, suite.gateway, tenant)]

    # Schemathesis calls synchronously; off the event loop, the session's other async resources stay responsive.
    assert await asyncio.to_thread(run_all) == []
