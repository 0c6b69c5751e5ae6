"""The /signup page in a real Chromium with JavaScript off, against the local stack.

Given the page, When someone submits it with mistakes, Then the error summary lists them, each
error sits beside its field and nothing they typed is lost; When they put it right for two
conversations, Then they see the thank-you page, and exactly one confirmation arrives, whose
calendar files parse. Screenshots go to /tmp/signup*.png for people to look at.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import icalendar
import pytest

from tests.e2e.local_stack import LocalStack, unique_address

pytestmark = pytest.mark.browser


def checkbox_for(page: Any, event: dict[str, Any]) -> Any:
    return page.locator(f'input[name="event_ids"][value="{event["id"]}"]')


def test_signup_page_without_javascript_shows_errors_then_signs_up(
    page_without_javascript: Any, local_stack: LocalStack
) -> None:
    from playwright.sync_api import expect

    page = page_without_javascript
    first = local_stack.create_event("Browser check: listening first", starts_in=timedelta(days=20))
    second = local_stack.create_event("Browser check: power and trust", starts_in=timedelta(days=48))
    address = unique_address("browser")

    # Given the sign-up page
    page.goto(f"{local_stack.base_url}/signup")
    page.screenshot(path="/tmp/signup.png", full_page=True)
    expect(checkbox_for(page, first)).to_be_visible()

    # When it is submitted without a name and without agreeing to the privacy notice
    page.fill("#email", address)
    checkbox_for(page, first).check()
    checkbox_for(page, second).check()
    page.check('input[name="role"][value="academic"]')
    page.get_by_role("button", name="Sign up").click()

    # Then an error summary lists both problems, each linked to its field
    summary = page.locator('[role="alert"]')
    expect(summary).to_be_visible()
    expect(summary.get_by_role("heading")).to_contain_text("There is a problem")
    expect(summary.locator('a[href="#name"]')).to_have_count(1)
    expect(summary.locator('a[href="#consent"]')).to_have_count(1)
    # And each error sits beside its field, announced with it
    for field in ("name", "consent"):
        error = page.locator(f"#{field}-error")
        expect(error).to_be_visible()
        expect(error).not_to_be_empty()
        described_by = page.locator(f"#{field}").get_attribute("aria-describedby") or ""
        assert f"{field}-error" in described_by.split()
    # And what was typed and chosen is kept
    expect(page.locator("#email")).to_have_value(address)
    expect(checkbox_for(page, first)).to_be_checked()
    expect(checkbox_for(page, second)).to_be_checked()
    expect(page.locator('input[name="role"][value="academic"]')).to_be_checked()
    page.screenshot(path="/tmp/signup-errors.png", full_page=True)

    # When the mistakes are put right and it is submitted again
    page.fill("#name", "Grace Hopper")
    page.check("#consent")
    page.get_by_role("button", name="Sign up").click()

    # Then the thank-you page lists both conversations
    expect(page.locator("h1")).to_contain_text("Thank you")
    expect(page.get_by_text(first["title"], exact=True)).to_be_visible()
    expect(page.get_by_text(second["title"], exact=True)).to_be_visible()
    page.screenshot(path="/tmp/signup-thanks.png", full_page=True)

    # And exactly one confirmation arrives, with a calendar file per conversation that parses
    local_stack.wait_until_the_outbound_queue_is_empty()  # nothing left that could still send
    emails = local_stack.emails_to(address, timeout=0)
    assert len(emails) == 1
    calendars = [part for part in emails[0].iter_attachments() if part.get_content_type() == "text/calendar"]
    summaries = set()
    for attachment in calendars:
        calendar = icalendar.Calendar.from_ical(attachment.get_payload(decode=True))
        summaries.update(str(vevent["SUMMARY"]) for vevent in calendar.walk("VEVENT"))
    assert len(calendars) == 2
    assert summaries == {first["title"], second["title"]}
