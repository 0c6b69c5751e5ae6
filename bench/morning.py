"""The morning send at scale, under moto: AWS requests per recipient and the achieved send rate.

Each run is a fresh in-process moto stack (`bench.stack.moto_stack`) with one event and N
registrants written in bulk (set-up, not counted). With the clock frozen at the event's send
moment, the real DispatchFunction handler runs as the scheduler invokes it, then the queue is
drained; every AWS request of both phases is counted with botocore hooks (`bench.counting`).

- Handler runs (1,000 and 10,000 registrants): the queue goes through the real SenderFunction
  handler, fed the way Lambda's SQS event source would (`infra.testkit.morning.pump`), with
  SES's rate set so high that nothing is paced: they give the exact requests per recipient and the
  machine's unpaced throughput.
- Rate runs (1,000 registrants): SES_MAX_SEND_RATE = L and SENDER_MAX_CONCURRENCY = 2, drained by
  two consumer threads (two SenderFunction instances), each with its own `JoinLinkSender`,
  `BatchRunner` and `Pacer` at L/2 as `shared.services` builds them. They call the logic layer
  (`JoinLinkSender.send_batch`) and delete what they finished themselves, since the handler's
  `BatchProcessor` is a module global that two threads cannot share. The rate is SES SendEmail
  requests per wall-clock second from the first to the last, divided by L.
- Text runs (bench/texts.py, issue 12): the same with SmsEnabled on and some registrants holding
  a number and consent; the handler runs give the requests per texted recipient, the rate run
  SNS Publish per second against SMS_MAX_SEND_RATE with SES unpaced.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import threading
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import getaddresses
from typing import Any

from bench.counting import RequestCounter, Tally
from bench.report import Table
from bench.stack import create_event, moto_stack
from shared.domain.bulk import BATCH_SIZE
from shared.workflows.sending import TIME_MARGIN_SECONDS

REGISTRANTS = (1_000, 10_000)
RATE_REGISTRANTS = 1_000
RATE_LIMIT = 25.0  # L, emails per second: well under this machine's unpaced throughput (reported)
CONCURRENCY = 2  # SENDER_MAX_CONCURRENCY: SenderFunction instances, so consumer threads
UNPACED = 100_000.0  # SES_MAX_SEND_RATE for the handler runs: the pacer never waits
POLL_WAIT = 1.0  # seconds an idle consumer waits before it receives again (a long poll's wait)
SES_TARGET = 1.0
DYNAMODB_TARGET = 1.1
RATE_TARGET = 0.9
SEND_EMAIL = ("sesv2", "SendEmail")

# What each UpdateItem is for, from its UpdateExpression (shared/stores/); first match wins.
UPDATES = (
    ("SET link_sent_at", "UpdateItem mark sent"),
    ("SET link_failed_for", "UpdateItem mark failed"),
    ("SET send_failures", "UpdateItem record send failure"),  # a refusal, email or text
    ("SET sms_sent_at", "UpdateItem mark text sent"),
    ("SET sms_failed_for", "UpdateItem mark number texted already"),
    ("SET person_id = :person, expires_at", "UpdateItem text claim"),
    ("SET event_id = :event, person_id", "UpdateItem join code"),
    ("SET lease_until", "UpdateItem lease batch item"),
    ("SET #status", "UpdateItem finish batch item"),
    ("REMOVE lease_until", "UpdateItem release batch item"),
    ("SET lock_until", "UpdateItem dispatch lock"),
    ("REMOVE lock_until", "UpdateItem dispatch unlock"),
    ("SET completed_at", "UpdateItem heartbeat"),
    ("SET queued_at", "UpdateItem requeue batch item"),
)


def classify(service: str, operation: str, params: dict[str, Any]) -> str | None:
    """What one request is for, so the findings can say what costs what."""
    if service != "dynamodb":
        return None
    if operation == "UpdateItem":
        expression = str(params.get("UpdateExpression", ""))
        return next((name for marker, name in UPDATES if expression.startswith(marker)), None)
    if operation == "Query":
        values = params.get("ExpressionAttributeValues", {})
        if params.get("IndexName"):
            return f"Query {params['IndexName']}"
        if ":reg" in values:
            return "Query registrations"
        if ":prefix" in values:
            return "Query batch items"
        return None
    if operation == "GetItem":
        sort_key = params.get("Key", {}).get("SK", {}).get("S", "")
        return f"GetItem {sort_key.split('#')[0].lower()}"
    if operation == "BatchGetItem":
        keys = [key for table in params.get("RequestItems", {}).values() for key in table.get("Keys", [])]
        kinds = sorted({key.get("SK", {}).get("S", "").split("#")[0] for key in keys})
        names = {"PROFILE": "people", "REG": "registrations", "EVENT": "events"}
        return "BatchGetItem " + "+".join(names.get(kind, kind.lower()) for kind in kinds)
    if operation == "BatchWriteItem":
        return "BatchWriteItem batch items"
    return None


@dataclass
class SendRun:
    label: str
    registrants: int
    limit: float | None  # the SES rate imposed; None: unpaced
    consumers: int  # 0: the SenderFunction handler through the pump, one at a time
    receive_size: int
    timeout: float = math.inf  # each consumer's invocation: SenderFunction's Timeout
    text_every: int = 0  # SmsEnabled and one registrant in this many agreed to texts; 0: texts off
    text_limit: float | None = None  # SMS_MAX_SEND_RATE; None: unpaced
    text_baseline: bool = False  # texts off: the text runs' email side is compared with it
    dispatch: Tally = field(default_factory=Tally)
    sending: Tally = field(default_factory=Tally)
    queued: int = 0
    batch_items: int = 0
    per_consumer: list[int] = field(default_factory=list)
    delivered: Counter[str] = field(default_factory=Counter)  # address -> emails SES accepted
    expected: set[str] = field(default_factory=set)
    texted: Counter[str] = field(default_factory=Counter)  # number -> texts moto's SNS took
    numbers: set[str] = field(default_factory=set)  # the numbers of those who agreed
    texts_per_consumer: list[int] = field(default_factory=list)
    setup_seconds: float = 0.0
    dispatch_seconds: float = 0.0
    send_seconds: float = 0.0
    error: str = ""

    @property
    def tally(self) -> Tally:
        return self.dispatch.merged(self.sending)

    def per_recipient(self, service: str) -> float:
        return self.tally.by_service(service) / self.registrants

    @property
    def sends(self) -> int:
        return self.tally.requests[SEND_EMAIL]

    @property
    def sends_per_recipient(self) -> float:
        return self.sends / self.registrants

    @property
    def exactly_once(self) -> bool:
        return set(self.delivered) == self.expected and set(self.delivered.values()) == {1}

    def delivery(self) -> str:
        missing = len(self.expected - set(self.delivered))
        twice = sum(1 for n in self.delivered.values() if n > 1)
        strangers = len(set(self.delivered) - self.expected)
        if self.exactly_once:
            return f"all {len(self.expected):,} exactly once"
        return (
            f"{len(self.delivered):,} got one or more; {missing} missing, {twice} twice or more, "
            f"{strangers} not registered"
        )

    @property
    def send_span(self) -> float:
        tally = self.sending
        if SEND_EMAIL not in tally.first_at:
            return 0.0
        return tally.last_at[SEND_EMAIL] - tally.first_at[SEND_EMAIL]

    @property
    def send_rate(self) -> float:
        """SendEmail requests per second, first to last: n sends span n - 1 intervals."""
        span = self.send_span
        return (self.sends - 1) / span if span > 0 else 0.0

    @property
    def fraction(self) -> float | None:
        return self.send_rate / self.limit if self.limit else None

    @property
    def counts_met(self) -> bool:
        dynamodb = self.per_recipient("dynamodb")
        return self.exactly_once and self.sends_per_recipient == SES_TARGET and dynamodb <= DYNAMODB_TARGET


@dataclass
class MorningReport:
    runs: list[SendRun]
    template_batch_size: int
    sender_timeout: int
    visibility_timeout: int
    dispatch_batch: int

    @property
    def email_runs(self) -> list[SendRun]:
        return [run for run in self.runs if not (run.text_every or run.text_baseline)]

    @property
    def text_runs(self) -> list[SendRun]:
        return [run for run in self.runs if run.text_every or run.text_baseline]

    @property
    def handler_runs(self) -> list[SendRun]:
        return [run for run in self.email_runs if run.consumers == 0]

    @property
    def rate_runs(self) -> list[SendRun]:
        return [run for run in self.email_runs if run.consumers > 0]

    @property
    def unpaced(self) -> float:
        """The slowest unpaced throughput seen: what the machine can do at worst in this bench."""
        rates = [run.send_rate for run in self.handler_runs if run.send_rate > 0]
        return min(rates) if rates else 0.0

    @property
    def failed(self) -> bool:
        from bench.texts import texts_exactly_once

        return any(
            run.error or not run.exactly_once or (run.text_every and not texts_exactly_once(run))
            for run in self.runs
        )


def measure_morning() -> MorningReport:
    # The functions' loggers exist before moto_stack() points every log handler at /dev/null.
    import functions.dispatch.handler
    import functions.sender.handler  # noqa: F401
    from bench.texts import text_runs
    from infra.local.resources import load_template

    # Each run's moto_stack() makes every moto DynamoDB request atomic, as in the tests.
    resources = load_template()["Resources"]
    sender = resources["SenderFunction"]["Properties"]
    visibility = int(resources["OutboundQueue"]["Properties"].get("VisibilityTimeout", 30))
    batch_size = int(sender["Events"]["OutboundMessages"]["Properties"].get("BatchSize", 10))
    timeout = int(sender.get("Timeout", 3))
    counter = RequestCounter(classify)
    runs: list[SendRun] = []
    with counter.installed():
        for registrants in REGISTRANTS:
            label = f"{registrants:,} registrants, SenderFunction handler, unpaced"
            runs.append(_measure(counter, SendRun(label, registrants, None, 0, batch_size)))
        for receive in dict.fromkeys((batch_size, 1)):
            label = (
                f"{RATE_REGISTRANTS:,} registrants, L = {RATE_LIMIT:g}/s, {CONCURRENCY} consumers, "
                f"receives of up to {receive}"
                + (" (template BatchSize)" if receive == batch_size else " (what-if BatchSize 1)")
            )
            run = SendRun(label, RATE_REGISTRANTS, RATE_LIMIT, CONCURRENCY, receive, timeout=timeout)
            runs.append(_measure(counter, run))
        runs += [_measure(counter, run) for run in text_runs(batch_size, timeout)]
    return MorningReport(runs, batch_size, timeout, visibility, BATCH_SIZE)


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Powertools prints its metrics (EMF) to stdout after every invocation."""
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        yield


