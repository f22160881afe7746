"""A bounded schemathesis run against /api/openapi.json: no 500s, and answers match the documented schemas."""

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from core.testing import bearer

EXAMPLES_PER_OPERATION = 6


def test_the_api_never_answers_500_nor_breaks_its_schema(app, factory):
    factory.product()
    headers = bearer(factory.token(factory.user("staff")))  # past the sign-in wall, into the real checks
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    tried = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            case.call_and_validate(headers=headers, checks=[not_a_server_error, response_schema_conformance])

        check()
        tried += 1
    assert tried > 50  # every documented operation was exercised
