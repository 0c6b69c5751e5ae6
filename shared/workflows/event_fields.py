"""What an admin gives to create, update or copy an event: validated input models, and the
event's times worked out from them (naive times are in the event's zone; dates in a sane range)."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

from shared.config import join_hosts
from shared.domain.errors import ValidationFailed
from shared.domain.join_urls import JoinUrlRefused, check_join_url
from shared.domain.models import INVISIBLE_MARKS, Event, as_typed, first_hidden
from shared.domain.timefmt import day_in_words

DEFAULT_DURATION = 90
# The dates an admin may give: none before the series could have begun, none further ahead than
# anyone plans (and nothing near the calendar's end, where arithmetic on a date overflows).
EARLIEST = datetime(2020, 1, 1, tzinfo=UTC)
DAYS_AHEAD = 5 * 365 + 1
LONGEST = timedelta(hours=24)


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    # OSError: a name too long for a file name, or a folder of zones ("Europe"), found by fuzzing
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError("is not a known IANA time zone, like Europe/London") from None


class EventFields(BaseModel):
    """Fields an admin may set. Naive times are in `timezone`; aware ones keep their offset."""

    model_config = {"extra": "forbid", "str_strip_whitespace": True}

    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    duration_minutes: int | None = Field(default=None, ge=5, le=24 * 60)
    timezone: str | None = None
    zoom_join_url: str | None = Field(default=None, max_length=500)
    zoom_meeting_id: str | None = Field(default=None, max_length=50)
    zoom_passcode: str | None = Field(default=None, max_length=50)
    zoom_dial_in: str | None = Field(default=None, max_length=2000)
    capacity: int | None = Field(default=None, ge=1, le=100000)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            zone_of(value)
        return value

    @field_validator("starts_at", "ends_at", mode="wrap")
    @classmethod
    def _a_date(cls, value: object, handler: ValidatorFunctionWrapHandler) -> datetime | None:
        try:
            moment: datetime | None = handler(value)
        except ValidationError:
            # In words, not pydantic's (a year 10000 would read "invalid date separator").
            raise ValueError(
                "must be a date and time like 2026-12-09T14:00:00 (an offset such as +01:00 is optional)"
            ) from None
        return moment

    @field_validator("zoom_join_url")
    @classmethod
    def _meeting_link(cls, value: str | None) -> str | None:
        if not value:
            return value  # empty: no link yet
        try:
            return check_join_url(value, join_hosts())
        except JoinUrlRefused as error:
            raise ValueError(str(error)) from None

    @field_validator("title")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        # The title goes into every email's subject, calendars and the public pages: one line of
        # what the admin sees. Pasted wide spaces become spaces and invisible marks that change
        # nothing on screen go; a bidi override (which would show the title reversed) or a line
        # separator is refused, naming it.
        if value is None:
            return value
        title = as_typed(value).translate(INVISIBLE_MARKS).strip()
        if hidden := first_hidden(title, ""):
            raise ValueError(
                f"must be one line with no hidden characters: it has {hidden}; type it again "
                "rather than pasting it"
            )
        return title

    @model_validator(mode="after")
    def _one_end(self) -> EventFields:
        if self.ends_at is not None and self.duration_minutes is not None:
            raise ValueError("give ends_at or duration_minutes, not both")
        return self


ALLOW_DUPLICATE = Field(
    default=False,
    description="true: allow another event with the same title on the same day (duplicate_event)",
)


class CreateEvent(EventFields):
    action: Literal["create_event"] = "create_event"
    title: str = Field(min_length=1, max_length=200)
    starts_at: datetime
    allow_duplicate: bool = ALLOW_DUPLICATE


class CopyEvent(EventFields):
    """A new event from an old one (next month's): its title, description, duration, zone and
    capacity unless given; Zoom details only if given; no registrations."""

    action: Literal["copy_event"] = "copy_event"
    event_id: str = Field(min_length=1, max_length=100)
    starts_at: datetime
    allow_duplicate: bool = ALLOW_DUPLICATE


class UpdateEvent(EventFields):
    action: Literal["update_event"] = "update_event"
    event_id: str = Field(min_length=1, max_length=100)
    notify: bool = True
    allow_duplicate: bool = ALLOW_DUPLICATE
    # An explicit null clears the capacity (unlimited places).
    capacity: int | None = Field(default=None, ge=1, le=100000)


class ListEvents(BaseModel):
    model_config = {"extra": "forbid"}
    action: Literal["list_events"] = "list_events"
    when: Literal["upcoming", "past"] = "upcoming"


def _localise(name: str, moment: datetime, zone: str) -> datetime:
    """The instant `moment` names, in UTC (a naive time is in `zone`), so that durations are added
    in real minutes: Python adds them to the clock on the wall in an aware time's own zone, which
    on the night the clocks change makes a 90-minute event last 30 minutes or 150. A naive time
    the clocks skip (01:30 when they go from 01:00 to 02:00) is refused rather than moved."""
    if moment.tzinfo is not None:
        return moment.astimezone(UTC)
    local = moment.replace(tzinfo=zone_of(zone))
    instant = local.astimezone(UTC)
    if instant.astimezone(local.tzinfo).replace(tzinfo=None) != moment:
        words = (
            f"{moment.isoformat(timespec='minutes')} does not happen in {zone}: the clocks go forward "
            "that night. Give a time before or after the change, like "
            f"{(moment + timedelta(hours=1)).isoformat(timespec='seconds')}."
        )
        raise ValidationFailed(words, fields={name: words})
    return instant


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:48].strip("-") or "event"


def _in_range(name: str, moment: datetime, now: datetime) -> datetime:
    """`moment` if it lies between EARLIEST and DAYS_AHEAD from now; else a plain refusal naming
    the field. The year is compared first, so no arithmetic is done on a date near year 1 or 9999."""
    latest = now + timedelta(days=DAYS_AHEAD)
    if EARLIEST.year <= moment.year <= latest.year and EARLIEST <= moment <= latest:
        return moment
    words = f"Give a date between {day_in_words(EARLIEST)} and {day_in_words(latest)}."
    raise ValidationFailed(words, fields={name: words})


def times(fields: EventFields, zone: str, previous: Event | None, now: datetime) -> tuple[datetime, datetime]:
    starts_at = (
        _in_range("starts_at", _localise("starts_at", fields.starts_at, zone), now)
        if fields.starts_at
        else previous.starts_at
        if previous
        else None
    )
    assert starts_at is not None
    if fields.ends_at is not None:
        ends_at = _in_range("ends_at", _localise("ends_at", fields.ends_at, zone), now)
    elif fields.duration_minutes is not None:
        ends_at = starts_at + timedelta(minutes=fields.duration_minutes)
    elif previous is not None:
        ends_at = starts_at + (previous.ends_at - previous.starts_at)
    else:
        ends_at = starts_at + timedelta(minutes=DEFAULT_DURATION)
    if ends_at <= starts_at:
        raise ValidationFailed(
            "The event must end after it starts.", fields={"ends_at": "must be after starts_at"}
        )
    if ends_at - starts_at > LONGEST:
        raise ValidationFailed(
            "An event lasts at most 24 hours.", fields={"ends_at": "must be at most 24 hours after starts_at"}
        )
    return starts_at, ends_at
