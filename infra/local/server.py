"""A loopback HTTP server that stands in for API Gateway (HTTP API, payload format 2.0).

Every request outside `/_local/` becomes the event API Gateway would send to the `$default`
route's Lambda integration, and the function's answer becomes the HTTP response API Gateway
would send back. What the event looks like, where AWS's documentation is silent, follows
captures from real HTTP APIs (see tests/fixtures/README.md):
- `rawPath` and `requestContext.http.path` are percent-decoded; `rawQueryString` is not;
  `queryStringParameters` are decoded, repeated keys comma-joined, absent when there are none.
- Header names are lower-cased, repeated headers comma-joined; `cookie` headers become the
  `cookies` list (absent when there are none); API Gateway's own `x-forwarded-*` and
  `x-amzn-trace-id` are added; hop-by-hop headers are dropped.
- The body is passed as text only for `text/*`, `application/json`, `application/xml` and
  `application/javascript` without a `content-encoding`; anything else, a plain HTML form
  (`application/x-www-form-urlencoded`) included, arrives base64-encoded with
  `isBase64Encoded: true`. No body, no `body` key.
- `pathParameters` and `stageVariables` are absent: one `$default` route, the `$default` stage.
- Every method reaches the function, whatever its name (`TRACE`, `PROPFIND`, `FOO`), as the
  `$default` route's `ANY` passes them all: the app answers 405 with `Allow` itself.
- The stage's throttling (`DefaultRouteSettings`) is API Gateway's own 429 before the function
  (infra/local/throttle.py); CORS preflights are answered here too, as API Gateway does.

The adapter also serves the local-only routes itself (never the Lambda code): see CONTRACT.md.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from infra.local.functions import FunctionError, Invoker, UnknownFunction
from infra.local.outbox import Outbox, render_html
from infra.local.sms import SmsInbox
from infra.local.switches import switch
from infra.local.throttle import TokenBucket

MAX_REQUEST_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
TEXT_MEDIA_TYPES = {"application/json", "application/xml", "application/javascript"}
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
INTERNAL_SERVER_ERROR = {"message": "Internal Server Error"}
TOO_MANY_REQUESTS = {"message": "Too Many Requests"}


@dataclass(frozen=True)
class HttpRequest:
    method: str
    target: str  # the request line's target: path and query, as sent
    headers: list[tuple[str, str]]
    body: bytes = b""
    client_ip: str = "127.0.0.1"
    server_port: int = 80
    protocol: str = "HTTP/1.1"

    def header(self, name: str) -> str | None:
        values = [value for key, value in self.headers if key.lower() == name]
        return ",".join(values) if values else None

    @property
    def path(self) -> str:
        return unquote(urlsplit(self.target).path) or "/"

    @property
    def query(self) -> str:
        return urlsplit(self.target).query


@dataclass
class HttpAnswer:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


@dataclass(frozen=True)
class CorsConfig:
    """An HTTP API's CorsConfiguration: API Gateway answers preflights itself and adds the headers."""

    allow_origins: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ()
    allow_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age: int | None = None
    allow_credentials: bool = False

    def allowed_origin(self, origin: str | None) -> str | None:
        if not origin:
            return None
        if "*" in self.allow_origins:
            return "*"
        return origin if origin in self.allow_origins else None


def cors_from_template(
    template: dict[str, Any], api_events: list[dict[str, Any]], parameters: dict[str, str]
) -> CorsConfig | None:
    """The CorsConfiguration of the HttpApi that the API function's HttpApi event is attached to."""
    from infra.local.intrinsics import NO_VALUE, UNRESOLVED, Resolver

    resolver = Resolver(parameters, template.get("Conditions", {}))
    resources = template.get("Resources", {})
    for properties in api_events:
        api_ref = properties.get("ApiId")
        logical = api_ref.get("Ref") if isinstance(api_ref, dict) else None
        api = resources.get(logical or "", {})
        cors = resolver.resolve(api.get("Properties", {}).get("CorsConfiguration", NO_VALUE))
        if cors is True:
            return CorsConfig(allow_origins=("*",), allow_methods=("*",), allow_headers=("*",))
        if isinstance(cors, dict):

            def listed(key: str, cors: dict[str, Any] = cors) -> tuple[str, ...]:
                values = cors.get(key, [])
                if values is UNRESOLVED:
                    return ()
                return tuple(str(v) for v in (values if isinstance(values, list) else [values]) if v)

            max_age = cors.get("MaxAge")
            return CorsConfig(
                allow_origins=listed("AllowOrigins"),
                allow_methods=listed("AllowMethods"),
                allow_headers=listed("AllowHeaders"),
                expose_headers=listed("ExposeHeaders"),
                max_age=int(max_age) if isinstance(max_age, (int, str)) else None,
                allow_credentials=cors.get("AllowCredentials") is True,
            )
    return None


