"""Every answer carries the privacy headers: pages, API results, errors, static files."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from search_api.privacy import DOCS_CSP, READER_CSP


@pytest.mark.parametrize(
    ("path", "status", "policy"),
    [
        ("/?q=journalists", 200, READER_CSP),
        ("/search?q=journalists", 200, READER_CSP),
        ("/search?page_size=0", 400, READER_CSP),
        ("/articles/no-such-article", 404, READER_CSP),
        ("/static/style.css", 200, READER_CSP),
        ("/docs", 200, DOCS_CSP),
    ],
)
def test_every_answer_carries_the_privacy_headers(
    client: TestClient, path: str, status: int, policy: str
) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert response.headers["content-security-policy"] == policy
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "interest-cohort=()" in response.headers["permissions-policy"]
