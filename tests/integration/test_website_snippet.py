"""website_snippet: the sign-up form for the charity's own pages (CONTRACT.md, admin actions).

Given upcoming events, When an admin asks for the snippet, Then it is a plain form (no script)
posting to the deployed /signups with every field and the honeypot, each field labelled; and
When it is filled in and sent as a browser would, Then the person is signed up and sent back to
SIGNUP_REDIRECT_URL with result=ok. Warnings name a missing redirect or privacy notice.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from infra.testkit import BASE_URL, REDIRECT_URL
from infra.testkit.api import call_api, invoke_admin
from shared import config, services
from tests.integration.helpers import create_event

SIGNUP_FIELDS = {
    "event_ids",
    "name",
    "email",
    "role",
    "organisation",
    "access_needs",
    "access_needs_consent",
    "consent",
    "website",
}


class Form(HTMLParser):
    """What a browser would read of the snippet: the form, its controls, labels and hidden parts."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.forms: list[dict[str, str | None]] = []
        self.controls: list[dict[str, str | None]] = []
        self.labels: set[str] = set()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.hidden_depth = 0
        self.hidden_names: set[str] = set()
        self._open: list[bool] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "form":
            self.forms.append(attributes)
        if tag in {"input", "textarea", "select"}:
            self.controls.append(attributes)
            if self.hidden_depth and attributes.get("name"):
                self.hidden_names.add(str(attributes["name"]))
        if tag == "label" and attributes.get("for"):
            self.labels.add(str(attributes["for"]))
        if tag == "div":
            hidden = "hidden" in attributes
            self._open.append(hidden)
            self.hidden_depth += hidden

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self._open:
            self.hidden_depth -= self._open.pop()


def snippet(**fields: Any) -> dict[str, Any]:
    answer = invoke_admin({"action": "website_snippet", **fields})
    assert answer["ok"] is True, answer
    return answer


def test_the_snippet_is_a_plain_labelled_form_posting_every_field_to_signups(aws):
    first = create_event("Co-production in a Digital World", "2026-12-09T14:00:00")
    second = create_event("Employing people with lived experience", "2027-01-13T14:00:00")
    create_event("Past", "2026-10-01T14:00:00")
    cancelled = create_event("Called off", "2027-02-10T14:00:00")
    assert invoke_admin({"action": "cancel_event", "event_id": cancelled})["ok"]

    answer = snippet()
    form = Form(answer["html"])

    assert answer["warnings"] == []
    assert answer["event_ids"] == [first, second]
    (attributes,) = form.forms
    assert attributes["method"] == "post" and attributes["action"] == f"{BASE_URL}/signups"
    assert {c["name"] for c in form.controls} == SIGNUP_FIELDS
    # Only the open events, and no marker: the API answers it with the redirect, not our page.
    assert [c["value"] for c in form.controls if c["name"] == "event_ids"] == [first, second]
    assert "Past" not in answer["html"] and "Called off" not in answer["html"]
    # Every control a person fills in has its label; the honeypot is hidden without any CSS.
    for control in form.controls:
        assert control["id"] in form.labels, control
    assert form.hidden_names == {"website"}
    # No JavaScript anywhere: no script, no event handler attribute, no javascript: URL.
    assert all(tag != "script" for tag, _ in form.tags)
    assert not any(name.startswith("on") for _, attrs in form.tags for name in attrs)
    assert "javascript:" not in answer["html"].lower()
    assert 'href="https://www.example.org/privacy"' in answer["html"]


def test_the_snippet_filled_in_as_a_browser_would_signs_up_and_goes_back_to_the_redirect(aws):
    event_id = create_event()
    form = Form(snippet()["html"])
    # The only event is ticked already.
    assert ["checked" in c for c in form.controls if c["name"] == "event_ids"] == [True]
    sent = {
        "event_ids": event_id,
        "name": "Ada Lovelace",
        "email": "ada@example.org",
        "role": "academic",
        "organisation": "",
        "access_needs": "",
        "website": "",
        "consent": "yes",
    }
    assert set(sent) <= {c["name"] for c in form.controls}

    answer = call_api("POST", "/signups", form=sent, headers={"accept": "text/html"})

    assert answer.status == 303
    assert answer.headers["location"] == f"{REDIRECT_URL}?result=ok"
    assert len(services.get().stores.registrations.of_event(event_id)) == 1


def test_the_snippet_offers_the_events_asked_for_and_refuses_others(aws):
    first = create_event("Co-production in a Digital World", "2026-12-09T14:00:00")
    second = create_event("Employing people with lived experience", "2027-01-13T14:00:00")
    past = create_event("Past", "2026-10-01T14:00:00")

    assert snippet(event_ids=[second])["event_ids"] == [second]
    assert snippet(event_ids=[second, first])["event_ids"] == [first, second]
    refused = invoke_admin({"action": "website_snippet", "event_ids": [first, past, "no-such-event"]})
    assert refused["ok"] is False
    assert refused["error"]["fields"] == {"event_ids": "must be ids of upcoming events open for sign-up"}
    assert past in refused["error"]["message"] and "no-such-event" in refused["error"]["message"]


def test_with_no_upcoming_event_there_is_no_snippet_to_make(aws):
    create_event("Past", "2026-10-01T14:00:00")
    refused = invoke_admin({"action": "website_snippet"})
    assert refused["ok"] is False and "create_event" in refused["error"]["message"]


def test_titles_are_escaped_in_the_snippet(aws):
    create_event('Power & trust <script>alert("x")</script>', "2026-12-09T14:00:00")
    html = snippet()["html"]
    assert "<script" not in html
    assert "Power &amp; trust &lt;script&gt;" in html


def test_warnings_name_a_missing_redirect_and_privacy_notice(aws, monkeypatch):
    create_event()
    monkeypatch.setenv("SIGNUP_REDIRECT_URL", "")
    monkeypatch.setenv("PRIVACY_NOTICE_URL", "")
    config.reset_settings()
    services.reset()

    answer = snippet()

    assert [w["code"] for w in answer["warnings"]] == ["redirect_not_set", "privacy_notice_not_set"]
    assert all(w["message"] for w in answer["warnings"])
    assert "<a " not in answer["html"]  # no link to a privacy notice that is not there
