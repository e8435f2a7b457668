"""Schemathesis against /openapi.json: every endpoint, generated requests, no 5xx, and every
response matches the documented schema. Bounded so the suite stays fast.

Two of Schemathesis's checks are left out on purpose. "Positive data acceptance": the API
refuses some requests that each parameter's schema alone allows (``from`` after ``to``, a
page too deep, a cursor from another index version) with a 400 that says why. "Negative
data rejection": the API reads some requests the schema does not describe leniently rather
than refusing them, as readers' queries are read (e.g. an empty ``to`` is no limit)."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import negative_data_rejection, positive_data_acceptance

from indexer.settings import Settings
from search_api.app import create_app
from tests.search_api.corpus import index_corpus, write_corpus


def _app():
    # The schema must exist at collection time, before fixtures: build a small index here,
    # in a folder removed when the test run ends.
    root = Path(tempfile.mkdtemp(prefix="advosearch-schemathesis-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    index_corpus([write_corpus(root / "corpus")], root / "ix")
    # Hundreds of generated requests from one address: the rate limit has its own tests.
    return create_app(root / "ix", Settings(rate_limit_per_minute=0))


schema = schemathesis.openapi.from_asgi("/openapi.json", _app())


@schema.parametrize()
@settings(
    max_examples=25,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_never_fails_and_matches_its_schema(case: schemathesis.Case) -> None:
    case.call_and_validate(excluded_checks=[positive_data_acceptance, negative_data_rejection])
