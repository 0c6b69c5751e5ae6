"""The sign-up form on the charity's own website, in a real Chromium with JavaScript off.

Given a page on another origin (listed in AllowedOrigins) that frames /signup, When someone signs
up inside the frame, Then the thank-you page shows in the frame and they are registered. Given a
page holding the form from `website_snippet`, When someone fills it in and sends it, Then they
land on SIGNUP_REDIRECT_URL with result=ok and are registered. A page on an origin that is not
listed cannot show /signup at all. Screenshots go to /tmp/website-*.png.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.browser.conftest import CharitySite
from tests.e2e.local_stack import LocalStack, unique_address

pytestmark = pytest.mark.browser


def registrations_of(local_stack: LocalStack, event_id: str) -> list[dict[str, Any]]:
    answer = local_stack.invoke("AdminFunction", {"action": "list_registrations", "event_id": event_id})
    assert answer.get("ok") is True, answer
    return answer["registrations"]  # type: ignore[no-any-return]


def test_a_page_on_the_charitys_site_frames_signup_and_signs_up_through_it(
    page_without_javascript: Any, local_stack: LocalStack, charity_site: CharitySite
) -> None:
    from playwright.sync_api import expect

    page = page_without_javascript
    event = local_stack.create_event("Website check: the iframe", starts_in=timedelta(days=30))
    address = unique_address("iframe")
    url = charity_site.page(
        "framed.html",
        "<h1>Our conversations</h1>"
        f'<iframe src="{local_stack.base_url}/signup?event={event["id"]}" title="Sign up" '
        'width="800" height="1600"></iframe>',
    )

    page.goto(url)  # waits for the load event, which waits for the frame
    (child,) = page.main_frame.child_frames
    assert child.url.startswith(f"{local_stack.base_url}/signup"), child.url
    assert child.locator("#name").count() == 1
    frame = page.frame_locator('iframe[title="Sign up"]')
    expect(frame.locator(f'input[name="event_ids"][value="{event["id"]}"]')).to_be_checked()
    frame.locator("#name").fill("Grace Hopper")
    frame.locator("#email").fill(address)
    frame.locator('input[name="role"][value="academic"]').check()
    frame.locator("#consent").check()
    frame.get_by_role("button", name="Sign up").click()

    expect(frame.locator("h1")).to_contain_text("Thank you")
    expect(page.locator("h1").first).to_have_text("Our conversations")  # still on the charity's page
    page.screenshot(path="/tmp/website-iframe.png", full_page=True)
    assert any(r["email"] == address for r in registrations_of(local_stack, event["id"]))


def test_a_page_on_an_origin_not_listed_cannot_show_signup(
    page_without_javascript: Any, local_stack: LocalStack, charity_site: CharitySite
) -> None:
    page = page_without_javascript
    # localhost is the same machine but another origin, not in AllowedOrigins.
    elsewhere = charity_site.page(
        "elsewhere.html",
        f'<iframe src="{local_stack.base_url}/signup" title="Sign up" width="800" height="600"></iframe>',
    ).replace("127.0.0.1", "localhost")

    page.goto(elsewhere)  # waits for the load event, which waits for the frame to load or fail
    (child,) = page.main_frame.child_frames
    assert child.locator("#name").count() == 0
    assert not child.url.startswith(local_stack.base_url), child.url  # Chromium's error page instead


def test_the_snippet_on_the_charitys_page_signs_up_and_lands_on_the_redirect(
    page_without_javascript: Any, local_stack: LocalStack, charity_site: CharitySite
) -> None:
    from playwright.sync_api import expect

    page = page_without_javascript
    event = local_stack.create_event("Website check: the snippet", starts_in=timedelta(days=31))
    address = unique_address("snippet")
    answer = local_stack.invoke("AdminFunction", {"action": "website_snippet", "event_ids": [event["id"]]})
    assert answer.get("ok") is True, answer
    url = charity_site.page("snippet.html", "<h1>Join a conversation</h1>" + answer["html"])

    page.goto(url)
    page.screenshot(path="/tmp/website-snippet.png", full_page=True)
    expect(page.get_by_label("Your name")).to_be_visible()
    expect(page.locator('input[name="website"]')).to_be_hidden()  # the honeypot
    page.get_by_label("Your name").fill("Katherine Johnson")
    page.get_by_label("Email address").fill(address)
    page.get_by_label("Academic").check()
    page.get_by_label("I agree to the").check()
    page.get_by_role("button", name="Sign up").click()

    page.wait_for_url(f"{charity_site.origin}/{CharitySite.THANKS}?result=ok")  # the charity's own page
    expect(page.get_by_role("heading", name="Thank you for signing up")).to_be_visible()
    assert any(r["email"] == address for r in registrations_of(local_stack, event["id"]))
