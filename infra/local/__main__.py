"""`python -m infra.local` (what `make run` runs): the whole system on this machine, no AWS account.

1. moto in server mode on a loopback port, in this process (so its back ends, the SES outbox
   among them, can be read directly), and every AWS client pointed at it through
   `AWS_ENDPOINT_URL`, with fake credentials and no profile;
2. the table, queues and secret of template.yaml created in moto (`resources.create_stack`),
   and the functions' environment exported as SAM would set it;
3. demo events (unless `SEED=0`), the queue pump, and the HTTP adapter on 127.0.0.1:$PORT.
Ready when `GET /events` answers 200. Ctrl-C (or SIGTERM) stops it.

Environment: PORT (3000; 0 picks a free port), SEED (1), SIGNUP_LIMITS (on; `off` for load
tests), IAM (off; `on` runs each function with its own role's permissions, enforced by moto:
`infra.testkit.permissions`), SENDER_ADDRESS (events@example.org), ALLOWED_ORIGINS (the
template's AllowedOrigins, for CORS), API_THROTTLING_RATE_LIMIT and API_THROTTLING_BURST_LIMIT
(the template's 25 and 50: the HTTP API's throttling, emulated), LOCAL_CONCURRENCY (1
invocation at a time per function), LOCAL_ACCESS_LOG (on). Switches take on/off, true/false,
1/0. Any other template parameter as its name in UPPER_SNAKE (NOTICES_EMAIL for NoticesEmail,
ALERT_EMAIL for AlertEmail, ...); RESTORED_TABLE_NAME also creates that table, empty.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import sys
from contextlib import ExitStack
from typing import Any

from infra.local.switches import switch

REGION = "eu-west-2"
HOST = "127.0.0.1"


def point_aws_at(endpoint: str) -> None:
    """Every boto3 client in this process talks to moto, never to AWS, whatever the machine has set."""
    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL_") or name in {"AWS_PROFILE", "AWS_DEFAULT_PROFILE"}:
            del os.environ[name]
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
    # No X-Ray daemon here; Powertools' other settings come from template.yaml's Globals.
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")


def export_function_environment(
    template: dict[str, Any], functions: dict[str, Any], stack: Any, parameters: dict[str, str]
) -> list[str]:
    """Export what each function sets beyond Globals; the handlers share one process, so a name
    two functions set differently cannot be honoured for both (returned as a warning)."""
    from infra.local.intrinsics import NO_VALUE, UNRESOLVED, Resolver

    resolver = Resolver(parameters, template.get("Conditions", {}), stack.physical, stack.arns)
    chosen: dict[str, tuple[str, str]] = {}
    warnings = []
    for spec in functions.values():
        for name, raw in spec.environment.items():
            value = resolver.resolve(raw)
            if value is UNRESOLVED or value is NO_VALUE or name in stack.environment:
                continue
            value = str(value).lower() if isinstance(value, bool) else str(value)
            if name in chosen and chosen[name][1] != value:
                warnings.append(
                    f"{name}: {chosen[name][0]} and {spec.logical_id} differ; {chosen[name][0]}'s wins"
                )
                continue
            chosen.setdefault(name, (spec.logical_id, value))
    os.environ.update({name: value for name, (_, value) in chosen.items()})
    return warnings


def api_function_id(functions: dict[str, Any]) -> str:
    """The function behind the HTTP API: the one with an HttpApi event (ApiFunction by contract)."""
    for logical_id, spec in functions.items():
        if spec.events_of_type("HttpApi"):
            return str(logical_id)
    return "ApiFunction"


def _stop_on_sigterm() -> None:
    def raise_interrupt(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, raise_interrupt)


def main() -> int:
    from moto.server import ThreadedMotoServer

    from infra.local.server import LocalHttpServer

    _stop_on_sigterm()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's access log
    requested_port = int(os.environ.get("PORT") or 3000)
    try:
        httpd = LocalHttpServer((HOST, requested_port))
    except OSError as error:
        print(
            f"Cannot listen on {HOST}:{requested_port} ({error}). Try another port: PORT=3001 make run",
            file=sys.stderr,
        )
        return 1
    base_url = f"http://{HOST}:{httpd.port}"
    moto = ThreadedMotoServer(ip_address=HOST, port=0, verbose=False)
    pump = None
    held = ExitStack()  # what lives as long as the stack: the enforcement of permissions
    try:
        moto.start()
        moto_host, moto_port = moto.get_host_and_port()
        point_aws_at(f"http://{moto_host}:{moto_port}")
        pump, seeded, permissions = _start_stack(httpd, base_url, held)
        print(
            f"\nConversations on Co-production: local stack at {base_url}\n"
            f"  Sign-up page   {base_url}/signup\n"
            f"  Events (JSON)  {base_url}/events\n"
            f"  Outbox         {base_url}/_local/outbox\n"
            f"  Text messages  {base_url}/_local/sms\n"
            f"  Admin actions  curl -X POST {base_url}/_local/invoke/AdminFunction \\\n"
            f'                   -d \'{{"action": "list_events"}}\'\n'
            f'  Clock          curl -X PUT {base_url}/_local/clock -d \'{{"now": "2026-12-09T07:00:00Z"}}\'\n'
            f"AWS (moto) at http://{moto_host}:{moto_port}; {seeded} demo events; "
            f"sign-up limits {'on' if switch('SIGNUP_LIMITS', True) else 'off'}.\n"
            f"{permissions}\nCtrl-C stops.\n",
            flush=True,
        )
        httpd.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        print("\nStopping the local stack...", flush=True)
    finally:
        httpd.server_close()
        if pump is not None:
            pump.stop()
        held.close()
        moto.stop()
    print("Stopped.", flush=True)
    return 0


def upper_snake(parameter: str) -> str:
    """`NoticesEmail` -> `NOTICES_EMAIL`: the variable `make run` reads a template parameter from."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", parameter).upper()


