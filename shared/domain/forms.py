"""The public forms as models, each field's rule as CONTRACT.md gives it: the sign-up form
(`POST /signups`, JSON or a web form) and the profile form (`POST /manage/profile`). Only those
routes read them, so they are imported there (cold start: a container serving the morning's join
links never builds them)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, Field, field_validator

from shared.domain.models import Role, check_address, has_control_characters

MAX_EVENTS = 20


def _merge_repeats(value: object) -> object:
    """A form repeats `event_ids`; JSON may send a list or one comma-separated string.

    Stops at one past MAX_EVENTS distinct ids (enough for the "too many" error), so that a 16 KiB
    body of thousands of ids costs no more than a sign-up (it took 90 ms of comparisons)."""
    if isinstance(value, str):
        value = value.split(",")
    if isinstance(value, list):
        seen: list[object] = []
        for item in value:
            item = item.strip() if isinstance(item, str) else item
            if item not in seen and item != "":
                seen.append(item)
                if len(seen) > MAX_EVENTS:
                    break
        return seen
    return value


def _blank_to_none(value: object) -> object:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _truthy_checkbox(value: object) -> object:
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in {"on", "true", "yes", "1"}:
            return True
        if lowered in {"", "off", "false", "no", "0"}:
            return False
    return value


Checkbox = Annotated[bool, BeforeValidator(_truthy_checkbox)]
EventId = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]


class SignupRequest(BaseModel):
    """The body of `POST /signups`, JSON or form. See CONTRACT.md for each rule."""

    # Built on first use: only a sign-up reads one.
    model_config = {"extra": "ignore", "str_strip_whitespace": True, "defer_build": True}

    name: str = Field(min_length=1, max_length=100, description="1-100 characters, no control characters")
    email: str = Field(max_length=254, description="A syntactically valid address; no DNS look-up")
    role: Role
    organisation: Annotated[str | None, BeforeValidator(_blank_to_none)] = Field(default=None, max_length=200)
    access_needs: Annotated[str | None, BeforeValidator(_blank_to_none)] = Field(
        default=None, max_length=1000
    )
    access_needs_consent: Checkbox = False
    event_ids: Annotated[list[EventId], BeforeValidator(_merge_repeats)] = Field(
        min_length=1, max_length=MAX_EVENTS
    )
    consent: Checkbox
    website: str | None = Field(default=None, description="Leave empty (a trap for robots)")

    @field_validator("name")
    @classmethod
    def _printable_name(cls, value: str) -> str:
        if has_control_characters(value):
            raise ValueError("must not contain control characters")
        return value

    @field_validator("organisation", "access_needs")
    @classmethod
    def _printable_text(cls, value: str | None) -> str | None:
        # Line breaks are welcome in free text; other control characters are not.
        if value is not None and has_control_characters(
            value.replace("\n", "").replace("\r", "").replace("\t", "")
        ):
            raise ValueError("must not contain control characters")
        return value

    @field_validator("email")
    @classmethod
    def _valid_address(cls, value: str) -> str:
        return check_address(value)

    @field_validator("consent")
    @classmethod
    def _consent_given(cls, value: bool) -> bool:
        if value is not True:
            raise ValueError("you need to agree to the privacy notice to sign up")
        return value


class ProfileForm(BaseModel):
    """`POST /manage/profile`: a person's own change of their name, role and organisation (the only
    way they change). The token is their manage link's."""

    model_config = {"extra": "ignore", "str_strip_whitespace": True, "defer_build": True}

    token: str = Field(min_length=1, max_length=1000)
    name: str = Field(min_length=1, max_length=100, description="1-100 characters, no control characters")
    role: Role
    organisation: Annotated[str | None, BeforeValidator(_blank_to_none)] = Field(default=None, max_length=200)

    @field_validator("name", "organisation")
    @classmethod
    def _one_printable_line(cls, value: str | None) -> str | None:
        if value is not None and has_control_characters(value):
            raise ValueError("must not contain control characters")
        return value
