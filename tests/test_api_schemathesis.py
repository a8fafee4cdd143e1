"""Issue 16: schemathesis on both OpenAPI documents — the API's (``/openapi.json``) and the OGC
API – Features service's (``/ogc/api``) — against the application on SpatiaLite (the API test
zone, a database of its own per test): anonymous, and for the API also with a manager's token
(every write route then runs past its role guard into its checks).

Every operation gets a bounded number of generated requests (hypothesis, derandomised so a CI
run is repeatable; ``PARKSITE_SCHEMATHESIS_EXAMPLES`` raises it for a deeper run) and every
answer must pass schemathesis's checks: no server error (5xx), a status, content type and
headers the document declares, a body that matches the declared schema. Failures of all
operations are gathered and reported together. The three tests take about a minute in all.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api_fixtures import auth, make_client  # noqa: E402

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = int(os.environ.get("PARKSITE_SCHEMATHESIS_EXAMPLES", "0"))


def run_document(client: Any, document: str, examples: int, headers: dict[str, str] | None) -> list[str]:
    """Run every operation of ``document`` (a path on ``client``'s app) with ``examples``
    generated requests each; return the failures, one text per operation that failed."""
    schema = schemathesis.openapi.from_asgi(document, client.app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=examples,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as exc:  # a failure group of schemathesis, or an error of the app
            failures.append(f"{operation.label}:\n{str(exc)[:2500]}")
    assert operations > 10, f"{document} has only {operations} operations"
    return failures


@pytest.fixture
def app_client(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A client on a SpatiaLite copy of the API test zone, for one test (writes are allowed)."""
    import shutil

    path = tmp_path / "parksite.sqlite"
    shutil.copyfile(request.getfixturevalue("_api_template"), path)
    with make_client(f"sqlite:///{path}", tmp_path / "state") as client:
        yield client


@pytest.mark.parametrize(
    ("document", "role", "examples"),
    [
        ("/openapi.json", None, 12),
        ("/openapi.json", "manager", 12),
        ("/ogc/api", None, 20),
    ],
    ids=["api-anonymous", "api-manager", "ogc-anonymous"],
)
def test_schemathesis_finds_no_server_error_and_no_schema_violation(app_client, document, role, examples):
    headers = auth(app_client, role) if role else None
    failures = run_document(app_client, document, EXAMPLES or examples, headers)
    assert not failures, f"{len(failures)} operation(s) failed:\n\n" + "\n\n".join(failures)
