"""The collaborators a function needs, built once per container from the settings.

Entry points take them from here; logic takes them as arguments. `reset()` forgets them all,
for tests and the local stack, which change the environment between runs.
"""

from __future__ import annotations

from functools import cache

from shared import aws, tokens
from shared.config import get_settings, reset_settings
from shared.links import Links
from shared.mailer import Mailer
from shared.repository import Repository


@cache
def repository() -> Repository:
    return Repository(get_settings().table_name)


@cache
def links() -> Links:
    return Links(get_settings().public_base_url, tokens.keys())


@cache
def mailer() -> Mailer:
    return Mailer(get_settings(), repository(), links())


def reset() -> None:
    for cached in (repository, links, mailer):
        cached.cache_clear()
    reset_settings()
    aws.reset_clients()
    tokens.reset_keys()
