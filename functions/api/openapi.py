"""`GET /openapi.json`: the OpenAPI document of the public routes, which lists every status code and
content type each route answers, with the schema of each JSON body (CONTRACT.md).

Powertools writes the paths, parameters and summaries from the routes themselves; what each route
reads and answers is declared in ROUTES below, one entry per route. A route without an entry, or
an entry without a route, fails the document (and the tests). Adding a route is: its function,
and its entry here. Imported only when the document is asked for (cold start).

`make test` fuzzes the running local stack against this document (tests/openapi/).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

from functions.api.answers import (
    CancelAnswer,
    ErrorAnswer,
    JoinAnswer,
    LinkRequested,
    ManageAnswer,
    MessagesOptOutAnswer,
    ProfileAnswer,
    SignupAnswer,
    UnsubscribeAnswer,
)
from functions.api.routes_people import ManageLinkRequest
from functions.api.schemas import EventList, PublicEvent
from shared.boundary import JsonObject
from shared.domain.forms import ProfileForm, SignupRequest

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
HTML = "text/html"
CALENDAR = "text/calendar"

Schema = type[BaseModel] | JsonObject


class GatewayMessage(BaseModel):
    """An answer of API Gateway itself, not of the app: its throttling (429), a body over its
    10 MB limit (413), a function that failed (500, never expected)."""

    message: str


class CancelRequest(BaseModel):
    """What `POST /manage/cancel` reads (JSON or a web form; the route reads the fields itself)."""

    token: str = Field(description="The token from the manage link (or `?token=` in the address)")
    event_id: str | None = Field(default=None, description="The place to cancel")
    all: bool | None = Field(default=None, description="true (or on, yes, 1): cancel every place")


class OneClickUnsubscribe(BaseModel):
    """RFC 8058's body, which mail programs send; the route needs only the token in the address."""

    list_unsubscribe: str = Field(default="One-Click", alias="List-Unsubscribe")


@dataclass(frozen=True)
class Answer:
    """One status of one route: its JSON body (a model or a JSON Schema; None for no JSON), whether
    it is also a page (when Accept prefers text/html), another media type, and its headers."""

    description: str
    json: Schema | tuple[Schema, ...] | None = None
    page: bool = True
    media: str | None = None
    headers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Route:
    answers: dict[int, Answer]
    body: Schema | None = None  # the request body, JSON or a web form
    body_required: bool = True


def error(description: str, *, headers: tuple[str, ...] = ()) -> Answer:
    return Answer(description, ErrorAnswer, headers=headers)


def json_or_page(description: str, model: Schema) -> Answer:
    return Answer(description, model)


CALENDAR_FILE = Answer(
    "An iCalendar file", page=False, media=CALENDAR, headers=("ETag", "Content-Disposition")
)
NOT_MODIFIED = Answer("Unchanged since the ETag in If-None-Match (no body)", page=False, headers=("ETag",))
# Every route that reads a body (JSON or a web form, at most 16 KiB).
BODY_ERRORS = {
    413: Answer(
        "payload_too_large: over 16 KiB (or API Gateway's own, over 10 MB)", (ErrorAnswer, GatewayMessage)
    ),
    415: error("unsupported_media_type: neither JSON nor a web form"),
    422: error("validation_error: `fields` says what to correct"),
}
# Every route with query parameters: one given twice (or holding a comma) is a list, not a string.
QUERY_ERRORS = {422: error("validation_error: a query parameter given twice (or holding a comma)")}
# Every route: the app's 503, and API Gateway's throttling (its own answer, never the app's).
EVERY_ROUTE = {
    429: Answer("API Gateway's throttling (Too Many Requests)", GatewayMessage, page=False),
    503: error("unavailable: a dependency failed; try again after Retry-After", headers=("Retry-After",)),
}
BAD_TOKEN = "not_found: a tampered, expired or wrong-purpose token (reveals nothing)"  # noqa: S105
BAD_CODE = "not_found: an unknown, mistyped or expired code, the same answer as a bad token"

