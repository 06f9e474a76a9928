"""The API against its own OpenAPI document: schemathesis generates requests from it and the app must never answer
5xx, and every answer must have the shape the document promises. The same requests on every run (tests/fuzzing.py):
`SWITCHBOARD_FUZZ_HARDER=<n>` draws n times as many at random, to hunt."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import response_schema_conformance

from hub import accounts
from hub.db import Database
from tests.fuzzing import fuzz
from web.openapi import document


@pytest.fixture
def admin_token(db: Database) -> str:
    with db.transaction() as session:
        return accounts.create_token(session, name="schemathesis", role="admin")


def test_the_document_is_served_without_a_login(client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.json["openapi"].startswith("3.")  # type: ignore[index]


#: Every operation the document describes, as (method, path): a test of its own each, so that xdist spreads them
#: over its workers and no one test grows with the API (all 70 in one took two minutes, the per-test limit, when
#: the machine was loaded).
OPERATIONS = [(method.upper(), path) for path, item in document()["paths"].items() for method in item
              if method in ("get", "post", "put", "patch", "delete")]  # fmt: skip


def test_every_operation_schemathesis_reads_is_one_of_the_operations_tried(app: Flask) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    results = list(schema.get_all_operations())
    invalid = [result.err() for result in results if isinstance(result, Err)]
    assert not invalid, f"the document has operations schemathesis cannot read: {invalid}"
    assert sorted((result.ok().method.upper(), result.ok().path) for result in results) == sorted(OPERATIONS)


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_generated_requests_get_no_server_error_and_documented_answers(
    app: Flask, admin_token: str, raise_incident: Callable[..., str], method: str, path: str
) -> None:
    raise_incident("Disk full on db1")  # INC-1, so requests that name it reach the real code paths
    client = app.test_client()  # and its file 1, so the download answers with bytes too
    attached = client.post("/api/v1/incidents/INC-1/comments", content_type="multipart/form-data",
                           data={"text": "The log.", "file": [(io.BytesIO(b"ERROR disk full\n"), "db1.log")]},
                           headers={"Authorization": f"Bearer {admin_token}"})  # fmt: skip
    assert attached.status_code == 201, attached.json
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = schema[path][method]

    @given(case=operation.as_strategy(), known=st.booleans())
    @settings(fuzz(60), suppress_health_check=list(HealthCheck))
    def check(case: schemathesis.Case, known: bool) -> None:
        if known and case.path_parameters and "ref" in case.path_parameters:
            case.path_parameters["ref"] = "INC-1"  # half the cases act on an incident that exists
            if "file_id" in case.path_parameters:
                case.path_parameters["file_id"] = 1  # and on its file
        case.call_and_validate(
            headers={"Authorization": f"Bearer {admin_token}"},
            checks=[not_a_server_error, response_schema_conformance],
        )

    check()


#: The lists that take `page`: each must say how many there are in all, and its document must say it does.
PAGED = [path for path, item in document()["paths"].items()
         if any(parameter["name"] == "page" for parameter in item.get("get", {}).get("parameters", []))]  # fmt: skip


@pytest.mark.parametrize("path", PAGED)
def test_every_paged_list_sends_and_documents_its_total(client: FlaskClient, admin_token: str, path: str) -> None:
    response = client.get(path, headers={"Authorization": f"Bearer {admin_token}"})
    assert response.status_code == 200 and response.headers["X-Total-Count"] == "0"
    assert "X-Total-Count" in document()["paths"][path]["get"]["responses"]["200"]["headers"]
