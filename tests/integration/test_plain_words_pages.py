"""Every page the API serves as HTML, in each of its states, and the website_snippet form, read at
Flesch-Kincaid grade 6 or below and Flesch reading ease 70 or above (issue 11): measured on the
page's visible text as the handler answers it, with what is not our own words taken out
(infra/testkit/reading.py: web addresses, the series name, the events' titles, descriptions and
times in words, the person's name)."""

from __future__ import annotations

import pytest

from infra.testkit.reading import MAX_GRADE, MIN_EASE, read_page
from shared import services
from shared.domain.timefmt import date_in_words, when_in_words
from shared.mail.messages import SERIES
from tests.integration.page_states import NAME, every_page


def not_ours(event_ids: list[str]) -> list[str]:
    values = [SERIES, NAME, "Grace Hopper", "7:00am", "UK time (GMT)"]
    for event in services.get().stores.events.get_many(event_ids).values():
        values += [event.title, event.description, when_in_words(event), date_in_words(event.local_start)]
    return values


def test_our_words_on_every_page_are_plain(aws, monkeypatch):
    pages, event_ids = every_page(monkeypatch)
    remove = not_ours(event_ids)

    readings = {name: read_page(html, remove) for name, html in pages.items()}

    for name, reading in readings.items():
        print(f"READING page | {name} | {reading.grade:.1f} | {reading.ease:.1f}")
    failing = [
        f"{name}: {reading.figures()}\n{reading.text}"
        for name, reading in readings.items()
        if not (reading.grade <= MAX_GRADE and reading.ease >= MIN_EASE)
    ]
    assert not failing, f"want grade <= {MAX_GRADE}, ease >= {MIN_EASE}:\n\n" + "\n\n".join(failing)
    assert all(SERIES not in reading.text and "https://" not in reading.text for reading in readings.values())


@pytest.mark.parametrize("tag", ["style", "title"])
def test_what_no_one_sees_is_not_measured(tag):
    hidden = f"<{tag}>Extraordinarily incomprehensible</{tag}>"
    html = f"<html><head>{hidden}</head><body><p>Hi there.</p><p hidden>Unknowable.</p></body></html>"
    assert read_page(html, []).text == "Hi there."