ROUTES: dict[tuple[str, str], Route] = {
    ("GET", "/events"): Route(
        {
            200: json_or_page("Events not yet ended, soonest first (or ended ones, latest first)", EventList),
            422: error("validation_error: `when` is not upcoming or past, or is given twice"),
        }
    ),
    ("GET", "/events/{event_id}"): Route(
        {200: json_or_page("The event", PublicEvent), 404: error("not_found: no such event")}
    ),
    ("GET", "/events/{event_id}/calendar.ics"): Route(
        {200: CALENDAR_FILE, 304: NOT_MODIFIED, 404: error("not_found: no such event")}
    ),
    ("GET", "/calendar.ics"): Route({200: CALENDAR_FILE, 304: NOT_MODIFIED}),
    ("GET", "/signup"): Route(
        {200: json_or_page("The sign-up page (JSON: the events open for sign-up)", EventList), **QUERY_ERRORS}
    ),
    ("POST", "/signups"): Route(
        {
            200: json_or_page("Nothing new: already registered", SignupAnswer),
            201: json_or_page("Registered, put on a waiting list, or re-activated", SignupAnswer),
            303: Answer(
                "A web form from another site: back to SIGNUP_REDIRECT_URL", page=False, headers=("Location",)
            ),
            404: error("not_found: an unknown event id (nothing stored)"),
            409: error("event_closed: a cancelled or ended event (nothing stored)"),
            **BODY_ERRORS,
            429: error(
                "rate_limited: too many sign-ups from this address or network", headers=("Retry-After",)
            ),
        },
        body=SignupRequest,
    ),
    ("POST", "/manage/link"): Route(
        {202: json_or_page("Accepted, whatever the address", LinkRequested), **BODY_ERRORS},
        body=ManageLinkRequest,
    ),
    ("GET", "/manage"): Route(
        {200: json_or_page("The person's registrations", ManageAnswer), 404: error(BAD_TOKEN), **QUERY_ERRORS}
    ),
    ("POST", "/manage/cancel"): Route(
        {
            200: json_or_page("The places cancelled (a page: the registrations)", CancelAnswer),
            404: error(BAD_TOKEN),
            **BODY_ERRORS,
        },
        body=CancelRequest,
    ),
    ("POST", "/manage/profile"): Route(
        {
            200: json_or_page("The details as saved (a page: the manage page, saying so)", ProfileAnswer),
            404: error(BAD_TOKEN),
            **BODY_ERRORS,
        },
        body=ProfileForm,
    ),
    ("GET", "/unsubscribe"): Route(
        {
            200: json_or_page("A page with a button (changes nothing)", UnsubscribeAnswer),
            404: error(BAD_TOKEN),
            **QUERY_ERRORS,
        }
    ),
    ("POST", "/unsubscribe"): Route(
        {
            200: json_or_page("Unsubscribed: every upcoming place cancelled", UnsubscribeAnswer),
            404: error(BAD_TOKEN),
            **QUERY_ERRORS,
        },
        body=OneClickUnsubscribe,
        body_required=False,
    ),
    ("GET", "/unsubscribe/messages"): Route(
        {
            200: json_or_page("A page with a button (changes nothing)", MessagesOptOutAnswer),
            404: error(BAD_TOKEN),
            **QUERY_ERRORS,
        }
    ),
    ("POST", "/unsubscribe/messages"): Route(
        {
            200: json_or_page(
                "No more messages or follow-ups from the organisers; places and join links stay",
                MessagesOptOutAnswer,
            ),
            404: error(BAD_TOKEN),
            **QUERY_ERRORS,
        },
        body=OneClickUnsubscribe,
        body_required=False,
    ),
    ("GET", "/join/{token}"): Route(
        {
            200: json_or_page("Not open yet, or still on the waiting list", JoinAnswer),
            302: Answer("To the meeting's join URL", page=False, headers=("Location",)),
            404: error(BAD_TOKEN),
            410: json_or_page("Over, or cancelled", JoinAnswer),
        }
    ),
    ("GET", "/j/{code}"): Route(
        {
            200: json_or_page("Not open yet, or still on the waiting list", JoinAnswer),
            302: Answer("To the meeting's join URL", page=False, headers=("Location",)),
            404: error(BAD_CODE),
            410: json_or_page("Over, or cancelled", JoinAnswer),
        }
    ),
    ("GET", "/openapi.json"): Route({200: Answer("This document", {"type": "object"}, page=False)}),
}

