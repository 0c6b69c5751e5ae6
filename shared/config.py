"""Configuration: every environment variable the functions read, as one pydantic model.

Read once, lazily, on first use (never at import time), so tests and the local stack set the
environment before the first call rather than before import. `reset_settings()` drops the cache.
"""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, Field, field_validator


class Settings(BaseModel):
    """What template.yaml passes to every function (see its Globals) and `make run` sets locally."""

    table_name: str = Field(alias="TABLE_NAME")
    outbound_queue_url: str = Field(default="", alias="OUTBOUND_QUEUE_URL")
    # The person-id key (never rotated) and the signing keys (rotated): shared/domain/tokens.py.
    token_secret_arn: str = Field(alias="TOKEN_SECRET_ARN")
    signing_keys_secret_arn: str = Field(alias="SIGNING_KEYS_SECRET_ARN")
    # Empty (the template's PublicBaseUrl left empty, no custom domain): ApiFunction uses the API's
    # own URL as each request shows it (observe_base_url); the other functions are always given one.
    public_base_url: str = Field(default="", alias="PUBLIC_BASE_URL")
    sender_address: str = Field(default="events@example.org", alias="SENDER_ADDRESS")
    sender_name: str = Field(default="Conversations on Co-production", alias="SENDER_NAME")
    ses_configuration_set: str = Field(default="", alias="SES_CONFIGURATION_SET")
    signup_redirect_url: str = Field(default="", alias="SIGNUP_REDIRECT_URL")
    privacy_notice_url: str = Field(default="", alias="PRIVACY_NOTICE_URL")
    signup_limits: bool = Field(default=True, alias="SIGNUP_LIMITS")
    signups_per_address_per_hour: int = Field(default=10, alias="SIGNUPS_PER_ADDRESS_PER_HOUR", ge=1)
    signups_per_ip_per_hour: int = Field(default=60, alias="SIGNUPS_PER_IP_PER_HOUR", ge=1)
    retention_days: int = Field(default=365, alias="RETENTION_DAYS", ge=1)
    dispatch_time: str = Field(default="07:00", alias="DISPATCH_TIME", pattern=r"^\d{2}:\d{2}$")
    dispatch_timezone: str = Field(default="Europe/London", alias="DISPATCH_TIMEZONE")
    # SenderFunction's queue MaximumConcurrency: each instance sends at SES's rate divided by it.
    sender_max_concurrency: int = Field(default=2, alias="SENDER_MAX_CONCURRENCY", ge=1)
    # Used when SES's own GetAccount cannot be asked (the local stack's moto lacks it).
    ses_max_send_rate: float = Field(default=1.0, alias="SES_MAX_SEND_RATE", gt=0)
    # The private bucket AdminFunction writes registration exports to (empty: exports are off).
    export_bucket: str = Field(default="", alias="EXPORT_BUCKET")
    # ApiFunction's SNS topic for notices to the admins (empty: none are sent).
    admin_notices_topic_arn: str = Field(default="", alias="ADMIN_NOTICES_TOPIC_ARN")
    # Hosts a join link may lead to besides zoom.us and zoomgov.com (the JoinUrlHosts parameter).
    join_url_hosts: str = Field(default="", alias="JOIN_URL_HOSTS")
    # Origins that may call the JSON API (CORS, set on the HTTP API) and show /signup in an iframe.
    allowed_origins: str = Field(default="", alias="ALLOWED_ORIGINS")
    # Text messages (the Sms* parameters): off unless SMS_ENABLED says true.
    sms_enabled: bool = Field(default=False, alias="SMS_ENABLED")
    # Two-letter regions whose mobile numbers may be given (shared/domain/phones.py).
    sms_countries: str = Field(default="GB", alias="SMS_COUNTRIES")
    sms_sender_id: str = Field(default="CoProduce", alias="SMS_SENDER_ID")
    # A two-way number texts come from instead of the sender ID (then people may reply STOP).
    sms_origination_number: str = Field(default="", alias="SMS_ORIGINATION_NUMBER")
    # Texts per second across every SenderFunction instance (each takes its share).
    sms_max_send_rate: float = Field(default=10.0, alias="SMS_MAX_SEND_RATE", gt=0)

    model_config = {"populate_by_name": True, "extra": "ignore"}

    @field_validator("sms_enabled", mode="before")
    @classmethod
    def _on_only_when_said(cls, value: object) -> object:
        if isinstance(value, str):  # texts cost money: only a clear yes turns them on
            return value.strip().lower() in {"on", "true", "1", "yes"}
        return value

    @field_validator("signup_limits", mode="before")
    @classmethod
    def _on_off(cls, value: object) -> object:
        if isinstance(value, str):
            return value.strip().lower() not in {"off", "false", "0", "no"}
        return value

    @field_validator("public_base_url", "signup_redirect_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.model_validate(dict(os.environ))


def reset_settings() -> None:
    get_settings.cache_clear()


def observe_base_url(request_context: dict[str, object]) -> None:
    """Links are built from PUBLIC_BASE_URL, else from the API's own URL as API Gateway reports it.

    Read from requestContext (domainName and stage, set by API Gateway, never by the caller's Host
    header), so ApiFunction needs no template reference to its own API, which would be circular.
    """
    settings = get_settings()
    domain = request_context.get("domainName")
    if settings.public_base_url or not isinstance(domain, str) or not domain:
        return
    stage = request_context.get("stage")
    path = f"/{stage}" if isinstance(stage, str) and stage not in ("", "$default") else ""
    settings.public_base_url = f"https://{domain}{path}"


def sms_regions() -> tuple[str, ...]:
    """The regions (GB, IE, ...) whose mobile numbers may be given; none while texts are off."""
    settings = get_settings()
    if not settings.sms_enabled:
        return ()
    return tuple(code.strip().upper() for code in settings.sms_countries.split(",") if code.strip())


def join_hosts() -> tuple[str, ...]:
    """The hosts (and their subdomains) an event's join link may lead to."""
    from shared.domain.join_urls import allowed_hosts  # only admin actions and /join need it

    return allowed_hosts(get_settings().join_url_hosts)
