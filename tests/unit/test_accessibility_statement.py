"""docs/accessibility-statement.md covers what the system serves (issue 11 point 3): every route
that answers as a page, every kind of email, and the standard the browser tests hold them to."""

from __future__ import annotations

import re
from pathlib import Path

from functions.api.openapi import ROUTES

ROOT = Path(__file__).resolve().parents[2]
STATEMENT = (ROOT / "docs" / "accessibility-statement.md").read_text(encoding="utf-8")
# Each email template, and how the statement names what it is to the person who gets it.
EMAILS = {
    "confirmation": "your confirmation",
    "place_offered": "a place freed up",
    "join_link": "your Zoom link on the morning",
    "change": "changes",
    "cancellation": "cancellations",
    "manage_link": "your link to manage your place",
    "message": "our messages",
    "follow_up": "our thank-you after the event",
}


def test_every_page_the_api_serves_is_named():
    pages = {
        re.sub(r"/\{[^}]+\}", "", path)
        for (method, path), route in ROUTES.items()
        if method == "GET" and any(answer.page for status, answer in route.answers.items() if status == 200)
    }

    assert {"/signup", "/manage", "/join", "/unsubscribe", "/unsubscribe/messages", "/events"} <= pages
    assert {page for page in pages if f"`{page}`" not in STATEMENT} == set()


def test_every_kind_of_email_is_named():
    templates = (ROOT / "shared/mail/templates/email").glob("*.txt")
    kinds = {path.stem for path in templates if not path.stem.startswith("_")}  # _x: a part

    assert kinds == set(EMAILS), "a new kind of email: say in the statement what it is, and add it here"
    text = " ".join(STATEMENT.split())
    assert [phrase for phrase in EMAILS.values() if phrase not in text] == []


def test_it_holds_the_pages_to_the_standard_the_tests_check():
    assert "Web Content Accessibility Guidelines version 2.2](https://www.w3.org/TR/WCAG22/) AA" in STATEMENT
    assert "320 pixels wide" in STATEMENT
    assert "JavaScript turned off" in STATEMENT
    assert "Kincaid grade 6 or below, reading ease 70 or above" in " ".join(STATEMENT.split())
