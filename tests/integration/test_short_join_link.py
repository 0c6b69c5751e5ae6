"""`GET /j/<code>`, the short join link of the morning text: the code is stored once per place
(`JCODE#<code>` / `JCODE`), and the route answers exactly as `/join/<token>` does, in every state
and both forms; anything else is the very same 404 as a bad token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from infra.testkit import raw_table
from infra.testkit.api import Answer, call_api, outbox
from shared import clock, services
from shared.stores.join_codes import CodeTaken, code_key
from tests.integration.helpers import ZOOM, create_event, sign_up, text_part, token_from

EVENT_DAY_0700 = datetime(2026, 12, 9, 7, 0, tzinfo=UTC)
HTML = {"accept": "text/html"}
JSON = {"accept": "application/json"}


def place(event_id: str, email: str = "ada@example.org") -> tuple[str, str]:
    """The person's id and their stored code, as the sender makes it before texting."""
    app = services.get()
    person_id = app.person_id_for(email)
    event = app.stores.events.get(event_id)
    return person_id, app.join_codes.ensure(event_id, person_id, event.ends_at + timedelta(days=365))


def join_token(event_id: str, person_id: str) -> str:
    app = services.get()
    return app.links.join(app.stores.events.get(event_id), person_id).rsplit("/join/", 1)[1]


def same(a: Answer, b: Answer) -> None:
    assert (a.status, a.body) == (b.status, b.body)
    assert a.headers == b.headers


def test_the_short_link_answers_as_the_join_link_in_every_state_and_form(aws):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    sign_up([event_id])
    person_id, code = place(event_id)
    token = join_token(event_id, person_id)
    moments = {
        "early": datetime(2026, 12, 8, 12, 0, tzinfo=UTC),
        "open": EVENT_DAY_0700,
        "gone": datetime(2026, 12, 9, 16, 1, tzinfo=UTC),
    }
    statuses = {}
    for name, moment in moments.items():
        clock.freeze(moment)
        for headers in (HTML, JSON, {}):
            short, long = (
                call_api("GET", f"/j/{code}", headers=headers),
                call_api("GET", f"/join/{token}", headers=headers),
            )
            same(short, long)
            statuses[name] = short.status
    assert statuses == {"early": 200, "open": 302, "gone": 410}
    clock.freeze(EVENT_DAY_0700)
    assert call_api("GET", f"/j/{code}").headers["location"] == ZOOM["zoom_join_url"]
    assert call_api("GET", f"/j/{code.upper()}").status == 302  # typed by hand in capitals
    # the first open was recorded once, whichever link made it
    assert services.get().stores.registrations.get(event_id, person_id).opened_at == EVENT_DAY_0700


def test_a_cancelled_place_is_410_by_either_link(aws):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    sign_up([event_id])
    manage = token_from(text_part(outbox()[-1]), "/manage")
    person_id, code = place(event_id)
    call_api("POST", "/manage/cancel", json_body={"token": manage, "event_id": event_id})
    clock.freeze(EVENT_DAY_0700)
    for headers in (HTML, JSON):
        short = call_api("GET", f"/j/{code}", headers=headers)
        same(short, call_api("GET", f"/join/{join_token(event_id, person_id)}", headers=headers))
        assert short.status == 410


@pytest.mark.parametrize(
    "code",
    [
        "abcdefghjk23",  # the shape of a code, but never stored
        "abcdefghjk2",  # too short
        "abcdefghjk23" * 40,  # far too long
        "abcdefghjk2%C3%A9",  # not the alphabet
        "..",
        "%00%00",
    ],
)
def test_anything_but_a_stored_code_is_the_same_404_as_a_bad_token(aws, code):
    for headers in (HTML, JSON, {}):
        short = call_api("GET", f"/j/{code}", headers=headers)
        assert short.status == 404
        same(short, call_api("GET", "/join/not-a-token", headers=headers))


def test_a_code_whose_place_is_gone_is_the_bad_token_404(aws):
    # a stored code naming a registration that does not exist (forgotten, or never made)
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    code = services.get().join_codes.ensure(event_id, "0" * 32, datetime(2027, 12, 9, tzinfo=UTC))
    clock.freeze(EVENT_DAY_0700)
    same(call_api("GET", f"/j/{code}", headers=HTML), call_api("GET", "/join/not-a-token", headers=HTML))


def test_ensure_writes_one_item_per_place_with_its_expiry_and_again_harmlessly(aws):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    codes = services.get().join_codes
    expires = datetime(2027, 12, 9, 15, 30, tzinfo=UTC)
    code = codes.ensure(event_id, "a" * 32, expires)
    assert codes.ensure(event_id, "a" * 32, expires + timedelta(days=1)) == code
    other = codes.ensure(event_id, "b" * 32, expires)
    assert other != code
    pk, sk = code_key(code)
    item = raw_table.get_item({"PK": {"S": pk}, "SK": {"S": sk}})
    assert item == {
        "PK": f"JCODE#{code}",
        "SK": "JCODE",
        "event_id": event_id,
        "person_id": "a" * 32,
        "expires_at": int((expires + timedelta(days=1)).timestamp()),
    }
    assert codes.find(code) == (event_id, "a" * 32)


def test_a_code_already_naming_another_place_is_never_overwritten(aws):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    codes = services.get().join_codes
    code = codes.ensure(event_id, "a" * 32, datetime(2027, 12, 9, tzinfo=UTC))
    # as if another place's code had met this one: the item names someone else
    raw_table.put_item({"PK": f"JCODE#{code}", "SK": "JCODE", "event_id": "other", "person_id": "b" * 32})
    with pytest.raises(CodeTaken):
        codes.ensure(event_id, "a" * 32, datetime(2027, 12, 9, tzinfo=UTC))
    assert codes.find(code) == ("other", "b" * 32)


def test_forget_deletes_a_persons_codes(aws):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    codes = services.get().join_codes
    code = codes.ensure(event_id, "a" * 32, datetime(2027, 12, 9, tzinfo=UTC))
    codes.forget([event_id, "never-texted"], "a" * 32)
    assert codes.find(code) is None


def test_other_methods_on_the_short_link_are_405(aws):
    answer = call_api("POST", "/j/abcdefghjk23")
    assert answer.status == 405 and "GET" in answer.headers["allow"]


def test_forget_person_deletes_the_short_links_texted_to_them(aws):
    from infra.testkit.api import invoke_admin

    event_id = create_event(starts_at="2026-12-09T14:00:00")
    sign_up([event_id])
    _person_id, code = place(event_id)
    other_code = services.get().join_codes.ensure(event_id, "b" * 32, datetime(2027, 12, 9, tzinfo=UTC))

    answer = invoke_admin({"action": "forget_person", "email": "ada@example.org", "dry_run": False})

    assert answer["ok"], answer
    assert services.get().join_codes.find(code) is None
    assert services.get().join_codes.find(other_code) == (event_id, "b" * 32)  # nobody else's
    clock.freeze(EVENT_DAY_0700)
    same(call_api("GET", f"/j/{code}", headers=HTML), call_api("GET", "/join/not-a-token", headers=HTML))
