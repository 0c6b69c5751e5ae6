"""Admin action website_snippet: the sign-up form for the charity's own web pages.

A plain HTML form (no JavaScript, no style sheet needed) that posts to the deployed `/signups`
with every field and the honeypot, labelled as `/signup` is; the API answers it with a 303 to
SIGNUP_REDIRECT_URL (`result=ok`, or `result=error&code=...`). The events are written into the
form, so it is regenerated after each create_event or copy_event (docs/website.md).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from functions.admin.registry import ActionModel, action, logger
from shared import clock, services
from shared.boundary import JsonObject
from shared.config import get_settings
from shared.domain.errors import ValidationFailed
from shared.domain.models import ROLE_LABELS, Event

MAX_EVENTS = 20  # what one sign-up may choose (CONTRACT.md, POST /signups)


class WebsiteSnippet(ActionModel):
    action: Literal["website_snippet"] = "website_snippet"
    event_ids: list[str] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_EVENTS,
        description="The events the form offers; leave out for every upcoming event open for sign-up",
    )


def _chosen(request: WebsiteSnippet) -> list[Event]:
    """The events to offer, soonest first: those asked for, or every one open for sign-up."""
    now = clock.now()
    events = services.get().stores.events.by_start(ending_after=now)
    open_events = [e for e in events if e.is_open(now)]
    if request.event_ids is None:
        if not open_events:
            raise ValidationFailed(
                "There are no upcoming events open for sign-up: create one first (create_event).",
                fields={"event_ids": "no upcoming event is open for sign-up"},
            )
        return open_events[:MAX_EVENTS]
    by_id = {e.id: e for e in open_events}
    missing = [i for i in request.event_ids if i not in by_id]
    if missing:
        raise ValidationFailed(
            f"These events are not upcoming events open for sign-up: {', '.join(missing)}. "
            "Use list_events to see their ids.",
            fields={"event_ids": "must be ids of upcoming events open for sign-up"},
        )
    return [e for e in open_events if e.id in set(request.event_ids)]


def _warnings() -> list[JsonObject]:
    settings = get_settings()
    warnings: list[JsonObject] = []
    if not settings.signup_redirect_url:
        warnings.append(
            {
                "code": "redirect_not_set",
                "message": "SignupRedirectUrl is empty: people who use this form see our own "
                "thank-you page instead of coming back to your website. Set it to a page of yours.",
            }
        )
    if not settings.privacy_notice_url:
        warnings.append(
            {
                "code": "privacy_notice_not_set",
                "message": "PrivacyNoticeUrl is empty: the form asks people to agree to a privacy "
                "notice it cannot link to. Set it to your privacy notice's address.",
            }
        )
    return warnings


@action("website_snippet", WebsiteSnippet)
def website_snippet(request: WebsiteSnippet) -> JsonObject:
    # The template engine only for this action: the other actions never pay for its import.
    from functions.api.pages import render
    from shared.domain.timefmt import when_in_words

    events = _chosen(request)
    settings = get_settings()
    html = render(
        "website_snippet.html",
        events=[(e, when_in_words(e)) for e in events],
        roles=list(ROLE_LABELS.items()),
        errors={},
        action_url=f"{settings.public_base_url}/signups",
        privacy_url=settings.privacy_notice_url,
    )
    logger.info("website snippet made", extra={"events": len(events)})
    return {"html": html, "event_ids": [e.id for e in events], "warnings": _warnings()}