DESCRIPTION = """\
Every route answers JSON or HTML by `Accept` (CONTRACT.md); errors are
`{"error": {"code", "message", "fields"}}` or a page with the same status. HEAD is answered like
GET, without a body. Any other method a path lacks is 405 `method_not_allowed` with `Allow`; an
unknown path is 404 `not_found`. API Gateway answers some requests itself, never reaching the app:
its throttling (429 `{"message": "Too Many Requests"}`), a body over 10 MB (413), and CORS
preflights (`OPTIONS` with `Access-Control-Request-Method`, from the `AllowedOrigins` parameter:
204 with the `Access-Control-*` headers). The local stack emulates them."""


class _Components:
    def __init__(self, schemas: JsonObject) -> None:
        self.schemas = schemas

    def schema(self, schema: Schema) -> JsonObject:
        if isinstance(schema, dict):
            return schema
        definition = schema.model_json_schema(ref_template="#/components/schemas/{model}", by_alias=True)
        for name, nested in definition.pop("$defs", {}).items():
            self.schemas.setdefault(name, nested)
        self.schemas[schema.__name__] = definition
        return {"$ref": f"#/components/schemas/{schema.__name__}"}

    def response(self, answer: Answer) -> JsonObject:
        content: JsonObject = {}
        if answer.json is not None:
            options = answer.json if isinstance(answer.json, tuple) else (answer.json,)
            schemas = [self.schema(option) for option in options]
            content[JSON] = {"schema": schemas[0] if len(schemas) == 1 else {"anyOf": schemas}}
        if answer.page:
            content[HTML] = {"schema": {"type": "string"}}
        if answer.media:
            content[answer.media] = {"schema": {"type": "string"}}
        response: JsonObject = {"description": answer.description}
        if content:
            response["content"] = content
        if answer.headers:
            response["headers"] = {name: {"schema": {"type": "string"}} for name in answer.headers}
        return response


def _merged(own: Answer, common: Answer) -> Answer:
    """A route's own answer with the same status as a common one (429: the app's and API
    Gateway's): either body, either content type."""

    def options(answer: Answer) -> tuple[Schema, ...]:
        if answer.json is None:
            return ()
        return answer.json if isinstance(answer.json, tuple) else (answer.json,)

    return Answer(
        f"{own.description}; or {common.description}",
        options(own) + options(common) or None,
        page=own.page or common.page,
        media=own.media or common.media,
        headers=tuple(dict.fromkeys(own.headers + common.headers)),
    )


def answers_of(route: Route) -> dict[int, Answer]:
    answers = dict(route.answers)
    for status, common in EVERY_ROUTE.items():
        answers[status] = _merged(answers[status], common) if status in answers else common
    return dict(sorted(answers.items()))


def _describe(operation: JsonObject, route: Route, components: _Components) -> None:
    operation["responses"] = {
        str(status): components.response(answer) for status, answer in answers_of(route).items()
    }
    if route.body is not None:
        body = {"schema": components.schema(route.body)}
        operation["requestBody"] = {"required": route.body_required, "content": {JSON: body, FORM: body}}


def openapi_document(app: Any) -> JsonObject:
    """The document of `app`'s routes, each described by its entry in ROUTES."""
    document: JsonObject = json.loads(
        app.get_openapi_json_schema(
            title="Conversations on Co-production",
            version="1.0.0",
            summary="Sign up for Conversations on Co-production, a free monthly online event series.",
            description=DESCRIPTION,
        )
    )
    schemas: JsonObject = {}
    components = _Components(schemas)
    described = set()
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            route = ROUTES.get((method.upper(), path))
            if route is None:
                raise LookupError(f"{method.upper()} {path} has no entry in functions/api/openapi.py ROUTES")
            _describe(operation, route, components)
            described.add((method.upper(), path))
    missing = sorted(set(ROUTES) - described)
    if missing:
        raise LookupError(f"ROUTES describes routes the app does not have: {missing}")
    # Powertools' own validation-error models are not what this app answers (ErrorAnswer is).
    document["components"] = {"schemas": dict(sorted(schemas.items()))}
    return document
