"""The composition root: every collaborator a function needs, built here and only here, once per
container, lazily, from the settings.

Entry points take what they need from `get()`; workflows take their collaborators as arguments.
Tests swap an AWS client for a faulty or counting one with `override(ses=..., dynamodb=...)`:
everything built afterwards uses it. `reset()` forgets everything (tests and the local stack
change the environment between runs).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from shared import aws, clock
from shared.config import Settings, get_settings, reset_settings
from shared.domain import tokens
from shared.domain.links import Links

if TYPE_CHECKING:  # imported where built: each function imports only what it uses (cold start)
    from shared.domain.schedule import Schedule
    from shared.mail.mailer import Mailer
    from shared.mail.outbox import Outbox
    from shared.mail.transport import SesTransport
    from shared.stores import Stores
    from shared.stores.join_codes import JoinCodeStore
    from shared.stores.text_claims import TextClaimStore
    from shared.workflows.admin_events import EventAdmin
    from shared.workflows.bulletin_sending import BulletinSender
    from shared.workflows.bulletins import Bulletins
    from shared.workflows.exports import Exports, ExportStore
    from shared.workflows.morning_send import Dispatcher, JoinLinkSender
    from shared.workflows.notice_digest import NoticeDigest
    from shared.workflows.notice_sending import NoticeSender
    from shared.workflows.notices import Notices
    from shared.workflows.notify_admins import AdminNotices
    from shared.workflows.previews import Previews
    from shared.workflows.privacy import Privacy
    from shared.workflows.registrations import Registrations
    from shared.workflows.sending import BatchRunner
    from shared.workflows.signup import Signups
    from shared.workflows.texting import LateTexts, MorningTexts

# As long as SenderFunction's timeout: a batch not finished by then was lost with its instance.
SENDER_LEASE = timedelta(seconds=120)

# The AWS clients, by the names `override` takes. `ses_send` makes one attempt: a refused or
# throttled send is queued (and the queue retries it), rather than a person waiting on the
# sign-up while SES backs off.
CLIENTS: dict[str, Callable[[], Any]] = {
    "dynamodb": lambda: aws.client("dynamodb"),
    "sqs": lambda: aws.client("sqs"),
    "ses": lambda: aws.client("sesv2"),
    "ses_send": lambda: aws.client("sesv2", attempts=1),
    "sns": lambda: aws.client("sns", attempts=1),
    "secretsmanager": lambda: aws.client("secretsmanager"),
    "s3": lambda: aws.s3_client(),
}


class Services:
    def __init__(
        self,
        settings: Settings,
        clients: dict[str, Any] | None = None,
        *,
        now: Callable[[], datetime] = clock.now,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self._clients = dict(clients or {})
        self.now = now
        self.sleep = sleep

    def client(self, name: str) -> Any:
        if name not in self._clients:
            self._clients[name] = CLIENTS[name]()
        return self._clients[name]

    # --- domain values ----------------------------------------------------------------------------

    def _secret(self, arn: str) -> str:
        return str(self.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"])

    @cached_property
    def _person_secret(self) -> str:
        return self._secret(self.settings.token_secret_arn)

    @cached_property
    def keys(self) -> tokens.Keys:
        """The person-id key (TokenSecret) and the signing keys (SigningKeysSecret), each read
        from Secrets Manager when first needed, once per container (the signing keys again when a
        token names a key added since)."""
        settings = self.settings
        return tokens.Keys(
            lambda: tokens.person_key(self._person_secret),
            lambda: tokens.SigningKeys.from_secret(
                self._secret(settings.signing_keys_secret_arn),
                lambda: tokens.first_signing_key(self._person_secret),
            ),
        )

    def person_id_for(self, address: str) -> str:
        return tokens.person_id_for(address, self.keys)

    @cached_property
    def links(self) -> Links:
        settings = self.settings
        return Links(
            settings.public_base_url,
            self.keys,
            texts_on=settings.sms_enabled,
            reply_stop=bool(settings.sms_origination_number),
        )

    @cached_property
    def schedule(self) -> Schedule:
        from shared.domain.schedule import Schedule

        return Schedule.of(self.settings.dispatch_time, self.settings.dispatch_timezone)

    # --- stores ---------------------------------------------------------------------------------

    @cached_property
    def stores(self) -> Stores:
        from shared.stores import Stores
        from shared.stores.table import Table

        return Stores(Table(self.settings.table_name, lambda: self.client("dynamodb")))

    @cached_property
    def join_codes(self) -> JoinCodeStore:
        """The short join links' codes: derived with the person-id key (TokenSecret)."""
        from shared.stores.join_codes import JoinCodeStore

        return JoinCodeStore(self.stores.table, lambda: self.keys.person)

    # --- mail -------------------------------------------------------------------------------------

    @cached_property
    def transport(self) -> SesTransport:
        from shared.mail.transport import SesTransport

        return SesTransport(
            lambda: self.client("ses_send"),
            sender_name=self.settings.sender_name,
            sender_address=self.settings.sender_address,
            configuration_set=self.settings.ses_configuration_set,
        )

    @cached_property
    def outbox(self) -> Outbox:
        from shared.mail.outbox import Outbox

        return Outbox(lambda: self.client("sqs"), self.settings.outbound_queue_url)

    @cached_property
    def mailer(self) -> Mailer:
        from shared.mail.mailer import Mailer
        from shared.mail.render import Renderer

        renderer = Renderer(
            sender_name=self.settings.sender_name,
            sender_address=self.settings.sender_address,
            uid_domain=self.links.uid_domain,
        )
        return Mailer(renderer, self.transport, self.outbox, self.links)

    # --- workflows --------------------------------------------------------------------------------

    @cached_property
    def signups(self) -> Signups:
        from shared.workflows.signup import Limits, Retry, Signups

        s, settings = self.stores, self.settings
        limits = Limits(
            enabled=settings.signup_limits,
            per_address_per_hour=settings.signups_per_address_per_hour,
            per_ip_per_hour=settings.signups_per_ip_per_hour,
        )
        return Signups(
            s.events,
            s.registrations,
            s.people,
            self.mailer,
            self.keys,
            self.schedule,
            limits=limits,
            retention=timedelta(days=settings.retention_days),
            retry=Retry(sleep=self.sleep),
            late_texts=self.late_texts if settings.sms_enabled else None,
        )

    @property
    def late_texts(self) -> LateTexts:
        from shared.workflows.texting import LateTexts

        return LateTexts(self.stores.batches, self.outbox, self.schedule)

    @cached_property
    def registrations(self) -> Registrations:
        from shared.workflows.registrations import Registrations

        s = self.stores
        texts = self.late_texts if self.settings.sms_enabled else None
        return Registrations(s.events, s.registrations, s.people, self.mailer, self.schedule, texts)

    @cached_property
    def event_admin(self) -> EventAdmin:
        from shared.workflows.admin_events import EventAdmin

        return EventAdmin(
            self.stores.events,
            self.stores.registrations,
            promote=lambda event_id, now: self.registrations.promote_waiting_list(event_id, now),
        )

    @cached_property
    def notices(self) -> Notices:
        from shared.workflows.notices import Notices

        s = self.stores
        return Notices(s.notices, s.registrations, s.people, s.batches, self.outbox, self.schedule)

    @cached_property
    def previews(self) -> Previews:
        from shared.workflows.previews import Previews

        return Previews(self.stores.events, self.stores.notices, self.mailer, self.schedule)

    @cached_property
    def dispatcher(self) -> Dispatcher:
        from shared.workflows.morning_send import Dispatcher

        s = self.stores
        texts_on = self.settings.sms_enabled
        parts = (s.events, s.registrations, s.people, s.batches, s.heartbeats, self.outbox, self.schedule)
        return Dispatcher(*parts, texts_on=texts_on)

    @cached_property
    def runner(self) -> BatchRunner:
        """Paced at SES's maximum rate divided by the sender's maximum concurrency: the morning
        send, notices and admins' messages share it, so together they stay within SES's rate."""

        from shared.mail.ses_account import max_send_rate
        from shared.workflows.sending import BatchRunner, Pacer

        settings = self.settings
        rate = max_send_rate(self.client("ses"), settings.ses_max_send_rate) / settings.sender_max_concurrency
        pacer = Pacer(rate)  # real pauses: pacing is its job (tests set a high rate instead)
        return BatchRunner(self.stores.batches, self.transport, pacer, lease=SENDER_LEASE, sleep=self.sleep)

    @cached_property
    def join_links(self) -> JoinLinkSender:
        from shared.workflows.morning_send import JoinLinkSender

        s = self.stores
        texts = (lambda: self.morning_texts) if self.settings.sms_enabled else (lambda: None)
        return JoinLinkSender(
            self.runner, s.events, s.registrations, s.people, self.mailer, self.schedule, texts
        )

    @cached_property
    def text_claims(self) -> TextClaimStore:
        """One morning text per number per event: keyed with the person-id key, as person ids are."""
        from shared.stores.text_claims import TextClaimStore

        return TextClaimStore(self.stores.table, lambda: self.keys.person)

    @cached_property
    def morning_texts(self) -> MorningTexts:
        """The morning text (SmsEnabled), paced at SmsMaxSendRate divided by the sender's maximum
        concurrency, as emails are at SES's rate."""
        from shared.sms.transport import SnsTransport
        from shared.workflows.sending import Pacer
        from shared.workflows.texting import MorningTexts, TextSending

        settings, client = self.settings, lambda: self.client("sns")  # one attempt: texting.py retries
        transport = SnsTransport(
            client, sender_id=settings.sms_sender_id, origination_number=settings.sms_origination_number
        )
        pacer = Pacer(settings.sms_max_send_rate / settings.sender_max_concurrency)
        sending = TextSending(transport, pacer, sleep=self.sleep)
        return MorningTexts(sending, self.stores.registrations, self.join_codes, self.text_claims, self.links)

    @cached_property
    def notice_sender(self) -> NoticeSender:
        from shared.workflows.notice_sending import NoticeSender

        s = self.stores
        return NoticeSender(
            self.runner, s.events, s.notices, s.registrations, s.people, self.mailer, self.schedule
        )

    @cached_property
    def bulletins(self) -> Bulletins:
        """Admins' messages and follow-ups: who gets one, queued as batches."""
        from shared.workflows.bulletins import Bulletins

        s = self.stores
        return Bulletins(s.events, s.bulletins, s.registrations, s.people, s.batches, self.outbox)

    @cached_property
    def bulletin_sender(self) -> BulletinSender:
        from shared.workflows.bulletin_sending import BulletinSender

        s = self.stores
        return BulletinSender(self.runner, s.events, s.bulletins, s.registrations, s.people, self.mailer)

    @cached_property
    def admin_notices(self) -> AdminNotices:
        from shared.workflows.notify_admins import AdminNotices

        return AdminNotices(lambda: self.client("sns"), self.settings.admin_notices_topic_arn)

    @cached_property
    def notice_digest(self) -> NoticeDigest:
        from shared.stores.notice_digest import NoticeDigestStore
        from shared.workflows.notice_digest import NoticeDigest

        s = self.stores
        return NoticeDigest(
            s.events, s.registrations, NoticeDigestStore(s.table), self.admin_notices, self.schedule
        )

    @cached_property
    def exports(self) -> ExportStore | None:
        """The export bucket, or None where exports are not set up."""

        from shared.workflows.exports import ExportStore

        bucket = self.settings.export_bucket
        return ExportStore(bucket, self.client("s3")) if bucket else None

    @cached_property
    def registration_exports(self) -> Exports:
        from shared.workflows.exports import Exports

        return Exports(self.stores.events, self.stores.registrations, self.stores.people, self.exports)

    @cached_property
    def privacy(self) -> Privacy:
        from shared.mail.ses_account import SesSuppressionList
        from shared.workflows.privacy import Privacy

        s = self.stores
        return Privacy(
            s.events,
            s.registrations,
            s.people,
            s.batches,
            s.rate_limits,
            self.registrations,
            self.exports,
            SesSuppressionList(self.client("ses")),
            self.person_id_for,
            join_codes=self.join_codes,
            text_claims=self.text_claims,
        )


_current: Services | None = None
_overrides: dict[str, Any] = {}
_sleep: Callable[[float], None] = time.sleep


def get() -> Services:
    global _current
    if _current is None:
        _current = Services(get_settings(), _overrides, sleep=_sleep)
    return _current


def override(sleep: Callable[[float], None] | None = None, **clients: Any) -> Services:
    """From now on (until `reset()`), use these AWS clients in place of the real ones, by the names
    of CLIENTS, and `sleep` in place of real pauses; everything is built again on them.
    `override()` with none goes back to the real ones."""
    global _current, _sleep
    unknown = set(clients) - set(CLIENTS)
    if unknown:
        raise ValueError(f"no such client: {', '.join(sorted(unknown))}")
    _overrides.clear()
    _overrides.update(clients)
    _sleep = sleep or time.sleep
    _current = None
    return get()


def reset() -> None:
    global _current, _sleep
    _current = None
    _sleep = time.sleep
    _overrides.clear()
    reset_settings()
    aws.reset_clients()
