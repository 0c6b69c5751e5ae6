"""The admins' digest of sign-ups with access needs: its lock, and the mark on each registration.

  lock      `DISPATCH` / `NOTICEDIGEST#LOCK`: `held_until`, `holder` (one item, reused each run)
  the mark  `admin_notice_due` on a registration (`EVENT#<event_id>` / `REG#<person_id>`): when
            the sign-up was made; written with the registration by the sign-up's transaction.

The lock is taken with a conditional write, so of two runs at once only one sends a digest; a
run that dies holding it loses it when `held_until` passes. A mark is cleared with a condition on
its own value, so a sign-up made again since (a cancelled place brought back) keeps its new mark,
and a registration erased meanwhile is not written back.
"""

from __future__ import annotations

from datetime import datetime

from shared.stores.registrations import registration_key
from shared.stores.table import Table, Write, iso

LOCK_KEY = ("DISPATCH", "NOTICEDIGEST#LOCK")


class NoticeDigestStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def lock(self, holder: str, now: datetime, until: datetime) -> bool:
        """Take the digest's lock until `until`; False while another run holds it."""
        return bool(
            self.table.write(
                Write(
                    label="digest-lock",
                    key=LOCK_KEY,
                    update="SET held_until = :until, holder = :holder",
                    condition="attribute_not_exists(held_until) OR held_until <= :now",
                    values={":until": iso(until), ":holder": holder, ":now": iso(now)},
                )
            )
        )

    def unlock(self, holder: str, now: datetime) -> None:
        """Give the lock back (if this holder still has it), so that a retry need not wait."""
        self.table.write(
            Write(
                label="digest-lock",
                key=LOCK_KEY,
                update="SET held_until = :now",
                condition="holder = :holder",
                values={":holder": holder, ":now": iso(now)},
            )
        )

    def clear(self, event_id: str, person_id: str, due: datetime) -> bool:
        """The sign-up marked `due` has been told (or needs no telling): remove its mark, only if
        it is still that one. False if it changed or the registration is gone."""
        return bool(
            self.table.write(
                Write(
                    label="registration",
                    key=registration_key(event_id, person_id),
                    update="REMOVE admin_notice_due",
                    condition="admin_notice_due = :due",
                    values={":due": iso(due)},
                )
            )
        )
