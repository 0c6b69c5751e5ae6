"""Asking for the morning text (issue 12, point 1): `phone` and `sms_consent` on /signup, POST
/signups, the website snippet and POST /manage/profile, only while SmsEnabled is on. Only a new
person's sign-up sets a number; a known person changes it on their manage page; emails name it
masked, and how to stop texts."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from infra.testkit.api import call_api, invoke_admin, outbox
from shared import services
from tests.integration.helpers import create_event, sign_up, text_part, token_from

MOBILE, STORED, MASKED = "07400 123456", "+447400123456", "+44 7*** ***456"
HTML = {"accept": "text/html"}


@pytest.fixture
def texts_on(monkeypatch):
    monkeypatch.setenv("SMS_ENABLED", "true")
    services.reset()


class Fields(HTMLParser):
    """The names of a page's form fields."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"input", "textarea"}:
            self.names.add(dict(attrs).get("name") or "")


def field_names(html: str) -> set[str]:
    parser = Fields()
    parser.feed(html)
    return parser.names


def stored(address: str = "ada@example.org"):
    return services.get().stores.people.get(services.get().person_id_for(address))


def manage_token() -> str:
    for message in reversed(outbox()):
        if "/manage" in text_part(message):
            return token_from(text_part(message), "/manage")
    raise AssertionError("no manage link was sent")


def test_with_texts_off_no_form_offers_them_and_a_number_sent_anyway_is_not_kept(aws):
    event_id = create_event()

    page = call_api("GET", "/signup", headers=HTML)
    snippet = invoke_admin({"action": "website_snippet"})
    answer = sign_up([event_id], phone=MOBILE, sms_consent=True)

    assert {"phone", "sms_consent"} & (field_names(page.body) | field_names(snippet["html"])) == set()
    assert answer.status == 201
    person = stored()
    assert person is not None and (person.phone, person.sms_consent) == ("", False)
    assert "Text messages" not in text_part(outbox()[-1])


def test_with_texts_on_every_form_offers_them(aws, texts_on):
    event_id = create_event()
    sign_up([event_id])

    pages = {
        "/signup": call_api("GET", "/signup", headers=HTML).body,
        "snippet": invoke_admin({"action": "website_snippet"})["html"],
        "/manage": call_api("GET", "/manage", query={"token": manage_token()}, headers=HTML).body,
    }

    for where, html in pages.items():
        assert {"phone", "sms_consent"} <= field_names(html), where


def test_a_new_person_who_agrees_is_stored_in_e164_and_their_emails_name_the_number_masked(aws, texts_on):
    event_id = create_event()

    answer = sign_up([event_id], phone=MOBILE, sms_consent="on")

    assert answer.status == 201
    person = stored()
    assert (person.phone, person.sms_consent) == (STORED, True)
    confirmation = text_part(outbox()[-1])
    assert MASKED in confirmation and "untick the box on your manage page" in confirmation
    assert "123456" not in confirmation.replace(MASKED, "")
    assert "reply STOP" not in confirmation  # a sender ID cannot take replies


def test_reply_stop_is_offered_only_with_a_two_way_number(aws, texts_on, monkeypatch):
    monkeypatch.setenv("SMS_ORIGINATION_NUMBER", "+447700900123")
    services.reset()
    event_id = create_event()

    sign_up([event_id], phone=MOBILE, sms_consent=True)

    assert "reply STOP to one of our texts" in text_part(outbox()[-1])


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"phone": "0800 123 4567", "sms_consent": True}, "not a mobile number"),
        ({"phone": "+33 6 12 34 56 78", "sms_consent": True}, "only text mobile numbers in the UK"),
        ({"phone": "09011 234567", "sms_consent": True}, "not a mobile number"),
        ({"phone": "07400 123456 07400 123456 07400 123456", "sms_consent": True}, "too long"),
        ({"phone": "07400 CALL ME", "sms_consent": True}, "only the digits"),
        ({"sms_consent": True}, "give your mobile number"),
    ],
)
def test_a_number_that_cannot_be_texted_is_refused_naming_the_field_and_nothing_is_stored(
    aws, texts_on, fields, reason
):
    event_id = create_event()

    answer = sign_up([event_id], **fields)

    assert answer.status == 422
    assert list(answer.json()["error"]["fields"]) == ["phone"]
    assert reason in answer.json()["error"]["fields"]["phone"]
    assert stored() is None and outbox() == []


def test_a_number_without_consent_is_not_kept(aws, texts_on):
    event_id = create_event()

    assert sign_up([event_id], phone=MOBILE).status == 201

    assert (stored().phone, stored().sms_consent) == ("", False)


