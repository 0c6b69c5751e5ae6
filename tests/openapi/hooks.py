"""Schemathesis hooks (loaded by `st run` through SCHEMATHESIS_HOOKS; runs in schemathesis's own venv,
so it imports nothing of ours). The document alone makes bodies a sign-up almost always refuses and
tokens that are always 404, so besides what it generates:
- two thirds of the bodies of `POST /signups` (half of `POST /manage/link`) are ones the app
  accepts, so the fuzzer reaches the sign-up logic itself: the running stack's real event ids
  (open ones, and now and then a closed one), deliverable addresses (some repeated, so "already
  registered" is reached too), names of any printable characters (encoded words included), the
  roles the document lists, consent given, access needs with and without their consent;
- half the tokens of `GET /manage`, `POST /manage/cancel` and `GET /join/{token}` are real ones,
  from the emails of a sign-up made here first;
- every request may ask for HTML, JSON or either by `Accept`, so the pages are fuzzed too.
The stack is at FUZZ_API_BASE_URL.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
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


def _get(path: str, body: Any = None) -> Any:
    base = os.environ["FUZZ_API_BASE_URL"].rstrip("/")
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, headers=headers)
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


@cache
def _tokens() -> tuple[list[str], list[str]]:
    """Manage and join tokens from the emails the stack sent, after a sign-up of our own."""
    open_ids, _closed, roles = _stack()
    person = {"name": "Hooks", "email": "fuzz-hooks@example.org", "role": roles[0], "consent": True}
    _get("/signups", {**person, "event_ids": open_ids})
    manage: set[str] = set()
    join: set[str] = set()
    for sent in _get("/_local/outbox")["messages"]:
        message = email.message_from_string(sent["raw"], policy=email.policy.default)
        for part in message.walk():
            if part.get_content_maintype() == "text":
                text = part.get_content()
                manage.update(re.findall(r"/manage\?token=([A-Za-z0-9._~-]+)", text))
                join.update(re.findall(r"/join/([A-Za-z0-9._~-]+)", text))
    if not manage:
        raise RuntimeError("the stack sent no manage link after a sign-up")
    return sorted(manage), sorted(join)


def _token_query(strategy: st.SearchStrategy[Any], tokens: list[str]) -> st.SearchStrategy[Any]:
    return (
        st.one_of(strategy, st.sampled_from(tokens).map(lambda token: {"token": token}))
        if tokens
        else strategy
    )


@schemathesis.hook.apply_to(method="GET", path="/manage")
def before_generate_query(context: Any, strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return _token_query(strategy, _tokens()[0])


@schemathesis.hook.apply_to(method="GET", path="/join/{token}")
def before_generate_path_parameters(context: Any, strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return _token_query(strategy, _tokens()[1])


@schemathesis.hook.apply_to(method="POST", path="/manage/cancel")
def before_generate_body(context: Any, strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:  # noqa: F811
    token = st.sampled_from(_tokens()[0])
    one = st.fixed_dictionaries({"token": token, "event_id": st.sampled_from(_stack()[0] + _stack()[1])})
    every = st.fixed_dictionaries({"token": token, "all": st.sampled_from([True, "on", "yes"])})
    return st.one_of(strategy, one, every)


ACCEPTS = [None, "text/html", "application/json", "text/html, application/json", "text/html;q=0.9, */*;q=0.1"]


@schemathesis.hook
def before_generate_headers(context: Any, strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    def with_accept(pair: tuple[Any, str | None]) -> Any:
        headers, accept = pair
        return headers if accept is None else {**(headers or {}), "Accept": accept}

    return st.tuples(strategy, st.sampled_from(ACCEPTS)).map(with_accept)
