"""Every email kind's HTML part, opened as a page in Chromium (JavaScript off, images off).

Given each kind made through the local stack and read from its outbox as real MIME (confirmation,
waiting list, place offered, join link, change, cancellation, manage link, message, both
follow-ups), When its HTML is opened as a page, Then axe-core finds no WCAG 2.2 AA violation, the
headings are in order, each link says where it goes, layout tables (if any) are marked as
presentation, it does not scroll sideways at 320 CSS pixels; and with images off, everything the
plain-text twin says that matters (the event's title, every link) is still there as text.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.a11y import Results, block_images
from tests.browser.a11y_scenario import LINK, Scenario, html_of, text_of

pytestmark = pytest.mark.browser

KINDS = [
    "confirmation",
    "waiting list",
    "place offered",
    "join link",
    "change",
    "cancellation",
    "manage link",
    "message",
    "follow-up (came)",
    "follow-up (missed)",
]


@pytest.fixture(scope="module")
def email_page(a11y: Results) -> Iterator[Any]:
    """A page beside the other checks' (the same context), with every image request refused."""
    page = a11y.page.context.new_page()
    block_images(page)
    yield page
    page.close()


@pytest.mark.parametrize("kind", KINDS)
def test_each_email_reads_as_an_accessible_page_with_images_off(
    kind: str, email_page: Any, a11y_scenario: Scenario, a11y: Results
) -> None:
    message = a11y_scenario.emails[kind]
    html = html_of(message)

    email_page.set_content(html, wait_until="load")

    a11y.check(f"email: {kind}", email_page)
    shown = email_page.evaluate("document.body.innerText")
    hrefs = set(email_page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"))
    for link in LINK.findall(text_of(message)):
        assert link in hrefs, f"{kind}: the plain text's link {link} is not a link in the HTML"
    assert str(message["Subject"]) in shown, f"{kind}: the subject is not on show as text"
    alts = email_page.eval_on_selector_all("img", "imgs => imgs.map(i => i.getAttribute('alt'))")
    assert None not in alts, f"{kind}: an image has no alt text"