def parameters_from_environment(template: dict[str, Any]) -> dict[str, str]:
    """Every template parameter given in the environment as its name in UPPER_SNAKE (non-empty),
    checked as CloudFormation checks it (AllowedValues, AllowedPattern, MinValue/MaxValue): a value
    `sam deploy` would refuse stops `make run` with the parameter's own ConstraintDescription. A
    switch (AllowedValues true/false) takes on/off and 1/0 too. The ones the local stack sets
    itself (its own URLs) are overridden by the caller."""
    found = {}
    for name, spec in template.get("Parameters", {}).items():
        variable = upper_snake(name)
        value = os.environ.get(variable)
        if value:
            found[name] = _checked_parameter(variable, value, spec)
    return found


LOOPBACK_HTTP = re.compile(r"http://(127\.0\.0\.1|localhost)(?=[:/?#]|$)")


def _as_deployed(value: str) -> str:
    """A loopback `http://` URL (a website or page on this machine) judged as its https form: the
    local stack is http itself; anywhere else the template's https-only patterns hold."""
    return LOOPBACK_HTTP.sub(lambda m: f"https://{m.group(1)}", value)


def _checked_parameter(variable: str, value: str, spec: dict[str, Any]) -> str:
    allowed = [str(v) for v in spec.get("AllowedValues", [])]
    if sorted(a.lower() for a in allowed) == ["false", "true"]:
        on = switch(variable, False)
        return next(a for a in allowed if a.lower() == str(on).lower())
    why = spec.get("ConstraintDescription")
    if allowed and value not in allowed:
        raise SystemExit(f"{variable}={value!r}: {why or 'give one of ' + ', '.join(allowed)}")
    pattern = spec.get("AllowedPattern")
    if pattern and not re.fullmatch(pattern, _as_deployed(value)):
        raise SystemExit(f"{variable}={value!r}: {why or 'does not match ' + pattern}")
    if spec.get("Type") == "Number":
        try:
            number = float(value)
        except ValueError:
            raise SystemExit(f"{variable}={value!r}: give a number") from None
        low, high = float(spec.get("MinValue", "-inf")), float(spec.get("MaxValue", "inf"))
        if not low <= number <= high:
            raise SystemExit(f"{variable}={value!r}: {why or f'give a number from {low:g} to {high:g}'}")
    return value


def _credentials_file(enforcement: Any, held: ExitStack) -> str:
    """With permissions enforced, moto answers only the credentials it issued: the local user's go
    in a shared-credentials file (owner-only, removed when the stack stops) for the AWS CLI and
    the tests to read moto with."""
    import tempfile
    from pathlib import Path

    folder = Path(held.enter_context(tempfile.TemporaryDirectory(prefix="co-production-local-")))
    path = folder / "credentials"
    keys = enforcement.credentials_for(None)
    path.touch(mode=0o600)
    path.write_text(
        f"[local-stack]\naws_access_key_id = {keys.access_key}\naws_secret_access_key = {keys.secret_key}\n"
    )
    return str(path)


