"""The collector's OpenAPI schema fuzzed with schemathesis against the real `patrol serve`:
no 5xx on any input, on every route, with a valid agent credential (and the Alertmanager
token on its route), so the fuzzed bodies reach the routes' own code, not just the 401.

Bounded: FUZZ_EXAMPLES per route and mode (valid bodies, and invalid ones: wrong types,
missing fields, bad headers), about 300 requests in all.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from agent.fleet.protocol import ALERTMANAGER_PATH, ASSETS_PATH, CA_PATH, CONFIG_PATH, ENROLL_PATH, RESULTS_PATH
from tests.fleet.conftest import ALERT_TOKEN

FUZZ_EXAMPLES = 30


@pytest.fixture(scope="module")
def fuzz_agent(site_collector):
    return site_collector.enroll("pc-fuzz")


@pytest.fixture(scope="module")
def api_schema(site_collector):
    return schemathesis.openapi.from_dict(site_collector.get("/openapi.json").json())


ROUTES = [("POST", ENROLL_PATH), ("POST", RESULTS_PATH), ("POST", ASSETS_PATH), ("GET", CONFIG_PATH), ("POST", ALERTMANAGER_PATH),
          ("GET", CA_PATH), ("GET", "/metrics"), ("GET", "/healthz")]


def test_the_schema_lists_every_route(api_schema):
    assert {(method, path) for path, ops in api_schema.raw_schema["paths"].items() for method in
            (m.upper() for m in ops)} == set(ROUTES)


# (schemathesis' own pytest integration, ``schemathesis.pytest.from_fixture``, breaks on
# pytest 9: it sets ``request.node._nodeid``; the strategies are driven by Hypothesis here.)
# Invalid inputs (wrong types, missing fields) for the routes that take a body; the others
# have no parameter that can be made invalid.
CASES = [(m, p, GenerationMode.POSITIVE) for m, p in ROUTES] + \
    [(m, p, GenerationMode.NEGATIVE) for m, p in ROUTES if m == "POST"]


@pytest.mark.parametrize("method,path,mode", CASES, ids=[f"{m} {p} {g.value}" for m, p, g in CASES])
def test_no_input_gives_a_5xx(api_schema, site_collector, fuzz_agent, method, path, mode):
    token = ALERT_TOKEN if path == ALERTMANAGER_PATH else fuzz_agent.credential
    statuses: list[int] = []

    @given(case=api_schema[path][method].as_strategy(generation_mode=mode))
    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def call(case):
        # The valid credential unless the case brings its own Authorization header (a fuzzed one).
        headers = {} if "authorization" in {k.lower() for k in (case.headers or {})} else \
            {"Authorization": f"Bearer {token}"}
        response = case.call(base_url=site_collector.url, session=fuzz_agent.session, headers=headers,
                             verify=str(site_collector.ca_file), timeout=30)
        statuses.append(response.status_code)
        assert response.status_code < 500, (case.method, case.path, case.body, response.status_code,
                                            response.text[:300])

    call()
    assert statuses, "no request was made"