def _measure(counter: RequestCounter, run: SendRun) -> SendRun:
    from bench.texts import give_numbers, sms_sent, text_parameters
    from functions.dispatch.handler import lambda_handler as dispatch
    from infra.testkit.api import LambdaContext
    from infra.testkit.morning import add_registrants, pump
    from shared import clock, services

    print(f"bench:   {run.label} ...", file=sys.stderr, flush=True)
    try:
        with moto_stack(text_parameters(run)) as stack, _quiet_stdout():
            os.environ["SES_MAX_SEND_RATE"] = f"{run.limit or UNPACED:g}"
            os.environ["SMS_MAX_SEND_RATE"] = f"{run.text_limit or UNPACED:g}"
            os.environ["SENDER_MAX_CONCURRENCY"] = str(CONCURRENCY)
            services.reset()
            started = time.perf_counter()
            event_id = create_event("The morning send", days=14)
            addresses = add_registrants(event_id, run.registrants, now=clock.now())
            run.expected = {address.lower() for address in addresses}
            run.numbers = give_numbers(addresses, run.text_every)
            event = services.get().stores.events.get(event_id)
            assert event is not None
            send_moment = services.get().schedule.send_moment(event)
            clock.freeze(send_moment)
            services.reset()  # DispatchFunction and SenderFunction start in fresh containers
            outbox = _sent_messages()
            before, texts_before = len(outbox), len(sms_sent())
            run.setup_seconds = time.perf_counter() - started

            started = time.perf_counter()
            with counter.recording() as run.dispatch:
                answer = dispatch(
                    {"scheduled_time": send_moment.strftime("%Y-%m-%dT%H:%M:%SZ")}, LambdaContext()
                )
            run.dispatch_seconds = time.perf_counter() - started
            rows = answer.get("events", [])
            run.queued = sum(row["queued"] for row in rows)
            run.batch_items = math.ceil(run.queued / BATCH_SIZE)  # one SQS message each
            if run.queued != run.registrants:
                run.error = f"dispatch queued {run.queued} of {run.registrants}: {answer}"

            started = time.perf_counter()
            with counter.recording() as run.sending:
                if run.consumers == 0:
                    pump(stack, max_rounds=run.batch_items + 10)
                    run.per_consumer = [run.sending.requests[SEND_EMAIL]]
                    run.texts_per_consumer = [run.sending.requests[("sns", "Publish")]]
                else:
                    _drain(stack, run)
            run.send_seconds = time.perf_counter() - started
            run.delivered = _recipients(outbox[before:])
            run.texted = Counter(to for to, _body in sms_sent()[texts_before:])
    except Exception as error:  # a run that breaks is reported, and the bench goes on
        run.error = run.error or f"{type(error).__name__}: {error}"
        traceback.print_exc()
    return run


