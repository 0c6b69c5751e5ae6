"""ApiFunction: every public route (CONTRACT.md "Public HTTP API"), behind the HTTP API's $default route."""

from __future__ import annotations

from functions import cold_start

cold_start.begin()  # before the other imports: see functions/cold_start.py

import warnings

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions import error_map
from functions.api import routes_events, routes_join, routes_people, routes_signup
from functions.api.pages import render
from functions.api.web import fields_from_errors, html_response, json_response, logger, prefers_html
from shared.boundary import JsonObject
from shared.config import observe_base_url
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

PAGE_PREFIXES = ("/signup", "/manage", "/unsubscribe", "/join", "/j")


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
    if "GET" in methods:
        methods.add("HEAD")  # answered like GET, without the body (lambda_handler)
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


@app.get("/openapi.json", summary="This API's OpenAPI document: every route, every answer")
def openapi() -> Response[str]:
    from functions.api.openapi import openapi_document  # only this route needs it (cold start)

    return json_response(200, openapi_document(app))


# Flushes what the routes counted (SignUps, SignUpsRefused, EmailsSent, EmailsQueued, LinksOpened)
# as one EMF line per invocation, namespace POWERTOOLS_METRICS_NAMESPACE, dimension service=api.
@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: JsonObject, context: LambdaContext) -> JsonObject:
    observe_base_url(event.get("requestContext", {}))  # when PUBLIC_BASE_URL is empty
    http = event.get("requestContext", {}).get("http", {})
    head = http.get("method") == "HEAD"
    if head:
        # HEAD is answered like GET (CONTRACT.md): the same status and headers, no body.
        event = {**event, "requestContext": {**event["requestContext"], "http": {**http, "method": "GET"}}}
    try:
        result = app.resolve(event, context)
    finally:
        if unreadable := take_unreadable():
            count(metrics, "UnreadableRecords", unreadable)
    return {**result, "body": "", "isBase64Encoded": False} if head else result


cold_start.end()
