"""What issue 9's new actions must withstand, found by attacking them as a hostile user and as a
tired volunteer admin would: invisible characters pasted from a word processor or a web page."""

from __future__ import annotations

import pytest

from infra.testkit.api import invoke_admin
from tests.integration.helpers import ZOOM, create_event


def create(title: str, starts_at: str = "2026-12-09T18:00:00") -> dict:
    return invoke_admin(
        {
            "action": "create_event",
            "title": title,
            "description": "d",
            "starts_at": starts_at,
            "timezone": "Europe/London",
            **ZOOM,
        }
    )


@pytest.mark.parametrize(
    "invisible",
    [
        "Digital \u200bWorld",  # a zero-width space after the space
        "Digi\u00adtal World",  # soft hyphen (Word inserts them)
        "Digital\u2060 World",  # word joiner
        "\ufeffDigital World",  # byte-order mark pasted at the start
        "\u202aDigital World\u202c",  # left-to-right embedding
        "Digital\u200d World",  # zero-width joiner
    ],
)
def test_an_invisible_character_does_not_make_a_title_another(aws, invisible):
    create_event("Digital World", "2026-12-09T14:00:00")
    answer = create(invisible)
    assert not answer["ok"], answer
    assert answer["error"]["code"] == "duplicate_event"
