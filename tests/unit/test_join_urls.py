"""Join links lead only to the meeting service (issue 8, point 8): a table of hostile links."""

from __future__ import annotations

import pytest

from shared.domain.join_urls import DEFAULT_HOSTS, JoinUrlRefused, allowed_hosts, check_join_url

HOSTILE = [
    "https://evil.example/phish",
    "https://zoom.us@evil.example/",  # user-info: the browser goes to evil.example
    "https://zoom.us:pwd@evil.example/j/1",
    "https://evil.example\\@zoom.us/j/1",  # a backslash is a slash to a browser
    "https://evil.example%2f@zoom.us/j/1",
    "https://evil.example#@zoom.us",
    "https://evil.example?@zoom.us",
    "https://zoom.us.evil.example/j/1",
    "https://evilzoom.us/j/1",
    "https://zoom.usa.example/j/1",
    "https://zoom.us:8443/j/1",  # port tricks
    "https://zoom.us:443/j/1",
    "https://zoom.us:/j/1",
    "https://zoom.us./j/1",
    "https://zoom.us%00.evil.example/j/1",
    "https://zoom%2eus/j/1",
    "https://[::1]/j/1",
    "https://[zoom.us/j/1",
    "https://127.0.0.1/j/1",
    "https://2130706433/j/1",
    "http://zoom.us/j/1",  # not https
    "javascript:alert(1)//https://zoom.us",
    "//zoom.us/j/1",
    "https:/zoom.us/j/1",
    "https:zoom.us/j/1",
    "https:///zoom.us/j/1",
    "https://zoom.us /j/1",  # whitespace
    "https://zoom.us/j/1 https://evil.example",
    "https://zoom.us/j/1\r\nLocation: https://evil.example",
    "https://zoom.us/j/1\t",
    "https://zoom.us\u200b/j/1",  # zero-width space
    "https://z\u043e\u043em.us/j/1",  # Cyrillic o's: another host in IDNA form
    "https://zoom.us/j/ü",  # non-ASCII after the host
    "https://xn--zoom-.us/j/1",
    "https://-zoom.us/j/1",
    "https://.zoom.us/j/1",
    "https://zoom..us/j/1",
    "",
]

ACCEPTED = {
    "https://zoom.us/j/98765432100?pwd=SeCrEtPwD": "https://zoom.us/j/98765432100?pwd=SeCrEtPwD",
    "https://us02web.zoom.us/j/123": "https://us02web.zoom.us/j/123",
    "https://charity.zoom.us/my/room": "https://charity.zoom.us/my/room",
    "https://zoomgov.com/j/1": "https://zoomgov.com/j/1",
    "https://agency.zoomgov.com/j/1#success": "https://agency.zoomgov.com/j/1#success",
    "HTTPS://ZOOM.US/j/1": "https://zoom.us/j/1",  # compared (and kept) in lower case
    "https://\uff5a\uff4f\uff4f\uff4d.us/j/1": "https://zoom.us/j/1",  # full-width: IDNA maps to zoom.us
    "https://zoom\u3002us/j/1": "https://zoom.us/j/1",  # an ideographic full stop is a dot in IDNA
    "https://zoom.us": "https://zoom.us",
    "https://zoom.us?x=a@b": "https://zoom.us?x=a@b",  # an @ in the query is no user-info
}


@pytest.mark.parametrize("url", HOSTILE)
def test_a_hostile_link_is_refused_with_the_rule_in_words(url: str) -> None:
    with pytest.raises(JoinUrlRefused) as refused:
        check_join_url(url, DEFAULT_HOSTS)
    assert str(refused.value).startswith("must be an https:// link on zoom.us or zoomgov.com")


@pytest.mark.parametrize(("url", "canonical"), sorted(ACCEPTED.items()))
def test_a_meeting_link_is_accepted_in_its_canonical_form(url: str, canonical: str) -> None:
    assert check_join_url(url, DEFAULT_HOSTS) == canonical


def test_join_url_hosts_adds_hosts_and_their_subdomains_and_keeps_zoom() -> None:
    hosts = allowed_hosts(" meet.example.org,Teams.Microsoft.com ,")

    assert hosts == ("zoom.us", "zoomgov.com", "meet.example.org", "teams.microsoft.com")
    assert check_join_url("https://meet.example.org/room", hosts) == "https://meet.example.org/room"
    assert check_join_url("https://eu.meet.example.org/room", hosts) == "https://eu.meet.example.org/room"
    assert check_join_url("https://zoom.us/j/1", hosts) == "https://zoom.us/j/1"
    with pytest.raises(JoinUrlRefused) as refused:
        check_join_url("https://example.org/room", hosts)
    assert "zoom.us, zoomgov.com, meet.example.org or teams.microsoft.com" in str(refused.value)
