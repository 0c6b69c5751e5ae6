"""Who may show our pages in a frame (CONTRACT.md, `GET /signup`).

Given AllowedOrigins, When a browser asks for the sign-up page or sends its form, Then the answer
may be framed by exactly those origins (CSP `frame-ancestors`), and every other page by no one;
an entry that is not a plain origin (a path, a wildcard, a quote, a `;`) is never echoed.
"""

from __future__ import annotations

import pytest

from infra.testkit.api import Answer, call_api
from shared import config, services
from tests.integration.helpers import create_event, person

HTML = {"accept": "text/html"}


def directives(answer: Answer) -> dict[str, str]:
    policy = answer.headers["content-security-policy"]
    parts = [part.strip().split(" ", 1) for part in policy.split(";")]
    return {name: value for name, value in parts}


def allow(monkeypatch: pytest.MonkeyPatch, origins: str) -> None:
    monkeypatch.setenv("ALLOWED_ORIGINS", origins)
    config.reset_settings()
    services.reset()


def form(event_id: str, **fields: str) -> dict[str, str | list[str]]:
    return {**person(), "consent": "yes", "event_ids": event_id, "form": "signup_page", **fields}


def test_the_signup_page_and_its_answers_may_be_framed_by_the_allowed_origins_only(aws, monkeypatch):
    allow(monkeypatch, "https://www.example.org,https://example.org:8443/")
    event_id = create_event()
    expected = "https://www.example.org https://example.org:8443"

    page = call_api("GET", "/signup", headers=HTML)
    mistake = call_api("POST", "/signups", headers=HTML, form=form(event_id, name=""))
    thanks = call_api("POST", "/signups", headers=HTML, form=form(event_id))

    assert (page.status, mistake.status, thanks.status) == (200, 422, 201)
    for answer in (page, mistake, thanks):
        assert directives(answer)["frame-ancestors"] == expected
        assert "x-frame-options" not in answer.headers
        # The rest of the policy is the one every page has.
        assert directives(answer)["default-src"] == "'none'"
        assert directives(answer)["form-action"] == "'self'"


def test_every_other_page_stays_unframable(aws, monkeypatch):
    allow(monkeypatch, "https://www.example.org")
    event_id = create_event()
    pages = [
        call_api("GET", "/events", headers=HTML),
        call_api("GET", f"/events/{event_id}", headers=HTML),
        call_api("GET", "/manage", query={"token": "not-a-token"}, headers=HTML),
        call_api("GET", "/unsubscribe", query={"token": "not-a-token"}, headers=HTML),
        call_api("GET", "/no-such-page", headers=HTML),
    ]
    for answer in pages:
        assert answer.headers["content-type"].startswith("text/html"), answer
        assert directives(answer)["frame-ancestors"] == "'none'", answer


def test_with_no_allowed_origins_nobody_may_frame_the_signup_page(aws, monkeypatch):
    allow(monkeypatch, "")
    assert directives(call_api("GET", "/signup", headers=HTML))["frame-ancestors"] == "'none'"


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("https://www.example.org/events", "'none'"),
        ("https://*.example.org", "'none'"),
        ("*", "'none'"),
        ("https://www.example.org';script-src *", "'none'"),
        ('https://www.example.org"', "'none'"),
        ("https://www.example.org;frame-ancestors *", "'none'"),
        ("https://www.example.org?x=1,https://user@example.org,javascript://x", "'none'"),
        ("https://evil.example.org 'unsafe-inline'", "'none'"),
        ("https://www.example.org/events,https://ok.example.org,*", "https://ok.example.org"),
        ("HTTPS://WWW.Example.org,https://www.example.org/", "https://www.example.org"),
        ("http://127.0.0.1:8123", "http://127.0.0.1:8123"),
    ],
)
def test_an_entry_that_is_not_a_plain_origin_is_never_echoed(aws, monkeypatch, setting, expected):
    allow(monkeypatch, setting)
    answer = call_api("GET", "/signup", headers=HTML)
    assert directives(answer)["frame-ancestors"] == expected
    # Still exactly the five directives: nothing in the setting could add or end one.
    names = ["default-src", "style-src", "form-action", "frame-ancestors", "base-uri"]
    assert list(directives(answer)) == names
