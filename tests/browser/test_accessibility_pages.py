"""Every page the API serves as HTML, in every state, in Chromium with JavaScript off.

Given the local stack, When a person reaches each page and state as they would (following the
links in their emails, pressing the pages' own buttons, all with JavaScript off), Then axe-core
finds no WCAG 2.2 AA violation at 1280 or at 320 CSS pixels wide, the headings are in order, each
link says where it goes, and nothing scrolls sideways at 320 (WCAG 1.4.10 reflow: 1280 at 400%
zoom) or at 1280. The table of results goes to /tmp/a11y-results.md.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.browser.a11y import Results
from tests.browser.a11y_scenario import Scenario, link_in
from tests.browser.conftest import CharitySite
from tests.e2e.local_stack import LocalStack, unique_address

pytestmark = pytest.mark.browser


def open_as(page: Any, url: str, method: str, form: dict[str, str] | None = None) -> Any:
    """Open `url` as a page with another method (and a form body), as no link can: 405 and 422
    pages, and the page a form elsewhere (the charity's site) lands on."""

    def swap(route: Any) -> None:
        headers = dict(route.request.headers)
        if form is not None:
            headers["content-type"] = "application/x-www-form-urlencoded"
        route.continue_(method=method, post_data=urlencode(form) if form else None, headers=headers)

    page.route(url, swap)
    try:
        return page.goto(url)
    finally:
        page.unroute(url, swap)


def visit(a11y: Results, url: str, label: str, status: int = 200) -> Any:
    response = a11y.page.goto(url)
    assert response.status == status, f"{label}: {response.status}"
    a11y.check(label)
    return a11y.page


def test_signup_thanks_and_manage_in_every_state(
    a11y: Results, local_stack: LocalStack, a11y_scenario: Scenario
) -> None:
    from playwright.sync_api import expect

    base, page = local_stack.base_url, a11y.page
    event = local_stack.create_event("Accessibility check: the pages", starts_in=timedelta(days=45))
    address = unique_address("a11y-pages")
    visit(a11y, f"{base}/signup", "/signup")
    visit(a11y, f"{base}/signup?event={a11y_scenario.full['id']}", "/signup?event=ID (a full event)")
    page.locator(f'input[name="event_ids"][value="{event["id"]}"]').check()
    page.fill("#email", address)
    page.get_by_role("button", name="Sign up").click()
    expect(page.locator('[role="alert"]')).to_be_visible()
    a11y.check("/signup after a submit with errors")
    page.fill("#name", "Grace Hopper")
    page.check('input[name="role"][value="academic"]')
    page.check("#consent")
    page.get_by_role("button", name="Sign up").click()
    expect(page.locator("h1")).to_contain_text("Thank you")
    expect(page.get_by_text("On the waiting list")).to_be_visible()
    a11y.check("thank-you page (a place and a waiting list)")

    (confirmation,) = local_stack.emails_to(address)
    visit(a11y, base + link_in(confirmation, "/manage"), "/manage")
    page.get_by_role("button", name=f"Cancel my place at {event['title']}").click()
    expect(page.get_by_role("status")).to_contain_text("Cancelled: 1 place")
    a11y.check("/manage after a cancel")
    page.fill("#name", "")
    page.get_by_role("button", name="Save my details").click()
    expect(page.locator('[role="alert"]')).to_be_visible()
    a11y.check("/manage after saving details with errors (422)")
    page.fill("#name", "Grace Brewster Hopper")
    page.get_by_role("button", name="Save my details").click()
    expect(page.get_by_role("status")).to_contain_text("saved")
    a11y.check("/manage after saving details")
    open_as(page, f"{base}/manage/link", "POST", {"email": address})
    expect(page.locator("h1")).to_contain_text("Check your email")
    a11y.check("manage-link-sent page (POST /manage/link)")


def test_unsubscribe_pages_before_and_after_the_button(
    a11y: Results, local_stack: LocalStack, a11y_scenario: Scenario
) -> None:
    from playwright.sync_api import expect

    base, page = local_stack.base_url, a11y.page
    visit(
        a11y,
        base + link_in(a11y_scenario.emails["message"], "/unsubscribe/messages"),
        "/unsubscribe/messages",
    )
    page.get_by_role("button", name="Stop messages and follow-ups").click()
    expect(page.locator("h1")).to_contain_text("No more messages")
    a11y.check("/unsubscribe/messages after the button")
    visit(a11y, base + link_in(a11y_scenario.emails["join link"], "/unsubscribe?"), "/unsubscribe")
    page.locator("form button").click()
    expect(page.locator("h1")).to_contain_text("You are unsubscribed")
    a11y.check("/unsubscribe after the button")


def test_join_pages_before_it_opens_after_it_closes_and_with_a_bad_token(
    a11y: Results, local_stack: LocalStack, a11y_scenario: Scenario
) -> None:
    base = local_stack.base_url
    assert a11y_scenario.spare_join is not None
    join = base + link_in(a11y_scenario.spare_join, "/join/")
    visit(a11y, join, "/join before it opens")
    ended = datetime.fromisoformat(a11y_scenario.soon["ends_at"]) + timedelta(days=1)
    assert local_stack.request("PUT", "/_local/clock", json_body={"now": ended.isoformat()}).status == 200
    try:
        visit(a11y, join, "/join after it closes (410)", status=410)
    finally:
        local_stack.request("DELETE", "/_local/clock")
    visit(a11y, f"{base}/join/not-a-token", "/join with a bad token (404)", status=404)


def test_event_pages_lists_and_error_pages(
    a11y: Results, local_stack: LocalStack, a11y_scenario: Scenario
) -> None:
    base, page = local_stack.base_url, a11y.page
    visit(a11y, f"{base}/events", "/events (HTML, no form)")
    visit(a11y, f"{base}/events?when=past", "/events?when=past")
    visit(a11y, f"{base}/events/{a11y_scenario.full['id']}", "event page (full)")
    visit(a11y, f"{base}/events/{a11y_scenario.dropped['id']}", "event page (cancelled)")
    visit(a11y, f"{base}/nowhere", "not found (404)", status=404)
    visit(a11y, f"{base}/manage?token=forged", "/manage with a bad token (404)", status=404)
    assert open_as(page, f"{base}/signup", "DELETE").status == 405
    a11y.check("method not allowed (405) as a page")
    token = link_in(a11y_scenario.emails["manage link"], "/manage").split("token=", 1)[1]
    assert open_as(page, f"{base}/manage/cancel", "POST", {"token": token}).status == 422
    a11y.check("a 422 page (cancel without saying which)")


def test_every_state_the_handler_answers_in_process_opened_as_a_page(aws, monkeypatch, a11y: Results) -> None:
    """The pages in each state as the API handler answers a browser in-process on moto
    (tests/integration/page_states.py, what the plain-words test measures), opened as pages with
    JavaScript off: this covers the states no click on the local stack reaches cheaply, such as
    /join for someone on the waiting list, the 429 sign-up refused and the 503 page."""
    from tests.integration.page_states import every_page

    pages, _ = every_page(monkeypatch)

    assert {"/join on the waiting list", "/signup refused: 429, too many sign-ups", "503 page"} <= set(pages)
    for label, html in pages.items():
        if label.startswith("website_snippet form"):
            # A fragment for the charity's pages: set in the plainest page that could hold it (the
            # one below puts it on a charity's page through the local stack).
            html = (
                '<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>Sign up</title>'
                f"</head><body><main><h1>Sign up</h1>{html}</main></body></html>"
            )
        a11y.page.set_content(html, wait_until="load")
        a11y.check(f"{label} (as the handler answers it)")


def test_the_website_snippet_on_the_charitys_page(
    a11y: Results, local_stack: LocalStack, charity_site: CharitySite, a11y_scenario: Scenario
) -> None:
    answer = local_stack.invoke(
        "AdminFunction", {"action": "website_snippet", "event_ids": [a11y_scenario.full["id"]]}
    )
    assert answer.get("ok") is True, answer
    url = charity_site.page("a11y-snippet.html", "<h1>Join a conversation</h1>" + answer["html"])
    visit(a11y, url, "website_snippet on the charity's page")


PLAIN = '<html lang="en"><title>t</title><main><h1>t</h1>{}</main></html>'
BROKEN = {
    "image-alt": PLAIN.format('<img src="x.png">'),
    "html-has-lang": "<html><title>t</title><main><h1>t</h1></main></html>",
    'H3 "skipped" follows H1': PLAIN.format("<h3>skipped</h3>"),
    "layout table": PLAIN.format("<table><tr><td>a</td></tr></table>"),
    'the link "click here"': PLAIN.format('<a href="/x">click here</a>'),
    "scrolls sideways at 320": PLAIN.format('<div style="width:600px">wide</div>'),
}


@pytest.mark.parametrize("problem", list(BROKEN))
def test_the_checks_fail_a_page_broken_on_purpose(problem: str, a11y: Results) -> None:
    checks = Results(a11y.page, a11y.mirror)  # its own table: these rows are not the site's
    a11y.page.set_content(BROKEN[problem])
    with pytest.raises(AssertionError, match=problem):
        checks.check(f"broken on purpose: {problem}")
