"""Which join links an event may send people to: `https` on the meeting service only.

By default `zoom.us`, `zoomgov.com` and their subdomains; the deployment's `JoinUrlHosts`
parameter (the `JOIN_URL_HOSTS` environment variable) adds hosts for another service. The rule is
applied when an admin sets `zoom_join_url` and again every time `/join` is about to redirect, so a
value stored by older code or by hand is never followed.

The host is compared after lowering its case and converting it to its IDNA (ASCII) form, as a
browser would, so look-alike spellings of an allowed host land on that host or are refused. A
user-info part (`https://zoom.us@evil.example/`), a port, a backslash (which browsers read as a
slash), whitespace, control characters, and any other character outside printable ASCII in the
rest of the link are refused outright: there is no legitimate meeting link that needs them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

DEFAULT_HOSTS = ("zoom.us", "zoomgov.com")
_ASCII_HOST = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+")
_PRINTABLE_ASCII = re.compile(r"[\x21-\x7e]*")


class JoinUrlRefused(ValueError):
    """A join URL that does not lead only to an allowed meeting host."""


def allowed_hosts(extra: str) -> tuple[str, ...]:
    """The default hosts plus the comma-separated `extra` ones (the JoinUrlHosts parameter)."""
    added = (h.strip().lower() for h in extra.split(","))
    return tuple(dict.fromkeys([*DEFAULT_HOSTS, *(h for h in added if h)]))


def describe(hosts: Iterable[str]) -> str:
    names = list(hosts)
    listed = ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]
    return (
        f"must be an https:// link on {listed} (or a subdomain), like https://zoom.us/j/123456789, "
        "with no user name, password, port, spaces or backslashes"
    )


def _ascii_host(host: str) -> str | None:
    """The host in IDNA (ASCII) form, as a browser would look it up; None if it has none."""
    # Imported here: only the admin's event actions and /join need it (the API's cold start).
    import idna

    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        return None


def check_join_url(url: str, hosts: Iterable[str]) -> str:
    """The link, with its scheme and host in their canonical (lower-case, ASCII) form, if it leads
    to an allowed host; else `JoinUrlRefused` saying what the rule is."""
    allowed = tuple(hosts)
    refused = JoinUrlRefused(describe(allowed))
    if not url.lower().startswith("https://") or "\\" in url or "@" in url.split("?", 1)[0].split("#", 1)[0]:
        raise refused
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        raise refused
    try:
        netloc = urlsplit(url).netloc
    except ValueError:  # an unbalanced [ ] (IPv6 literal)
        raise refused from None
    if not netloc or any(ch in netloc for ch in "@:[]%") or netloc.endswith("."):
        raise refused
    host = _ascii_host(netloc.lower())
    if host is None or not _ASCII_HOST.fullmatch(host):
        raise refused
    if not any(host == h or host.endswith("." + h) for h in allowed):
        raise refused
    rest = url[len("https://") + len(netloc) :]
    if not _PRINTABLE_ASCII.fullmatch(rest) or (rest and rest[0] not in "/?#"):
        raise refused
    return f"https://{host}{rest}"
