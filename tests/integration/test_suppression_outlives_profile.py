"""A suppression outlives the profile: DynamoDB's TTL deletes a profile with its last event, and
the hash-only marker (`PERSON#<hash>` / `SUPPRESSION`: no address, no name, no expiry) keeps a
bounced or complaining person unmailed when they, or anyone, sign the address up again.
TTL is simulated as DynamoDB does it: the expired item is deleted, nothing else runs."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from infra.testkit import raw_table
from infra.testkit.api import call_api, outbox
from shared import clock, services
from shared.domain.models import Suppression
from tests.integration.helpers import create_event, sign_up
from tests.integration.test_ses_events import handle, ses_event

ADA = {"name": "Ada Lovelace", "email": "ada@example.org", "role": "academic"}


def person_id() -> str:
    return services.get().person_id_for(ADA["email"])


def marker() -> dict[str, Any] | None:
    return raw_table.get_item(raw_table.marker_key(person_id()))


def profile() -> dict[str, Any] | None:
    return raw_table.get_item(raw_table.person_key(person_id()))


def expire_the_profile_and_its_registrations(event_ids: list[str]) -> None:
    """What TTL does a year after the person's last event: the profile and registrations go."""
    for event_id in event_ids:
        raw_table.expire(raw_table.registration_key(event_id, person_id()))
    raw_table.expire(raw_table.person_key(person_id()))


def unsubscribe() -> None:
    url = services.get().links.unsubscribe(person_id(), clock.now())
    parts = urlsplit(url)
    answer = call_api("POST", parts.path, query={"token": parts.query.removeprefix("token=")})
    assert answer.status == 200, answer.body


@pytest.mark.parametrize(("fixture", "level"), [("bounce-permanent", "bounced"), ("complaint", "complained")])
def test_a_suppressed_person_whose_profile_expired_is_still_not_emailed_when_signed_up_again(
    aws, fixture, level
):
    # Given Ada signed up, then her address bounced (or she complained)
    first = create_event()
    later = create_event("Next year", "2027-01-13T14:00:00")
    sign_up([first], **ADA)
    handle(ses_event(fixture, ADA["email"]))
    sent = len(outbox())
    # and a year later TTL deleted her profile and registrations
    expire_the_profile_and_its_registrations([first])
    assert profile() is None
    assert set(marker() or {}) == {"PK", "SK", "suppression", "suppressed_at"}  # no address, no name

    # When the address is signed up again
    again = sign_up([later], **ADA)

    # Then the place is stored but nothing is sent, now or on the morning (the new profile holds it)
    assert again.status == 201
    assert again.json()["signup"]["confirmation"] == "suppressed"
    assert len(outbox()) == sent
    stored = services.get().stores.people.get(person_id())
    assert stored is not None and stored.suppression is Suppression(level)
    assert stored.email == ADA["email"]
    assert (marker() or {}).get("suppression") == level


def test_an_unsubscribed_person_whose_profile_expired_is_emailed_again_on_signing_up(aws):
    # Given Ada unsubscribed, and TTL later deleted her profile and registrations
    first = create_event()
    later = create_event("Next year", "2027-01-13T14:00:00")
    sign_up([first], **ADA)
    unsubscribe()
    assert (marker() or {}).get("suppression") == "unsubscribed"
    expire_the_profile_and_its_registrations([first])

    # When she signs up again
    again = sign_up([later], **ADA)

    # Then she is emailed, as after any unsubscribe (CONTRACT.md), and the marker is emptied to expire
    assert again.json()["signup"]["confirmation"] == "sent"
    assert outbox()[-1]["To"].addresses[0].addr_spec == ADA["email"]
    left = marker()
    assert left is not None and "suppression" not in left and "expires_at" in left
    assert services.get().stores.people.marker(person_id()) is None


def test_a_bounce_after_signing_up_reaches_both_the_profile_and_the_marker(aws):
    sign_up([create_event()], **ADA)

    handle(ses_event("bounce-permanent", ADA["email"]))

    assert (profile() or {}).get("suppression") == "bounced"
    assert "expires_at" in (profile() or {})  # the profile still expires with its last event
    stored_marker = marker()
    assert stored_marker is not None
    assert stored_marker["suppression"] == "bounced" and "expires_at" not in stored_marker
