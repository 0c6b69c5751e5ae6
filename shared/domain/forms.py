"""The public forms as models, each field's rule as CONTRACT.md gives it: the sign-up form
(`POST /signups`, JSON or a web form) and the profile form (`POST /manage/profile`). Only those
routes read them, so they are imported there (cold start: a container serving the morning's join
links never builds them)."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

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
# What a person types as their mobile number: checked (shared/domain/phones.py) only when texts
# are on and they asked for them; longer input is refused before it reaches the checker.
TypedPhone = Annotated[str | None, BeforeValidator(_blank_to_none)]
PHONE_FIELD = Field(
    default=None,
    max_length=64,
    description="A mobile number for the morning text (only when texts are on): a UK mobile unless "
    "SmsCountries lists more; kept only with sms_consent",
)
SMS_CONSENT_FIELD = Field(default=False, description="Text me the join link on the morning")


NUMBER_NEEDED = "give your mobile number, or untick the text message box"


class TextsChoice(BaseModel):
    """The text-message fields (`phone`, `sms_consent`) of the sign-up and profile forms. While
    texts are off (SMS_ENABLED) both are ignored; on, a number is checked and stored in E.164 only
    with consent, and consent without a number is an error on `phone`."""

    phone: TypedPhone = PHONE_FIELD
    sms_consent: Checkbox = SMS_CONSENT_FIELD
    _texts_given: bool = PrivateAttr(default=False)
    # Consent with no number: an error at sign-up; on the manage page it keeps the number held.
    number_required: ClassVar[bool] = True

    @model_validator(mode="after")
    def _checked_number(self) -> TextsChoice:
        from shared.config import sms_regions
        from shared.domain.phones import PhoneRefused, mobile_number

        given = bool({"phone", "sms_consent"} & self.model_fields_set)
        regions = sms_regions() if given else ()
        # While texts are off the fields are ignored: not given, so nothing held is changed.
        self._texts_given = given and bool(regions)
        if not self._texts_given or not self.sms_consent:
            self.phone, self.sms_consent = None, False  # nothing kept without texts on and a yes
            return self
        if self.phone is None:
            if self.number_required:
                raise _field_error("phone", NUMBER_NEEDED)
            return self
        try:
            self.phone = mobile_number(self.phone, regions)
        except PhoneRefused as refused:
            raise _field_error("phone", refused.reason) from None
        return self

    @model_validator(mode="wrap")
    @classmethod
    def _number_with_the_rest(
        cls, data: object, handler: ModelWrapValidatorHandler[TextsChoice]
    ) -> TextsChoice:
        """When other fields fail, the check of the number (an after-validator, so skipped then)
        is made too and its problem comes back with theirs: one round trip to correct both."""
        try:
            return handler(data)
        except ValidationError as error:
            problems = error.errors()
            if any(problem["loc"][:1] == ("phone",) for problem in problems):
                raise
            reason = _number_problem(data, cls.number_required)
            if reason is None:
                raise
            details: list[InitErrorDetails] = [
                {"type": PydanticCustomError(p["type"], p["msg"]), "loc": p["loc"], "input": p["input"]}
                for p in problems
            ]
            details.append(_field_detail("phone", reason))
            raise ValidationError.from_exception_data(cls.__name__, details) from None

    @property
    def texts_given(self) -> bool:
        """Did the form say anything about texts (a field of them present, while texts are on)?"""
        return self._texts_given


def _field_detail(field: str, reason: str) -> InitErrorDetails:
    return {
        "type": PydanticCustomError("value_error", "{reason}", {"reason": reason}),
        "loc": (field,),
        "input": None,
    }


def _field_error(field: str, reason: str) -> ValueError:
    """A model-level error that names its field (see functions/error_map.py's field_problems)."""
    return ValidationError.from_exception_data("TextsChoice", [_field_detail(field, reason)])


def _number_problem(data: object, number_required: bool) -> str | None:
    """What is wrong with the texts part of a form that failed elsewhere (raw `data`), as
    `_checked_number` would say it; None when nothing is, or the field has a type error already."""
    from shared.config import sms_regions
    from shared.domain.phones import PhoneRefused, mobile_number

    if not isinstance(data, dict) or _truthy_checkbox(data.get("sms_consent")) is not True:
        return None
    regions = sms_regions()
    phone = _blank_to_none(data.get("phone"))
    if not regions or not (phone is None or isinstance(phone, str)):
        return None
    if phone is None:
        return NUMBER_NEEDED if number_required else None
    try:
        mobile_number(phone, regions)
    except PhoneRefused as refused:
        return refused.reason
    return None


EventId = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]


class SignupRequest(TextsChoice):
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


class ProfileForm(TextsChoice):
    """`POST /manage/profile`: a person's own change of their name, role and organisation, and (when
    texts are on) their mobile number and consent: the only way these change. The token is their
    manage link's."""

    model_config = {"extra": "ignore", "str_strip_whitespace": True, "defer_build": True}
    number_required: ClassVar[bool] = False

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
