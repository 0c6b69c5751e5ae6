"""Demo data for the local stack: events like the real series, past, happening now and to come.

Created through AdminFunction's `create_event`, as an admin would from the Lambda console, so the
seed exercises the same path and cannot store anything the admin action would refuse. Dates are
relative to the clock at start-up; one event has two places, so the waiting list can be seen.
The Zoom details are fake and look it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

TIMEZONE = "Europe/London"


@dataclass(frozen=True)
class DemoEvent:
    title: str
    description: str
    days_from_today: int
    start: time | None  # None: started within the last half hour, so it is on now
    capacity: int | None = None
    duration_minutes: int = 90


DEMO_EVENTS = (
    DemoEvent(
        "Co-production in a Digital World",
        "So much of our work has moved online. In this conversation we asked what co-production "
        "looks like when we meet through a screen: who gets left out, what helps people with lived "
        "experience take part as equals, and what we want to keep when we can share a room again.",
        days_from_today=-63,
        start=time(14, 0),
    ),
    DemoEvent(
        "When to re-balance the power?",
        "Co-production means letting go of power, so that staff and people with lived experience can "
        "work in genuinely equal relationships. We talked about the moments when power needs to shift, "
        "how to notice when it has not, and what decision makers can do about it.",
        days_from_today=-28,
        start=time(14, 0),
    ),
    DemoEvent(
        "Employing people with lived experience",
        "Many organisations want to employ people with lived experience of multiple disadvantage, and "
        "many people with lived experience want those jobs. Come and share what works: recruitment "
        "that looks at skills and strengths rather than labels, good support and supervision, and what "
        "helps when things get hard.",
        days_from_today=0,
        start=None,
    ),
    DemoEvent(
        "No one person owns the truth",
        "Our first principle: the wisdom and power should reside in the collective. Bring your "
        "experiences of groups where every voice shaped the outcome, and of times when one voice "
        "drowned out the rest. Whether you are new to co-production or an experienced practitioner, "
        "all are welcome.",
        days_from_today=7,
        start=time(14, 0),
    ),
    DemoEvent(
        "Sitting at the table as equals",
        "Our second principle: all stakeholders are afforded every opportunity to sit at the table "
        "equitably. What does it take for people with lived experience, front-line staff, managers and "
        "commissioners to take part on equal terms? A small-group conversation with very few places: "
        "if it is full, join the waiting list and we will tell you when a place comes up.",
        days_from_today=35,
        start=time(14, 0),
        capacity=2,
    ),
    DemoEvent(
        "A strengths-based approach",
        "Our third principle: we focus on the group purpose using a strengths-based approach. We will "
        "look past stigma and labels to the skills and talents we all bring, and share how that changes "
        "the way services are designed and run.",
        days_from_today=63,
        start=time(10, 0),
    ),
    DemoEvent(
        "Co-production: where do I start?",
        "A safe space for anyone wondering how to begin. Co-production is built on the principle that "
        "those who use a service are best placed to help design it. We will share first steps, what "
        "helped us, and what we would do differently, with plenty of time for your questions.",
        days_from_today=91,
        start=time(14, 0),
        duration_minutes=60,
    ),
)


def local_start(demo: DemoEvent, now: datetime) -> datetime:
    """The event's naive local start time, relative to `now`."""
    local_now = now.astimezone(ZoneInfo(TIMEZONE))
    if demo.start is None:
        floored = local_now.replace(minute=0 if local_now.minute < 30 else 30, second=0, microsecond=0)
        return floored.replace(tzinfo=None)
    day = local_now.date() + timedelta(days=demo.days_from_today)
    return datetime.combine(day, demo.start)


def create_event_request(demo: DemoEvent, number: int, now: datetime) -> dict[str, Any]:
    request: dict[str, Any] = {
        "action": "create_event",
        "title": demo.title,
        "description": demo.description,
        "starts_at": local_start(demo, now).isoformat(timespec="minutes"),
        "timezone": TIMEZONE,
        "duration_minutes": demo.duration_minutes,
        "zoom_join_url": f"https://zoom.us/j/{number:010d}",
        "zoom_meeting_id": f"000 0000 {number:04d}",
        "zoom_passcode": f"demo{number:02d}",
        "zoom_dial_in": "+44 20 7946 0000 (a demo number: it rings nowhere)",
    }
    if demo.capacity is not None:
        request["capacity"] = demo.capacity
    return request


def seed_demo_events(
    invoke_admin: Callable[[dict[str, Any]], Any],
    now: datetime,
    *,
    log: Callable[[str], None] = print,
) -> list[dict[str, Any]]:
    """Create the demo events; returns the events AdminFunction answered with."""
    created = []
    for number, demo in enumerate(DEMO_EVENTS, start=1):
        request = create_event_request(demo, number, now)
        try:
            answer = invoke_admin(request)
        except Exception as error:
            log(f"seed: could not create {demo.title!r}: {error}")
            if getattr(error, "payload", {}).get("errorType") == "Runtime.ImportModuleError":
                break  # AdminFunction's code is not there (yet): the others would fail the same way
            continue
        if isinstance(answer, dict) and answer.get("ok") and isinstance(answer.get("event"), dict):
            created.append(answer["event"])
        else:
            log(f"seed: AdminFunction refused {demo.title!r}: {answer!r}")
    return created
