"""Sign-up rate limits and the morning send's heartbeat: small counters with an expiry.

  rate limit  `RATE#<scope>#<key>` / `<window start>`   hits, expires_at (two windows later)
  heartbeat   `DISPATCH` / `RUN#<local date>`            completed_at, expires_at
The address scope's key is the person id; the IP scope's is a keyed hash of the address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.stores.table import Table, Write, epoch, iso, parse_iso


@dataclass(frozen=True)
class RateLimit:
    """At most `limit` hits per `window` for `key` in `scope` ("address" or "ip")."""

    scope: str
    key: str
    window_start: datetime
    limit: int
    window: timedelta


def rate_limit_write(limit: RateLimit) -> Write:
    """One more hit in the window, only while under the limit (part of a sign-up's transaction)."""
    return Write(
        label=f"rate:{limit.scope}",
        key=(f"RATE#{limit.scope}#{limit.key}", iso(limit.window_start) or ""),
        update="ADD #hits :one SET expires_at = :expires",
        condition="attribute_not_exists(#hits) OR #hits < :limit",
        names={"#hits": "hits"},
        values={":one": 1, ":limit": limit.limit, ":expires": epoch(limit.window_start + limit.window * 2)},
    )


class RateLimitStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def address_windows(self, person_id: str) -> list[str]:
        """The windows of the per-address sign-up limit still held for a person."""
        return [str(item["SK"]) for item in self.table.query(f"RATE#address#{person_id}", keys_only=True)]

    def forget_address(self, person_id: str, windows: list[str]) -> None:
        for window in windows:
            self.table.delete((f"RATE#address#{person_id}", window))


class HeartbeatStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def record(self, local_date: str, now: datetime, expires_at: datetime) -> None:
        self.table.write(
            Write(
                label="heartbeat",
                key=("DISPATCH", f"RUN#{local_date}"),
                update="SET completed_at = :now, expires_at = :expires",
                values={":now": iso(now), ":expires": epoch(expires_at)},
            )
        )

    def completed_at(self, local_date: str) -> datetime | None:
        item = self.table.get(("DISPATCH", f"RUN#{local_date}"))
        return parse_iso(item.get("completed_at")) if item else None
