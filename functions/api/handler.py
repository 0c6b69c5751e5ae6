"""ApiFunction: every public route (CONTRACT.md "Public HTTP API"), behind the HTTP API's $default route."""

from __future__ import annotations

from functions import cold_start

cold_start.begin()  # before the other imports: see functions/cold_start.py

import warnings

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from functions import error_map
from functions.api import routes_events, routes_join, routes_people, routes_signup
from functions.api.pages import render
from functions.api.web import fields_from_errors, html_response, json_response, logger, prefers_html
from shared.boundary import JsonObject
from shared.domain.errors import DomainError, NotFound, Unavailable, ValidationFailed
from shared.observability import count, metrics_for, take_unreadable

metrics = metrics_for("api")  # the one metric set the routes add to (shared/observability.py)

# Most requests (pages, GET /events) count nothing: not worth a warning on every container.
warnings.filterwarnings("ignore", message="No application metrics to publish")

app = APIGatewayHttpResolver(enable_validation=True)
app.include_router(routes_events.router)
app.include_router(routes_signup.router)
app.include_router(routes_people.router)
app.include_router(routes_join.router)

PAGE_PREFIXES = ("/signup", "/manage", "/unsubscribe", "/join")


def _is_page(path: str) -> bool:
    return path == "/" or any(path == p or path.startswith(p + "/") for p in PAGE_PREFIXES)


def error_response(problem: error_map.Problem) -> Response[str]:
    event = app.current_event
    if prefers_html(event.headers, page=_is_page(event.path)):
        html = render("error.html", error=problem, status=problem.status)
        return html_response(problem.status, html, problem.headers())
    return json_response(problem.status, {"error": problem.detail()}, problem.headers())


@app.exception_handler(DomainError)
def _domain_error(error: DomainError) -> Response[str]:
    if isinstance(error, Unavailable):
        logger.warning("dependency unavailable", extra={"cause": type(error.__cause__).__name__})
    return error_response(error_map.from_domain(error))


@app.exception_handler(RequestValidationError)
def _request_validation_error(error: RequestValidationError) -> Response[str]:
    return error_response(
        error_map.from_domain(ValidationFailed(fields=fields_from_errors(list(error.errors()))))
    )


def _allowed_methods(path: str) -> list[str]:
    methods = set()
    for route in app._static_routes + app._dynamic_routes:
        if route.rule.match(path):
            methods.add(route.method)
    return sorted(methods)


@app.not_found
def _not_found(_error: NotFoundError) -> Response[str]:
    allowed = _allowed_methods(app.current_event.path)
    if allowed:
        message = f"That address does not accept {app.current_event.http_method} requests."
        response = error_response(error_map.Problem("method_not_allowed", 405, message))
        response.headers["Allow"] = ", ".join(allowed)
        return response
    return error_response(error_map.from_domain(NotFound("There is nothing at that address.")))


@app.exception_handler(Exception)
def _unexpected(error: Exception) -> Response[str]:
    # No stack trace ever reaches a caller, and no other 5xx: the website retries on 503.
    return error_response(error_map.from_unexpected(error, "api"))


@app.get("/openapi.json", include_in_schema=False)
def openapi() -> Response[str]:
    return json_response(200, openapi_document())


def openapi_document() -> JsonObject:
    """The OpenAPI document generated from the routes, with the bodies the routes read and answer
    themselves (models imported here, not at cold start)."""
    import json

    from functions.api.answers import SignupAnswer
    from shared.domain.forms import SignupRequest

    document: JsonObject = json.loads(
        app.get_openapi_json_schema(
            title="Conversations on Co-production",
            version="1.0.0",
            summary="Sign up for Conversations on Co-production, a free monthly online event series.",
        )
    )
    components = document.setdefault("components", {}).setdefault("schemas", {})

    def component(model: type[BaseModel]) -> JsonObject:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in schema.pop("$defs", {}).items():
            components.setdefault(name, definition)
        components[model.__name__] = schema
        return {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}

    signups = document.get("paths", {}).get("/signups", {}).get("post")
    if signups is not None:
        body = component(SignupRequest)
        signups["requestBody"] = {
            "required": True,
            "content": {"application/json": body, "application/x-www-form-urlencoded": body},
        }
        answer = {"application/json": component(SignupAnswer)}
        signups.setdefault("responses", {}).update(
            {
                "200": {"description": "Nothing new: already registered", "content": answer},
                "201": {"description": "Registered or put on a waiting list", "content": answer},
            }
        )
    return document


# Flushes what the routes counted (SignUps, SignUpsRefused, EmailsSent, EmailsQueued, LinksOpened)
# as one EMF line per invocation, namespace POWERTOOLS_METRICS_NAMESPACE, dimension service=api.
@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: JsonObject, context: LambdaContext) -> JsonObject:
    try:
        return app.resolve(event, context)
    finally:
        if unreadable := take_unreadable():
            count(metrics, "UnreadableRecords", unreadable)


cold_start.end()
