"""The collaborators a function needs, built once per container from the settings.

Entry points take them from here; logic takes them as arguments. `reset()` forgets them all,
for tests and the local stack, which change the environment between runs.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache

from shared import aws
from shared.config import get_settings, reset_settings
from shared.domain import tokens
from shared.domain.links import Links
from shared.domain.schedule import Schedule
from shared.mail.mailer import Mailer
from shared.mail.ses_account import max_send_rate
from shared.stores.repository import Repository
from shared.workflows.morning_send import Dispatcher, LinkSender, Pacer

# As long as SenderFunction's timeout: a batch not finished by then was lost with its instance.
SENDER_LEASE = timedelta(seconds=120)


@cache
def repository() -> Repository:
    return Repository(get_settings().table_name)


@cache
def links() -> Links:
    return Links(get_settings().public_base_url, tokens.keys())


@cache
def mailer() -> Mailer:
    return Mailer(get_settings(), repository(), links())


@cache
def schedule() -> Schedule:
    settings = get_settings()
    return Schedule.of(settings.dispatch_time, settings.dispatch_timezone)


@cache
def dispatcher() -> Dispatcher:
    return Dispatcher(repository(), schedule(), get_settings().outbound_queue_url, aws.client("sqs"))


@cache
def link_sender() -> LinkSender:
    """Paced at SES's maximum rate divided by the sender's maximum concurrency."""
    settings = get_settings()
    rate = max_send_rate(aws.client("sesv2"), settings.ses_max_send_rate) / settings.sender_max_concurrency
    return LinkSender(repository(), mailer(), schedule(), Pacer(rate), lease=SENDER_LEASE)


def reset() -> None:
    for cached in (repository, links, mailer, schedule, dispatcher, link_sender):
        cached.cache_clear()
    reset_settings()
    aws.reset_clients()
    tokens.reset_keys()