def api_gateway_time(moment: datetime) -> str:
    """`12/Mar/2020:19:03:58 +0000`, whatever the machine's locale."""
    moment = moment.astimezone(UTC)
    return f"{moment.day:02d}/{MONTHS[moment.month - 1]}/{moment:%Y:%H:%M:%S} +0000"


def is_text_body(headers: dict[str, str]) -> bool:
    if headers.get("content-encoding"):
        return False
    media = (headers.get("content-type") or "").split(";")[0].strip().lower()
    return media.startswith("text/") or media in TEXT_MEDIA_TYPES


def _host_without_port(host: str) -> str:
    if host.startswith("["):  # [::1]:3000
        return host.split("]")[0] + "]"
    return host.rsplit(":", 1)[0]


def _request_id() -> str:
    return base64.b64encode(secrets.token_bytes(11)).decode()


def build_event(
    request: HttpRequest,
    *,
    account_id: str,
    api_id: str,
    now: datetime,
    request_id: str | None = None,
) -> dict[str, Any]:
    """The API Gateway HTTP API payload-format-2.0 event for `request` on the `$default` route."""
    parts = urlsplit(request.target)
    raw_path = unquote(parts.path) or "/"
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers:
        key = name.lower()
        if key in HOP_BY_HOP:
            continue
        if key == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    forwarded = headers.get("x-forwarded-for")
    headers["x-forwarded-for"] = f"{forwarded}, {request.client_ip}" if forwarded else request.client_ip
    headers["x-forwarded-port"] = str(request.server_port)
    headers["x-forwarded-proto"] = "http"
    headers.setdefault("x-amzn-trace-id", f"Root=1-{int(now.timestamp()):08x}-{secrets.token_hex(12)}")

    query: dict[str, str] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        query[key] = f"{query[key]},{value}" if key in query else value

    domain = _host_without_port(headers.get("host") or "localhost")
    event: dict[str, Any] = {"version": "2.0", "routeKey": "$default", "rawPath": raw_path}
    event["rawQueryString"] = parts.query
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if query:
        event["queryStringParameters"] = query
    event["requestContext"] = {
        "accountId": account_id,
        "apiId": api_id,
        "domainName": domain,
        "domainPrefix": domain.split(".")[0],
        "http": {
            "method": request.method,
            "path": raw_path,
            "protocol": request.protocol,
            "sourceIp": request.client_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": request_id or _request_id(),
        "routeKey": "$default",
        "stage": "$default",
        "time": api_gateway_time(now),
        "timeEpoch": int(now.timestamp() * 1000),
    }
    if request.body:
        if is_text_body(headers):
            event["body"] = request.body.decode("utf-8", errors="replace")
            event["isBase64Encoded"] = False
        else:
            event["body"] = base64.b64encode(request.body).decode()
            event["isBase64Encoded"] = True
    else:
        event["isBase64Encoded"] = False
    return event


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def answer_from_result(result: Any) -> HttpAnswer:
    """The HTTP response API Gateway makes of a payload-format-2.0 Lambda result."""
    if not (isinstance(result, dict) and "statusCode" in result):
        # No statusCode: API Gateway assumes 200 JSON and passes the result through as the body.
        body = result if isinstance(result, str) else json.dumps(result)
        return HttpAnswer(200, [("Content-Type", "application/json")], body.encode())
    try:
        status = int(result["statusCode"])
        if not 100 <= status <= 599:
            raise ValueError(status)
        headers = [(str(k), _header_value(v)) for k, v in (result.get("headers") or {}).items()]
        for name, values in (result.get("multiValueHeaders") or {}).items():
            headers.extend((str(name), _header_value(v)) for v in values)
        headers.extend(("Set-Cookie", str(cookie)) for cookie in result.get("cookies") or [])
        body = result.get("body")
        if body is None:
            payload = b""
        elif result.get("isBase64Encoded"):
            payload = base64.b64decode(body)
        else:
            payload = (body if isinstance(body, str) else json.dumps(body)).encode()
    except (TypeError, ValueError, AttributeError):
        # API Gateway answers a malformed integration response with a bare 500.
        return _json_answer(500, INTERNAL_SERVER_ERROR)
    return HttpAnswer(status, headers, payload)


def _json_answer(status: int, body: Any, headers: list[tuple[str, str]] | None = None) -> HttpAnswer:
    return HttpAnswer(
        status, [("Content-Type", "application/json"), *(headers or [])], json.dumps(body).encode()
    )


def _error(status: int, code: str, message: str, **extra: Any) -> HttpAnswer:
    return _json_answer(status, {"error": {"code": code, "message": message, **extra}})


def _accept_quality(accept: str, wanted: str) -> float:
    best, best_specificity = 0.0, -1
    major = wanted.split("/")[0]
    for part in accept.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        specificity = {wanted: 2, f"{major}/*": 1, "*/*": 0}.get(media.lower(), -1)
        if specificity > best_specificity:
            best, best_specificity = quality, specificity
    return best


def prefers_html(accept: str | None) -> bool:
    """True when Accept ranks text/html above application/json; a tie or no header means JSON."""
    if not accept or not accept.strip():
        return False
    return _accept_quality(accept, "text/html") > _accept_quality(accept, "application/json")


class Gateway:
    """Turns requests into answers: the local routes here, everything else through the API function."""

    def __init__(
        self,
        *,
        api: Callable[[dict[str, Any]], Any],
        invoker: Invoker | None = None,
        outbox: Outbox | None = None,
        sms: SmsInbox | None = None,
        account_id: str = "123456789012",
        api_id: str | None = None,
        now: Callable[[], datetime] | None = None,
        cors: CorsConfig | None = None,
        throttle: TokenBucket | None = None,
    ) -> None:
        self.api = api
        self.cors = cors
        self.throttle = throttle
        self.invoker = invoker
        self.outbox = outbox
        self.sms = sms
        self.account_id = account_id
        self.api_id = api_id or secrets.token_hex(5)
        self._now = now

    def now(self) -> datetime:
        if self._now is not None:
            return self._now()
        from shared import clock

        return clock.now()

    def handle(self, request: HttpRequest) -> HttpAnswer:
        path = request.path
        if path == "/" or path == "/_local" or path.startswith("/_local/"):
            answer = self._local(request, path)
        elif self.throttle is not None and not self.throttle.take():
            answer = _json_answer(429, TOO_MANY_REQUESTS)  # API Gateway's own: the function never runs
        elif self.cors and request.method == "OPTIONS" and request.header("access-control-request-method"):
            answer = self._preflight(request)
        else:
            answer = self._through_api(request)
            if self.cors:
                answer = self._with_cors_headers(request, answer)
        if request.method == "HEAD":
            answer.body = b""
        return answer

    def _preflight(self, request: HttpRequest) -> HttpAnswer:
        assert self.cors is not None
        answer = HttpAnswer(204, [("Apigw-Requestid", _request_id())])
        origin = self.cors.allowed_origin(request.header("origin"))
        if origin is None:
            return answer
        answer.headers.append(("Access-Control-Allow-Origin", origin))
        if self.cors.allow_methods:
            answer.headers.append(("Access-Control-Allow-Methods", ",".join(self.cors.allow_methods)))
        if self.cors.allow_headers:
            answer.headers.append(("Access-Control-Allow-Headers", ",".join(self.cors.allow_headers)))
        if self.cors.max_age is not None:
            answer.headers.append(("Access-Control-Max-Age", str(self.cors.max_age)))
        if self.cors.allow_credentials:
            answer.headers.append(("Access-Control-Allow-Credentials", "true"))
        return answer

    def _with_cors_headers(self, request: HttpRequest, answer: HttpAnswer) -> HttpAnswer:
        """API Gateway drops the integration's own CORS headers and adds the configured ones."""
        assert self.cors is not None
        answer.headers = [(k, v) for k, v in answer.headers if not k.lower().startswith("access-control-")]
        origin = self.cors.allowed_origin(request.header("origin"))
        if origin is not None:
            answer.headers.append(("Access-Control-Allow-Origin", origin))
            if self.cors.expose_headers:
                answer.headers.append(("Access-Control-Expose-Headers", ",".join(self.cors.expose_headers)))
            if self.cors.allow_credentials:
                answer.headers.append(("Access-Control-Allow-Credentials", "true"))
        return answer

    def _through_api(self, request: HttpRequest) -> HttpAnswer:
        request_id = _request_id()
        event = build_event(
            request, account_id=self.account_id, api_id=self.api_id, now=self.now(), request_id=request_id
        )
        try:
            answer = answer_from_result(self.api(event))
        except FunctionError:
            answer = _json_answer(500, INTERNAL_SERVER_ERROR)  # the trace went to the log, never the caller
        except Exception as error:
            sys.stderr.write(f"local adapter: {type(error).__name__}: {error}\n")
            answer = _json_answer(500, INTERNAL_SERVER_ERROR)
        answer.headers.append(("Apigw-Requestid", request_id))
        return answer

    # --- local-only routes -------------------------------------------------------------------

    def _local(self, request: HttpRequest, path: str) -> HttpAnswer:
        method = "GET" if request.method == "HEAD" else request.method
        if path == "/":
            target = "/signup" + (f"?{request.query}" if request.query else "")
            return HttpAnswer(302, [("Location", target)])
        if path.startswith("/_local/invoke/"):
            return self._only(method, "POST") or self._invoke(path.removeprefix("/_local/invoke/"), request)
        if path == "/_local/outbox":
            if method == "GET":
                return self._outbox_view(request)
            if method == "DELETE":
                return self._outbox_clear()
            return self._not_allowed("GET, DELETE")
        if path == "/_local/outbox/clear":
            return self._only(method, "POST") or self._outbox_clear(redirect=True)
        match = re.fullmatch(r"/_local/outbox/([^/]+?)(\.eml|/html|/attachments/(\d+))", path)
        if match:
            return self._only(method, "GET") or self._outbox_file(
                match.group(1), match.group(2), match.group(3)
            )
        if path == "/_local/sms":
            if method in {"GET", "DELETE"}:
                return self._sms(method)
            return self._not_allowed("GET, DELETE")
        if path == "/_local/thanks":
            return self._only(method, "GET") or self._thanks(request)
        if path == "/_local/clock":
            if method in {"GET", "PUT", "DELETE"}:
                return self._clock(method, request)
            return self._not_allowed("GET, PUT, DELETE")
        return _error(404, "not_found", "There is no local route at that address.")

    def _only(self, method: str, allowed: str) -> HttpAnswer | None:
        return None if method == allowed else self._not_allowed(allowed)

    @staticmethod
    def _not_allowed(allowed: str) -> HttpAnswer:
        answer = _error(405, "method_not_allowed", f"This local route answers {allowed} only.")
        answer.headers.append(("Allow", allowed))
        return answer

    def _invoke(self, logical_id: str, request: HttpRequest) -> HttpAnswer:
        if self.invoker is None:
            return _error(503, "unavailable", "This adapter runs no functions.")
        try:
            self.invoker.spec(logical_id)
        except UnknownFunction:
            return _error(404, "not_found", f"template.yaml has no function {logical_id!r}.")
        try:
            event = json.loads(request.body or b"{}")
        except (ValueError, RecursionError):  # as Lambda, which cannot unmarshal such an event
            return _error(
                400, "validation_error", "The body must be the JSON event.", fields={"body": "is not JSON"}
            )
        try:
            result = self.invoker.invoke(logical_id, event)
        except FunctionError as error:
            # As lambda:Invoke answers an unhandled error: 200, the error payload, and this header.
            return _json_answer(200, error.payload, [("X-Amz-Function-Error", "Unhandled")])
        return _json_answer(200, result)

    def _outbox_view(self, request: HttpRequest) -> HttpAnswer:
        if self.outbox is None:
            return _error(503, "unavailable", "This adapter has no outbox.")
        if prefers_html(request.header("accept")):
            page = render_html(self.outbox.messages())
            return HttpAnswer(200, [("Content-Type", "text/html; charset=utf-8")], page.encode())
        return _json_answer(200, self.outbox.as_json())

    def _outbox_clear(self, *, redirect: bool = False) -> HttpAnswer:
        if self.outbox is None:
            return _error(503, "unavailable", "This adapter has no outbox.")
        removed = self.outbox.clear()
        if redirect:
            return HttpAnswer(303, [("Location", "/_local/outbox")])
        return _json_answer(200, {"removed": removed})

    def _sms(self, method: str) -> HttpAnswer:
        if self.sms is None:
            return _error(503, "unavailable", "This adapter has no text-message inbox.")
        if method == "DELETE":
            return _json_answer(200, {"removed": self.sms.clear()})
        return _json_answer(200, self.sms.as_json())

    def _outbox_file(self, message_id: str, kind: str, index: str | None) -> HttpAnswer:
        message = self.outbox.find(message_id) if self.outbox else None
        if message is None:
            return _error(404, "not_found", "No email in the outbox has that id.")
        if kind == ".eml":
            disposition = f'attachment; filename="{message_id}.eml"'
            return HttpAnswer(
                200,
                [("Content-Type", "message/rfc822"), ("Content-Disposition", disposition)],
                message.raw.encode(),
            )
        if kind == "/html":
            html_part = message.html_part()
            if html_part is None:
                return _error(404, "not_found", "That email has no HTML part.")
            # The email's own HTML, kept from loading anything or running scripts.
            policy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
            return HttpAnswer(
                200,
                [("Content-Type", "text/html; charset=utf-8"), ("Content-Security-Policy", policy)],
                html_part.encode(),
            )
        attachments = message.attachments()
        number = int(index or 0)
        if number >= len(attachments):
            return _error(404, "not_found", "That email has no such attachment.")
        attachment = attachments[number]
        safe_name = re.sub(r"[^A-Za-z0-9._-]", "_", attachment.filename)
        return HttpAnswer(
            200,
            [
                ("Content-Type", attachment.content_type),
                ("Content-Disposition", f'attachment; filename="{safe_name}"'),
            ],
            attachment.content,
        )

    @staticmethod
    def _thanks(request: HttpRequest) -> HttpAnswer:
        """Stands in for the charity's own page, where a form posted from its site is sent back (303)."""
        import html

        result = dict(parse_qsl(request.query))
        shown = html.escape(", ".join(f"{k}={v}" for k, v in result.items()) or "(none)")
        page = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<title>Back on the charity's site - local stack</title></head><body><main>"
            "<h1>Back on the charity&#39;s site</h1>"
            "<p>A sign-up form posted from another site comes back here (SIGNUP_REDIRECT_URL) "
            f"with: <code>{shown}</code></p>"
            '<p><a href="/_local/outbox">See the outbox</a></p></main></body></html>'
        )
        return HttpAnswer(200, [("Content-Type", "text/html; charset=utf-8")], page.encode())

    def _clock(self, method: str, request: HttpRequest) -> HttpAnswer:
        from shared import clock

        if method == "PUT":
            try:
                body = json.loads(request.body or b"{}")
                moment = datetime.fromisoformat(str(body["now"]))
            except (ValueError, KeyError, TypeError):
                return _error(
                    422,
                    "validation_error",
                    'Send {"now": "<ISO 8601 time with its offset>"}.',
                    fields={"now": "must be an ISO 8601 time such as 2026-12-09T07:00:00Z"},
                )
            if moment.tzinfo is None:
                return _error(
                    422,
                    "validation_error",
                    "The time needs its offset, for example Z or +01:00.",
                    fields={"now": "must carry an offset"},
                )
            clock.freeze(moment)
        elif method == "DELETE":
            clock.unfreeze()
        return _json_answer(200, {"now": clock.now().isoformat(), "frozen": clock.is_frozen()})


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "local-api-gateway"
    server: LocalHttpServer

    def _serve(self) -> None:
        try:
            body = self._read_body()
        except ValueError as error:
            self._write(_error(400, "validation_error", str(error)), close=True)
            return
        if body is None:
            self._write(_json_answer(413, {"message": "Request Entity Too Large"}), close=True)
            return
        request = HttpRequest(
            method=self.command,
            target=self.path,
            headers=list(self.headers.items()),
            body=body,
            client_ip=self.client_address[0],
            server_port=self.server.server_address[1],
            protocol=self.request_version,
        )
        self._write(self.server.gateway.handle(request))

    def _read_body(self) -> bytes | None:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks, total = [], 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass  # trailers
                    break
                total += size
                if total > MAX_REQUEST_BYTES:
                    return None
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0:
            raise ValueError("Content-Length must not be negative.")
        if length > MAX_REQUEST_BYTES:
            return None
        return self.rfile.read(length) if length else b""

    def _write(self, answer: HttpAnswer, *, close: bool = False) -> None:
        self.send_response(answer.status)
        names = {name.lower() for name, _ in answer.headers}
        for name, value in answer.headers:
            if name.lower() not in {"content-length", "connection", "transfer-encoding"}:
                self.send_header(name, value)
        if "content-type" not in names and answer.body:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer.body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD" and answer.body:
            self.wfile.write(answer.body)

    def __getattr__(self, name: str) -> Any:
        # http.server answers 501 for a method without a `do_<METHOD>`; API Gateway passes every
        # method to the `$default` route's function, which answers it (405 with Allow): so must we.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.quiet:
            super().log_message(format, *args)


class LocalHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], gateway: Gateway | None = None, *, quiet: bool = False
    ) -> None:
        super().__init__(address, _RequestHandler)
        self.gateway: Gateway = gateway  # type: ignore[assignment] - set before serving
        self.quiet = quiet or not switch("LOCAL_ACCESS_LOG", True)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def serve_in_background(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, args=(0.05,), name="local-http", daemon=True)
        thread.start()
        return thread
