"""The admins' notices of sign-ups with access needs: when each is told, and what the digest says.

A sign-up whose access needs were kept (with their own consent) is told to the admins either
- at once, in a single notice, when its event starts before the next run of the morning send
  (the next digest would come too late to arrange anything), or
- in the next morning's digest: one message per run listing every such sign-up since the last
  digest, grouped by event. The sign-up's registration carries `admin_notice_due` (when it was
  made) until the digest that tells it is sent.

Both say as much as today's single notice did and no more: the event (title, time, id) and that
a sign-up with access needs came in (when), never the person's name, address, role,
organisation or the needs themselves. The admin reads those with `list_registrations`, inside
the stack's access controls; SNS delivers notices as plain email outside them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from shared.domain.models import Event
from shared.domain.schedule import Schedule
from shared.domain.timefmt import date_in_words, start_in_words, time_in_words, zone_in_words

# SNS: a subject of at most 100 characters, a message of at most 256 KB (UTF-8 bytes). A digest
# lists each sign-up's time up to this many per event (then "and N more"), and events while the
# message stays within MESSAGE_BUDGET_BYTES (then "and N more events"): a season's sign-ups on
# many events would otherwise make a message SNS refuses, every morning, with nobody told.
TIMES_LISTED_PER_EVENT = 100
MESSAGE_BUDGET_BYTES = 200_000
SUBJECT_ONE = "Conversations on Co-production: 1 new sign-up with access needs"
SUBJECT_MANY = "Conversations on Co-production: {n} new sign-ups with access needs"


def next_digest(schedule: Schedule, now: datetime) -> datetime:
    """The next run moment of the daily schedule after `now`: when the next digest goes."""
    return schedule.next_run(schedule.run_moment_at_or_before(now))


def told_at_once(event: Event, schedule: Schedule, now: datetime) -> bool:
    """Is a sign-up made `now` for this event told in a notice of its own? (Its event starts
    before the next digest.) Otherwise it waits for that digest."""
    return event.starts_at < next_digest(schedule, now)


@dataclass
class EventSignups:
    """One event's sign-ups with access needs in a digest: when each was made."""

    event: Event
    signed_up_at: list[datetime] = field(default_factory=list)


def digest_subject(total: int) -> str:
    return SUBJECT_ONE if total == 1 else SUBJECT_MANY.format(n=f"{total:,}")


def _plural(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


def _event_section(group: EventSignups, schedule: Schedule) -> list[str]:
    event = group.event
    lines = [
        f"“{event.title}”, {start_in_words(event)}",
        f"  {_plural(len(group.signed_up_at), 'new sign-up', 'new sign-ups')} with access needs. "
        f"See list_registrations for {event.id}.",
    ]
    times = sorted(group.signed_up_at)
    for moment in times[:TIMES_LISTED_PER_EVENT]:
        local = moment.astimezone(schedule.zone)
        when = f"{date_in_words(local)} at {time_in_words(local)} {zone_in_words(str(schedule.zone), local)}"
        lines.append(f"  - signed up {when}")
    if len(times) > TIMES_LISTED_PER_EVENT:
        lines.append(f"  - and {len(times) - TIMES_LISTED_PER_EVENT:,} more")
    return lines


def digest_message(groups: Sequence[EventSignups], schedule: Schedule) -> str:
    """The digest's text: a summary line, then each event (soonest first) with its sign-ups."""
    total = sum(len(g.signed_up_at) for g in groups)
    lines = [
        f"Since the last digest, {_plural(total, 'sign-up', 'sign-ups')} for "
        f"{_plural(len(groups), 'event', 'events')} came with access needs. Their names, needs "
        "and how to reach them are not in this email: run list_registrations in AdminFunction "
        "with each event's id to read them.",
    ]
    size = len(lines[0].encode()) + 1
    ordered = sorted(groups, key=lambda g: (g.event.starts_at, g.event.id))
    for listed, group in enumerate(ordered):
        section = ["", *_event_section(group, schedule)]
        section_size = sum(len(line.encode()) + 1 for line in section)
        if listed and size + section_size > MESSAGE_BUDGET_BYTES:
            rest = ordered[listed:]
            signups = sum(len(g.signed_up_at) for g in rest)
            lines += [
                "",
                f"And {_plural(len(rest), 'more event', 'more events')} with "
                f"{_plural(signups, 'sign-up', 'sign-ups')} with access needs, too many for one "
                "email: run list_events, then list_registrations for each of them.",
            ]
            break
        lines += section
        size += section_size
    return "\n".join(lines) + "\n"
