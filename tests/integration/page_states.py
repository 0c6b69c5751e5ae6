"""Every page the API serves as HTML, in each of its states, as the API handler answers a browser
in-process on the moto stack (`aws` fixture), and the website_snippet form: what the plain-words
test (tests/integration/test_plain_words_pages.py) measures and the accessibility tests
(tests/browser/test_accessibility_pages.py) open as pages."""

from __future__ import annotations

from datetime import UTC, datetime

from infra.testkit import raw_table
from infra.testkit.api import Answer, call_api, invoke_admin, outbox
from shared import clock, services
from tests.integration.helpers import create_event, person, sign_up, text_part, token_from

BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
NAME = "Ada Lovelace"


def page(method: str, path: str, status: int, **kwargs) -> str:
    answer: Answer = call_api(method, path, headers=BROWSER, **kwargs)
    assert answer.status == status, (method, path, answer.status, answer.body[:300])
    assert answer.headers["content-type"].startswith("text/html"), (method, path)
    return answer.body


def every_page(monkeypatch) -> tuple[dict[str, str], list[str]]:
    full = create_event("Co-production in a Digital World", "2026-12-09T14:00:00", capacity=1)
    other = create_event("When to re-balance the power?", "2027-01-13T14:00:00")
    later = create_event("Sharing power", "2027-02-10T14:00:00")
    assert sign_up([full], email="first@example.org", name="Grace Hopper").status == 201
    pages = {"/signup": page("GET", "/signup", 200)}
    bad = {"form": "signup_page", "name": "", "email": "ada@example", "event_ids": [full]}
    pages["/signup with errors"] = page("POST", "/signups", 422, form=bad)
    form = {**person(), "consent": "on", "form": "signup_page", "event_ids": [full, other], "website": ""}
    pages["thank-you"] = page("POST", "/signups", 201, form=form)
    pages["event page"] = page("GET", f"/events/{other}", 200)
    pages["event page (full)"] = page("GET", f"/events/{full}", 200)
    pages["events list"] = page("GET", "/events", 200)
    pages["past events list"] = page("GET", "/events", 200, query={"when": "past"})

    token = token_from(text_part(outbox()[-1]), "/manage")
    pages["/manage"] = page("GET", "/manage", 200, query={"token": token})
    pages["/manage after a cancel"] = page(
        "POST", "/manage/cancel", 200, form={"token": token, "event_id": other}
    )
    pages["manage link sent"] = page("POST", "/manage/link", 202, form={"email": "ada@example.org"})

    app = services.get()
    person_id = app.person_id_for("ada@example.org")
    first_id = app.person_id_for("first@example.org")
    now = clock.now()
    unsubscribe = app.links.unsubscribe(person_id, now).partition("?")[2].removeprefix("token=")
    opt_out = app.links.messages_opt_out(person_id, now).partition("?")[2].removeprefix("token=")
    pages["/unsubscribe/messages"] = page("GET", "/unsubscribe/messages", 200, query={"token": opt_out})
    pages["/unsubscribe/messages done"] = page("POST", "/unsubscribe/messages", 200, query={"token": opt_out})

    event = app.stores.events.get(full)
    join_path = app.links.join(event, first_id).removeprefix(app.links.base)
    waiting_path = app.links.join(event, person_id).removeprefix(app.links.base)
    pages["/join before it opens"] = page("GET", join_path, 200)
    pages["/join on the waiting list"] = page("GET", waiting_path, 200)
    pages["/join not found"] = page("GET", "/join/not-a-real-link", 404)
    pages["404 page"] = page("GET", "/signup/nothing-here", 404)
    pages["405 page"] = page("DELETE", "/signup", 405)
    pages["/unsubscribe"] = page("GET", "/unsubscribe", 200, query={"token": unsubscribe})
    pages["/unsubscribe done"] = page("POST", "/unsubscribe", 200, query={"token": unsubscribe})
    clock.freeze(datetime(2026, 12, 9, 14, 5, tzinfo=UTC))  # the event is on
    stored = event.zoom_join_url or ""
    hostile = {":url": {"S": "https://evil.example/phish"}}  # as older code or a hand edit left it
    raw_table.update_item(
        Key=raw_table.event_key(full),
        UpdateExpression="SET zoom_join_url = :url",
        ExpressionAttributeValues=hostile,
    )
    pages["/join, the Zoom link not ready"] = page("GET", join_path, 200)
    raw_table.update_item(
        Key=raw_table.event_key(full),
        UpdateExpression="SET zoom_join_url = :url",
        ExpressionAttributeValues={":url": {"S": stored}},
    )
    clock.freeze(datetime(2026, 12, 9, 16, 1, tzinfo=UTC))
    pages["/join after it closes"] = page("GET", join_path, 410)
    closed = {**person(), "consent": "on", "form": "signup_page", "event_ids": [full], "website": ""}
    pages["/signup refused: 409, the event has ended"] = page("POST", "/signups", 409, form=closed)

    snippet = invoke_admin({"action": "website_snippet", "event_ids": [other]})
    assert snippet["ok"], snippet
    pages["website_snippet form"] = snippet["html"]

    monkeypatch.setenv("SIGNUPS_PER_IP_PER_HOUR", "1")
    services.reset()
    clock.freeze(datetime(2026, 12, 20, 10, 0, tzinfo=UTC))
    refused = {**person(), "consent": "on", "form": "signup_page", "event_ids": [later]}
    assert sign_up([later], email="third@example.org").status == 201  # the hour's one sign-up from here
    pages["/signup refused: 429, too many sign-ups"] = page("POST", "/signups", 429, form=refused)

    # Texts on (SmsEnabled): the phone fields on every form, an error beside one, a number held.
    monkeypatch.setenv("SIGNUPS_PER_IP_PER_HOUR", "60")
    monkeypatch.setenv("SMS_ENABLED", "true")
    services.reset()
    pages["/signup, texts on"] = page("GET", "/signup", 200)
    texted = {**refused, "email": "fourth@example.org", "sms_consent": "yes", "phone": "0800 123 4567"}
    pages["/signup, texts on, a number we cannot text"] = page("POST", "/signups", 422, form=texted)
    page("POST", "/signups", 201, form={**texted, "phone": "07400 123456"})
    texted_token = token_from(text_part(outbox()[-1]), "/manage")
    pages["/manage, texts on, a number held"] = page("GET", "/manage", 200, query={"token": texted_token})
    pages["website_snippet form, texts on"] = invoke_admin(
        {"action": "website_snippet", "event_ids": [later]}
    )["html"]
    monkeypatch.setenv("SMS_ENABLED", "false")
    services.reset()

    class Unreachable:
        def __getattr__(self, name):
            from botocore.exceptions import ConnectTimeoutError

            def fail(**_kwargs):
                raise ConnectTimeoutError(endpoint_url="https://dynamodb")

            return fail

    services.override(dynamodb=Unreachable())
    pages["503 page"] = page("GET", "/signup", 503)
    services.override()
    return pages, [full, other, later]
