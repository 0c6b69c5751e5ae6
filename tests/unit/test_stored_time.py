"""The one stored form of a moment: four-digit years, UTC, `Z`; anything else cannot be read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from shared.domain.stored_time import UnreadableTime, from_stored, to_stored


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2026, 12, 9, 14, 0, tzinfo=UTC), "2026-12-09T14:00:00Z"),
        (datetime(999, 12, 9, 14, 0, 5, tzinfo=UTC), "0999-12-09T14:00:05Z"),  # strftime gave "999"
        (datetime(1, 1, 1, tzinfo=UTC), "0001-01-01T00:00:00Z"),
        (datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), "9999-12-31T23:59:59Z"),
        (datetime(2026, 6, 9, 15, 0, tzinfo=timezone(timedelta(hours=1))), "2026-06-09T14:00:00Z"),
    ],
)
def test_every_moment_is_stored_in_one_form_and_read_back(moment: datetime, text: str) -> None:
    assert to_stored(moment) == text
    assert from_stored(text) == moment.replace(microsecond=0)
    assert from_stored(text).tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    [
        "999-12-09T14:00:00Z",
        "10000-01-01T00:00:00Z",
        "2026-12-09T14:00:00+00:00",
        "2026-12-09T14:00:00.5Z",
        "2026-12-09 14:00:00Z",
        "2026-02-30T14:00:00Z",
        "2026-12-09T24:00:00Z",
        "next tuesday",
        "",
        "\uff12\uff10\uff12\uff16-12-09T14:00:00Z",  # full-width digits: \\d would take them
        1796054144,
        None,
    ],
)
def test_anything_else_cannot_be_read(text: object) -> None:
    with pytest.raises(UnreadableTime):
        from_stored(text)


def test_a_naive_moment_is_never_stored() -> None:
    with pytest.raises(ValueError):
        to_stored(datetime(2026, 12, 9, 14, 0))