def _create_restored_table(template: dict[str, Any], name: str) -> None:
    """RESTORED_TABLE_NAME points the functions at a table restored from point-in-time recovery
    (docs/deploy.md, "Backup and restore"); here nothing was restored, so it is created empty
    from the stack's own Table's definition, as the runbook leaves a restored one."""
    if not name:
        return
    from infra.local.resources import create_table

    create_table(template["Resources"]["Table"]["Properties"], name, REGION)
    print(f"table: {name} (RestoredTableName; created empty from Table's definition)", file=sys.stderr)


def _start_stack(httpd: Any, base_url: str, held: ExitStack) -> tuple[Any, int, str]:
    """Create the stack, the functions and the adapter; returns the queue pump, how many demo
    events were seeded and the start-up line about permissions."""
    import boto3

    from infra.local.functions import Invoker, functions_from_template
    from infra.local.outbox import Outbox
    from infra.local.pump import QueuePump, mappings_from_template
    from infra.local.resources import create_stack, load_template, parameter_defaults
    from infra.local.seed import seed_demo_events
    from infra.local.server import Gateway, cors_from_template
    from infra.local.sms import SmsInbox
    from infra.local.throttle import throttle_from_template
    from shared import aws, clock, config, services

    try:
        from infra.local.moto_atomic import make_dynamodb_requests_atomic
    except ImportError:
        pass
    else:
        make_dynamodb_requests_atomic()  # each DynamoDB request isolated, as DynamoDB's own are

    template = load_template()
    parameters = {
        "PublicBaseUrl": base_url,
        "SenderAddress": "events@example.org",
        "SignupRedirectUrl": f"{base_url}/_local/thanks",
        # moto has no SES GetAccount: the sender paces itself at this rate (AWS's sandbox is 1/s).
        "SesMaxSendRateFallback": os.environ.get("SES_MAX_SEND_RATE") or "20",
        # What the environment gives wins (PUBLIC_BASE_URL, SENDER_ADDRESS, SIGNUP_REDIRECT_URL, ...).
        **parameters_from_environment(template),
    }
    stack = create_stack(parameters, region=REGION, template=template)
    _create_restored_table(template, parameters.get("RestoredTableName", ""))
    limits = switch("SIGNUP_LIMITS", True)
    os.environ.update(stack.environment)
    os.environ["SIGNUP_LIMITS"] = "on" if limits else "off"
    functions = functions_from_template(template)
    all_parameters = {**parameter_defaults(template), **parameters}
    for warning in export_function_environment(template, functions, stack, all_parameters):
        print(f"environment: {warning}", file=sys.stderr)
    config.reset_settings()
    aws.reset_clients()
    services.reset()
    permissions = "permissions: not enforced (any function may do anything; IAM=on enforces each one's role)"
    if switch("IAM", False):
        from infra.testkit.iam import function_policies
        from infra.testkit.permissions import ENFORCED_LINE, enforced

        enforcement = held.enter_context(enforced(function_policies(stack, all_parameters), REGION))
        credentials = _credentials_file(enforcement, held)
        permissions = f"{ENFORCED_LINE}\n  moto credentials  {credentials} (profile local-stack)"

    account_id = boto3.client("sts", region_name=REGION).get_caller_identity()["Account"]
    invoker = Invoker(
        functions,
        region=REGION,
        account_id=account_id,
        concurrency=int(os.environ.get("LOCAL_CONCURRENCY") or 1),
    )
    api_id = api_function_id(functions)
    api_events = (
        [e.properties for e in functions[api_id].events_of_type("HttpApi")] if api_id in functions else []
    )
    httpd.gateway = Gateway(
        api=lambda event: invoker.invoke(api_id, event),
        invoker=invoker,
        outbox=Outbox(account_id, REGION),
        sms=SmsInbox(account_id, REGION),
        account_id=account_id,
        cors=cors_from_template(template, api_events, all_parameters),
        throttle=throttle_from_template(template, api_events, all_parameters),
    )

    seeded = 0
    if not switch("SEED", True):
        pass
    elif "AdminFunction" not in functions:
        print("seed: template.yaml has no AdminFunction yet; no demo events", file=sys.stderr)
    else:
        events = seed_demo_events(
            lambda request: invoker.invoke("AdminFunction", request),
            clock.now(),
            log=lambda line: print(line, file=sys.stderr),
        )
        seeded = len(events)

    pump = QueuePump(
        mappings_from_template(functions, stack.physical, stack.arns), invoker.invoke, region=REGION
    )
    pump.start()
    return pump, seeded, permissions


if __name__ == "__main__":
    sys.exit(main())