def test_a_stranger_cannot_set_a_number_on_a_known_address(aws, texts_on):
    first, second = create_event(), create_event("When to re-balance the power?", "2027-01-13T14:00:00")
    sign_up([first])

    answer = sign_up([second], email="ADA@example.org", phone="07400 999888", sms_consent=True)

    assert answer.status == 201
    assert (stored().phone, stored().sms_consent) == ("", False)
    assert "Text messages" not in text_part(outbox()[-1])


def test_the_owner_adds_changes_and_removes_their_number_on_the_manage_page(aws, texts_on):
    event_id = create_event()
    sign_up([event_id])
    token = manage_token()
    details = {"token": token, "name": "Ada Lovelace", "role": "academic"}

    added = call_api("POST", "/manage/profile", json_body={**details, "phone": MOBILE, "sms_consent": True})
    assert added.status == 200 and added.json()["phone"] == MASKED and added.json()["sms_consent"] is True
    assert stored().phone == STORED

    kept = call_api("POST", "/manage/profile", json_body={**details, "phone": "", "sms_consent": True})
    assert kept.status == 200 and stored().phone == STORED  # consent kept, no new number: the same one

    untouched = call_api("POST", "/manage/profile", json_body=details)  # no text fields: unchanged
    assert untouched.status == 200 and stored().phone == STORED

    changed = call_api(
        "POST", "/manage/profile", json_body={**details, "phone": "07400 654321", "sms_consent": "on"}
    )
    assert changed.status == 200 and stored().phone == "+447400654321"

    removed = call_api("POST", "/manage/profile", json_body={**details, "phone": "07400 654321"})
    assert removed.status == 200
    assert (removed.json()["phone"], removed.json()["sms_consent"]) == (None, False)
    assert (stored().phone, stored().sms_consent) == ("", False)
    raw = services.get().stores.people.raw(services.get().person_id_for("ada@example.org"))
    assert "phone" not in raw  # erased, not just switched off


def test_the_manage_page_shows_the_number_masked_never_whole(aws, texts_on):
    event_id = create_event()
    sign_up([event_id], phone=MOBILE, sms_consent=True)

    page = call_api("GET", "/manage", query={"token": manage_token()}, headers=HTML)

    assert page.status == 200 and MASKED in page.body
    assert "7400123456" not in page.body and "123456" not in page.body.replace(MASKED, "")


def test_a_bad_number_on_the_manage_page_comes_back_beside_its_field(aws, texts_on):
    event_id = create_event()
    sign_up([event_id])
    form = {
        "token": manage_token(),
        "name": "Ada Lovelace",
        "role": "academic",
        "phone": "0800 123 4567",
        "sms_consent": "yes",
    }

    page = call_api("POST", "/manage/profile", form=form, headers=HTML)

    assert page.status == 422
    assert 'id="phone-error"' in page.body and "not a mobile number" in page.body
    assert stored().phone == ""


def test_while_texts_are_off_a_profile_change_leaves_the_number_held(aws, texts_on, monkeypatch):
    # Texts switched off for a while (the budget): the fields are ignored, as CONTRACT.md says, so
    # a JSON client still sending them neither erases the number nor changes it.
    event_id = create_event()
    sign_up([event_id], phone=MOBILE, sms_consent=True)
    token = manage_token()
    monkeypatch.setenv("SMS_ENABLED", "false")
    services.reset()
    details = {"token": token, "name": "Ada King", "role": "academic"}

    for texts in ({"phone": "07400 654321", "sms_consent": True}, {"sms_consent": False}, {"phone": ""}):
        answer = call_api("POST", "/manage/profile", json_body={**details, **texts})
        assert answer.status == 200 and "phone" not in answer.json()

    assert (stored().name, stored().phone, stored().sms_consent) == ("Ada King", STORED, True)


def test_a_bad_number_is_named_with_the_other_fields_problems_in_one_answer(aws, texts_on):
    # The number's check runs after the other fields'; it must not wait for them to be right.
    event_id = create_event()

    answer = sign_up([event_id], name="", phone="0800 123 4567", sms_consent=True)
    missing = sign_up([event_id], name="", role="astronaut", phone="", sms_consent="on")
    no_consent = sign_up([event_id], name="", phone="0800 123 4567", sms_consent=False)

    assert answer.status == 422 and set(answer.json()["error"]["fields"]) == {"name", "phone"}
    assert answer.json()["error"]["fields"]["phone"] == "is not a mobile number; we can only text mobiles"
    assert set(missing.json()["error"]["fields"]) == {"name", "role", "phone"}
    assert set(no_consent.json()["error"]["fields"]) == {"name"}  # no consent: the number is not read
    assert stored() is None
