"""Every page the API serves as HTML, in each of its states, and the website_snippet form, read at
Flesch-Kincaid grade 6 or below and Flesch reading ease 70 or above (issue 11): measured on the
page's visible text as the handler answers it, with what is not our own words taken out
(infra/testkit/reading.py: web addresses, the series name, the events' titles, descriptions and
times in words, the person's name)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from infra.testkit.api import Answer, call_api, invoke_admin, outbox
from infra.testkit.reading import MAX_GRADE, MIN_EASE, read_page
from shared import clock, services
from shared.domain.timefmt import date_in_words, when_in_words
from shared.mail.messages import SERIES
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
    clock.freeze(datetime(2026, 12, 9, 16, 1, tzinfo=UTC))
    pages["/join after it closes"] = page("GET", join_path, 410)

    snippet = invoke_admin({"action": "website_snippet", "event_ids": [other]})
    assert snippet["ok"], snippet
    pages["website_snippet form"] = snippet["html"]

    monkeypatch.setenv("SIGNUPS_PER_IP_PER_HOUR", "1")
    services.reset()
    clock.freeze(datetime(2026, 12, 20, 10, 0, tzinfo=UTC))
    refused = {**person(), "consent": "on", "form": "signup_page", "event_ids": [later]}
    assert sign_up([later], email="third@example.org").status == 201  # the hour's one sign-up from here
    pages["/signup refused: 429, too many sign-ups"] = page("POST", "/signups", 429, form=refused)

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


def not_ours(event_ids: list[str]) -> list[str]:
    values = [SERIES, NAME, "Grace Hopper", "7:00am", "UK time (GMT)"]
    for event in services.get().stores.events.get_many(event_ids).values():
        values += [event.title, event.description, when_in_words(event), date_in_words(event.local_start)]
    return values


def test_our_words_on_every_page_are_plain(aws, monkeypatch):
    pages, event_ids = every_page(monkeypatch)
    remove = not_ours(event_ids)

    readings = {name: read_page(html, remove) for name, html in pages.items()}

    for name, reading in readings.items():
        print(f"READING page | {name} | {reading.grade:.1f} | {reading.ease:.1f}")
    failing = [
        f"{name}: {reading.figures()}\n{reading.text}"
        for name, reading in readings.items()
        if not (reading.grade <= MAX_GRADE and reading.ease >= MIN_EASE)
    ]
    assert not failing, f"want grade <= {MAX_GRADE}, ease >= {MIN_EASE}:\n\n" + "\n\n".join(failing)
    assert all(SERIES not in reading.text and "https://" not in reading.text for reading in readings.values())


@pytest.mark.parametrize("tag", ["style", "title"])
def test_what_no_one_sees_is_not_measured(tag):
    hidden = f"<{tag}>Extraordinarily incomprehensible</{tag}>"
    html = f"<html><head>{hidden}</head><body><p>Hi there.</p><p hidden>Unknowable.</p></body></html>"
    assert read_page(html, []).text == "Hi there."