def _sent_messages() -> list[Any]:
    from infra.testkit.api import sent_messages

    return sent_messages()


def _recipients(messages: list[Any]) -> Counter[str]:
    """Emails per address, from what moto's SES accepted (each message counts once per address)."""
    counts: Counter[str] = Counter()
    for message in messages:
        for address in {addr.lower() for _name, addr in getaddresses(list(message.destinations)) if addr}:
            counts[address] += 1
    return counts


class _Drain:
    """What the consumer threads share: messages finished, the first error, when to stop."""

    def __init__(self, messages: int, deadline: float) -> None:
        self.remaining = messages
        self.deadline = deadline
        self.error = ""
        self.stop = threading.Event()
        self.lock = threading.Lock()
        # moto's ReceiveMessage is not atomic between threads (two receivers can split, or even
        # share, what is visible, by the luck of thread switches); SQS hands a message to one
        # receiver. One receive at a time makes the split deterministic: each takes what is there.
        self.receiving = threading.Lock()

    def finished(self, count: int) -> None:
        with self.lock:
            self.remaining -= count
            if self.remaining <= 0:
                self.stop.set()

    def fail(self, error: str) -> None:
        with self.lock:
            self.error = self.error or error
        self.stop.set()


def _drain(stack: Any, run: SendRun) -> None:
    """Two SenderFunction instances: each receives up to `receive_size` messages (one invocation,
    with SenderFunction's time budget), sends each batch item through its own paced JoinLinkSender,
    then deletes what it finished (as the event source does)."""
    from bench.texts import own_texts
    from shared import clock, services
    from shared.mail.jobs import read_job
    from shared.workflows.morning_send import JoinLinkSender
    from shared.workflows.sending import BatchRunner, Deadline, OutOfTime, Pacer

    app = services.get()
    base = app.runner  # SES's rate (GetAccount, else SES_MAX_SEND_RATE) / concurrency
    share = 1.0 / base.pacer.interval
    sqs = app.client("sqs")
    queue_url = stack.physical["OutboundQueue"]
    expected_seconds = run.registrants / (run.limit or UNPACED)
    expected_seconds += len(run.numbers) / run.text_limit if run.text_limit else 0.0
    state = _Drain(run.batch_items, time.monotonic() + 4 * expected_seconds + 60)
    run.per_consumer = [0] * run.consumers
    run.texts_per_consumer = [0] * run.consumers

    def consume(index: int) -> None:
        runner = BatchRunner(base.batches, base.transport, Pacer(share), lease=base.lease)
        s = app.stores
        texts = own_texts(app) if run.text_every else None  # its own Pacer at SMS_MAX_SEND_RATE / 2
        sender = JoinLinkSender(
            runner, s.events, s.registrations, s.people, app.mailer, app.schedule, lambda: texts
        )
        try:
            while not state.stop.is_set():
                if time.monotonic() > state.deadline:
                    state.fail(f"the queue did not drain: {state.remaining} messages left")
                    return
                with state.receiving:
                    received = sqs.receive_message(
                        QueueUrl=queue_url, MaxNumberOfMessages=run.receive_size, WaitTimeSeconds=0
                    ).get("Messages", [])
                if not received:
                    state.stop.wait(POLL_WAIT)  # wakes at once when the last message is done
                    continue
                ends = time.monotonic() + run.timeout  # this invocation's deadline

                def remaining(ends: float = ends) -> float:
                    return ends - time.monotonic()

                for message in received:
                    try:
                        job = read_job(message["Body"])
                        assert job.kind == "join_links"
                        result = sender.send_batch(job, clock.now(), Deadline(remaining))
                    except OutOfTime:
                        # Given back, to wait out the queue's visibility timeout: not worth waiting for here.
                        state.fail(
                            f"an invocation of {len(received)} messages ran out of its {run.timeout:g} s: "
                            "the sender gave the rest back until the queue's visibility timeout"
                        )
                        return
                    run.per_consumer[index] += result.sent
                    run.texts_per_consumer[index] += result.texts.sent if result.texts else 0
                entries = [
                    {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(received)
                ]
                sqs.delete_message_batch(QueueUrl=queue_url, Entries=entries)
                state.finished(len(received))
        except Exception as error:
            state.fail(f"consumer {index + 1}: {type(error).__name__}: {error}")

    threads = [
        threading.Thread(target=consume, args=(n,), name=f"sender-{n + 1}") for n in range(run.consumers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if state.error:
        run.error = state.error


# --- tables and findings ---------------------------------------------------------------------------


def _seconds(run: SendRun) -> str:
    return f"{run.setup_seconds:.0f} + {run.dispatch_seconds:.1f} + {run.send_seconds:.1f}"


def counts_table(report: MorningReport) -> Table:
    table = Table(
        "Morning send: AWS requests over dispatch + sending (exact: botocore hooks under moto; "
        f"targets per recipient: SES SendEmail {SES_TARGET:g}, DynamoDB <= {DYNAMODB_TARGET:g})",
        [
            "run",
            "emails (moto SES)",
            "SES",
            "SES/recipient",
            "DynamoDB",
            "DynamoDB/recipient",
            "SQS",
            "other",
            "s: setup + dispatch + send",
            "target",
        ],
        numeric={2, 3, 4, 5, 6},
    )
    for run in report.email_runs:
        tally = run.tally
        other = tally.total - sum(tally.by_service(s) for s in ("sesv2", "dynamodb", "sqs"))
        others = ", ".join(
            f"{op} x{n}" if n > 1 else op
            for (service, op), n in tally.requests.items()
            if service not in ("sesv2", "dynamodb", "sqs")
        )
        ses_extra = tally.by_service("sesv2") - run.sends
        target = "FAILED: " + run.error if run.error else ("met" if run.counts_met else "MISSED")
        table.add(
            run.label,
            run.delivery(),
            f"{tally.by_service('sesv2'):,}",
            f"{run.sends_per_recipient:.3f}" + (f" (+{ses_extra} GetAccount)" if ses_extra else ""),
            f"{tally.by_service('dynamodb'):,}",
            f"{run.per_recipient('dynamodb'):.3f}",
            f"{tally.by_service('sqs'):,}",
            f"{other} ({others})" if other else "0",
            _seconds(run),
            target,
        )
    return table


def rate_table(report: MorningReport) -> Table:
    table = Table(
        f"Morning send: achieved send rate (SES SendEmail per second, first send to last; target >= "
        f"{RATE_TARGET:g} of the imposed limit L; each of {CONCURRENCY} consumers paces itself at "
        f"L/{CONCURRENCY})",
        [
            "run",
            "L (emails/s)",
            "sent by each consumer",
            "first to last send, s",
            "sends/s",
            "of L",
            "target",
        ],
        numeric={1, 3, 4, 5},
    )
    for run in report.email_runs:
        fraction = run.fraction
        if run.error:
            target = "FAILED: " + run.error
        elif fraction is None:
            target = "unpaced: the machine's throughput"
        else:
            target = f">= {RATE_TARGET:g}: {'met' if fraction >= RATE_TARGET else 'MISSED'}"
        table.add(
            run.label,
            f"{run.limit:g}" if run.limit else "unpaced",
            " / ".join(f"{n:,}" for n in run.per_consumer),
            f"{run.send_span:.1f}",
            f"{run.send_rate:.1f}",
            f"{fraction:.2f}" if fraction is not None else "-",
            target,
        )
    return table


def _breakdown(tally: Tally, service: str) -> str:
    return ", ".join(f"{op} x{n:,}" for (svc, op), n in tally.requests.items() if svc == service) or "none"


def _scaling(run: SendRun, count: int) -> str:
    if count == run.registrants:
        return "per recipient"
    if count == run.batch_items:
        return f"per batch item of {BATCH_SIZE}"
    return "per run"


def _cost_lines(run: SendRun) -> list[str]:
    """DynamoDB and SES by purpose and phase, grouped by how they scale."""
    lines = []
    for phase, tally in (("dispatch", run.dispatch), ("sending", run.sending)):
        groups: dict[str, list[str]] = {}
        for (service, purpose), count in tally.purposes.items():
            if service not in ("dynamodb", "sesv2"):
                continue
            name = purpose if service == "dynamodb" else f"SES {purpose}"
            groups.setdefault(_scaling(run, count), []).append(f"{name} x{count:,}")
        parts = [f"{scale}: {', '.join(names)}" for scale, names in groups.items()]
        lines.append(f"{phase}: " + "; ".join(parts))
    return lines


def morning_findings(report: MorningReport) -> list[str]:
    notes = []
    for run in report.handler_runs:
        tally = run.tally
        dynamodb = tally.by_service("dynamodb")
        ses_met = run.sends_per_recipient == SES_TARGET
        dynamodb_met = run.per_recipient("dynamodb") <= DYNAMODB_TARGET
        notes.append(
            f"{run.label}: {run.delivery()}; SES SendEmail {run.sends_per_recipient:.3f} per recipient "
            f"({'met' if ses_met else 'MISSED'}), DynamoDB {run.per_recipient('dynamodb'):.3f} "
            f"({'met' if dynamodb_met else 'MISSED'}: {dynamodb:,} requests). Exactly, "
            + " | ".join(_cost_lines(run))
            + f". SQS: {_breakdown(tally, 'sqs')} (SendMessageBatch is DispatchFunction's; receives and "
            "deletes are the event source mapping's, emulated)."
        )
    if report.handler_runs and report.rate_runs:
        unpaced = report.unpaced
        share = RATE_LIMIT / unpaced if unpaced else math.inf
        seen = ", ".join(f"{r.send_rate:.0f}/s ({r.registrants:,})" for r in report.handler_runs)
        notes.append(
            f"Unpaced, this machine sends {seen} through the handler under moto (rendering each email, "
            f"moto's SES and DynamoDB, one at a time: one process, one GIL); "
            f"L = {RATE_LIMIT:g}/s is {share:.0%} of the slower"
            + (
                ", so the pacer, not the machine, sets the rate."
                if share <= 0.5
                else ": TOO CLOSE, the machine may be the bottleneck; the rate figures are not conclusive."
            )
        )
    for run in report.rate_runs:
        fraction = run.fraction or 0.0
        if fraction >= RATE_TARGET or run.error:
            continue
        shares = " / ".join(f"{n:,}" for n in run.per_consumer)
        note = f"{run.label} MISSES the rate target: {fraction:.2f} of L (sent per consumer: {shares})."
        if 0 in run.per_consumer and run.receive_size >= run.batch_items:
            note += (
                f" Dispatch queues one message per batch item of {report.dispatch_batch} "
                f"({run.batch_items} for {run.registrants:,} people) and SenderFunction's event source "
                f"hands an invocation up to {report.template_batch_size} (template.yaml BatchSize), so the "
                f"first receive took them all: one instance sent everything at its share L/{CONCURRENCY} "
                "while the other idled. No request count is at fault: the rate is lost to the split. "
                "Lambda's pollers may or may not split a small queue; this is the worst case, and an "
                f"event of <= {report.dispatch_batch} registrants is one message, always one instance."
            )
        elif max(run.per_consumer) > 1.1 * run.sends / run.consumers:
            note += (
                " The shares were uneven: once one instance had finished its messages, the other "
                f"sent the rest alone at L/{CONCURRENCY}."
            )
        notes.append(note)
    fixed = [r for r in report.rate_runs if r.receive_size == 1 and not r.error]
    worst = [r for r in report.rate_runs if r.receive_size > 1 and (r.fraction or 0) < RATE_TARGET]
    if fixed and worst:
        one = fixed[0]
        per_invocation = report.template_batch_size * report.dispatch_batch
        usable = report.sender_timeout - TIME_MARGIN_SECONDS
        notes.append(
            "What would fix it (outside bench/, not changed here): `BatchSize: 1` on SenderFunction's "
            "`OutboundMessages` event, so an invocation holds one batch item and both instances stay "
            f"busy while two or more remain: {one.fraction or 0:.2f} of L in the what-if row (sent per "
            f"consumer: {' / '.join(f'{n:,}' for n in one.per_consumer)}), with the same DynamoDB and SES "
            "requests per recipient (SQS requests are per batch item either way). It also keeps each "
            f"invocation inside its time: with BatchSize {report.template_batch_size} an "
            f"invocation may hold {per_invocation:,} emails, which at a share of S/{CONCURRENCY} (S: SES's "
            f"maximum rate) fit in SenderFunction's {report.sender_timeout} s, less the sender's "
            f"{TIME_MARGIN_SECONDS:g} s margin, only if S >= {CONCURRENCY * per_invocation / usable:.1f}/s "
            f"(at L = {RATE_LIMIT:g}/s here they take {per_invocation * CONCURRENCY / RATE_LIMIT:.0f} s); "
            "otherwise the sender gives the rest back and they wait out the queue's "
            f"{report.visibility_timeout} s visibility timeout. One item of {report.dispatch_batch} needs "
            f"S >= {CONCURRENCY * report.dispatch_batch / usable:.2f}/s. It does not help an event of "
            f"<= {report.dispatch_batch} registrants (one message); smaller batch items would, at 3 "
            "DynamoDB requests per item (lease, event, finish) plus one BatchGetItem per 100 people."
        )
    for run in report.handler_runs:
        notes.append(
            f"{run.label}: {run.setup_seconds + run.dispatch_seconds + run.send_seconds:.0f} s under moto "
            f"(set-up {run.setup_seconds:.0f} s, already BatchWriteItems of 25; dispatch "
            f"{run.dispatch_seconds:.1f} s; sending {run.send_seconds:.1f} s, about "
            f"{1000 * run.send_seconds / run.registrants:.0f} ms per email, mostly rendering it and "
            "moto's own SES and DynamoDB)."
        )
    for run in report.email_runs:
        if run.error:
            notes.append(f"{run.label} FAILED: {run.error}")
    return notes


MORNING_METHOD = f"""\
- **Morning send.** Each run is a fresh in-process moto stack (as above) with one event and its
  registrants written straight into the table in BatchWriteItems of 25 (set-up: not counted). The
  clock is frozen at the event's send moment, the services are reset (fresh containers), and the
  real DispatchFunction handler is invoked as the scheduler does (`{{"scheduled_time": ...}}`).
  Everything from there is counted, dispatch and sending, every service; DynamoDB requests are
  also classified by what they are for (their `UpdateExpression`, key or index). Handler runs drain
  the queue through the real SenderFunction handler the way the event source does (receives of up
  to 10, delete what succeeded: `infra.testkit.morning.pump`), with `SES_MAX_SEND_RATE` at
  {UNPACED:,.0f}, so nothing is paced: their rate is the machine's unpaced throughput. Rate runs
  set `SES_MAX_SEND_RATE` = L and `SENDER_MAX_CONCURRENCY` = {CONCURRENCY} and drain with
  {CONCURRENCY} threads, one per SenderFunction instance, each with its own `JoinLinkSender`,
  `BatchRunner` and `Pacer` at L/{CONCURRENCY}, built as `shared.services` builds them
  (moto has no SES GetAccount,
  so the configured rate stands). Each thread receives up to the event source's batch size
  (template.yaml, or 1 in the what-if row), sends each batch item with `JoinLinkSender.send_batch`,
  deletes them with DeleteMessageBatch, and when the queue is empty waits {POLL_WAIT:g} s before
  receiving again. Receives are taken one at a time (moto's are not atomic between threads), so
  whoever receives first takes all that is visible: for a small queue, the worst case of how
  Lambda's pollers may split it. The rate is (SendEmail requests - 1) / (time of the last - time
  of the first), from the request hooks, divided by L. "Exactly once" compares moto SES's
  `sent_messages` with the registrants' addresses.
"""
