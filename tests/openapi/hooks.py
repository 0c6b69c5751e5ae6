"""Schemathesis hooks (loaded by `st run` through SCHEMATHESIS_HOOKS; runs in schemathesis's own venv,
so it imports nothing of ours): besides what the document alone generates, which a sign-up
almost always refuses, half the bodies of `POST /signups` and `POST /manage/link` are ones the
app accepts, so the fuzzer reaches the sign-up logic itself: the running stack's real event ids
(open ones, and now and then a closed one), deliverable addresses (some repeated, so
"already registered" is reached too), names of any printable characters (encoded words
included), the roles the document lists, consent given, access needs with and without their
consent. The stack is at FUZZ_API_BASE_URL.
"""

from __future__ import annotations

import json
import os
import urllib.request
from functools import cache
from typing import Any

import schemathesis
from hypothesis import strategies as st

# Names that try to reach an email's headers or structure: each must stay a display name.
HOSTILE_NAMES = [
    "=?utf-8?q?Ada=0D=0ABcc=3A_victim=40example.org?=",
    "=?utf-8?b?QWRhDQpTdWJqZWN0OiBoaQ==?=",
    'Ada "Lovelace" <ada@example.org>, Eve',
    "Ada\u2028Bcc: victim@example.org",
    "Zoë Ünïcødé 名前 🙂",
]
DOMAINS = ["example.org", "example.com", "mail.example.net", "xn--bcher-kva.example"]


def _get(path: str) -> Any:
    base = os.environ["FUZZ_API_BASE_URL"].rstrip("/")
    request = urllib.request.Request(base + path, headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


@cache
def _stack() -> tuple[list[str], list[str], list[str]]:
    """Open event ids, every other event id (ended or cancelled), and the roles."""
    open_ids = [event["id"] for event in _get("/signup")["events"]]
    every = [event["id"] for event in _get("/events")["events"] + _get("/events?when=past")["events"]]
    roles = _get("/openapi.json")["components"]["schemas"]["Role"]["enum"]
    if not open_ids:
        raise RuntimeError("the stack has no event open for sign-up: start it with its demo events")
    return open_ids, [i for i in every if i not in open_ids], roles


def addresses() -> st.SearchStrategy[str]:
    local = st.from_regex(r"[a-z][a-z0-9]{0,5}([._+-][a-z0-9]{1,4})?", fullmatch=True)
    return st.builds(lambda name, domain: f"{name}@{domain}", local, st.sampled_from(DOMAINS))


def names() -> st.SearchStrategy[str]:
    printable = st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"])
    typed = st.text(printable, min_size=1, max_size=100).filter(lambda name: name.strip())
    return st.one_of(typed, st.sampled_from(HOSTILE_NAMES))


def valid_signups() -> st.SearchStrategy[dict[str, Any]]:
    open_ids, closed_ids, roles = _stack()
    chosen = st.lists(st.sampled_from(open_ids), min_size=1, max_size=len(open_ids), unique=True)
    if closed_ids:  # now and then one closed event among them: 409, and nothing stored
        with_closed = st.tuples(chosen, st.sampled_from(closed_ids)).map(lambda pair: [*pair[0], pair[1]])
        chosen = st.one_of(chosen, chosen, chosen, chosen, with_closed)
    free_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]), max_size=200)
    return st.fixed_dictionaries(
        {
            "name": names(),
            "email": addresses(),
            "role": st.sampled_from(roles),
            "event_ids": chosen,
            "consent": st.sampled_from([True, "on", "yes"]),
        },
        optional={
            "organisation": free_text,
            "access_needs": free_text,
            "access_needs_consent": st.booleans(),
        },
    )


@schemathesis.hook.apply_to(method="POST", path="/signups")
def before_generate_body(context: Any, strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    valid = valid_signups()
    return st.one_of(strategy, valid, valid)


@schemathesis.hook.apply_to(method="POST", path="/manage/link")
def before_generate_body(context: Any, strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:  # noqa: F811
    return st.one_of(strategy, st.fixed_dictionaries({"email": addresses()}))
