"""The morning text at scale (issue 12), under moto: the AWS requests per texted recipient, that
texts leave the emails' requests unchanged, and the achieved text rate against SMS_MAX_SEND_RATE.

The runs are `bench.morning.SendRun`s measured by `bench.morning._measure`, with SmsEnabled=true
in the template's parameters (so every function gets SMS_ENABLED=true, as deployed) and some
registrants holding a distinct UK mobile number and consent (`give_numbers`, set-up, not counted):
- Handler runs (200 registrants: texts off, then on with every one agreed, then one in five):
  drained through the real SenderFunction handler, SES and SNS unpaced. Each text's requests are
  named by `bench.morning.classify`; the email side (DynamoDB, SES and SQS requests that are not a
  text's) per recipient is compared with the texts-off run. 200, not 1,000: a text costs about as
  much time under moto as an email, and the counts per texted recipient do not change with the
  number of registrants (two batch items of 100 show everything per batch item).
- Rate run (400 registrants, all agreed): SMS_MAX_SEND_RATE = L, SENDER_MAX_CONCURRENCY = 2 and two
  consumer threads as the email rate runs, each with its own `MorningTexts` paced at L/2 (built as
  `shared.services` builds it), SES unpaced so that the texts set the pace; the rate is SNS Publish
  requests per wall-clock second, first to last, divided by L.
Texts are read back from moto's SNS as the local stack's `GET /_local/sms` reads them
(`infra.local.sms.SmsInbox`): every agreeing number must have exactly one, nobody else any.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from typing import Any

from bench.morning import CONCURRENCY, RATE_TARGET, MorningReport, SendRun, _seconds
from bench.report import Table

TEXT_REGISTRANTS = 200  # two batch items of 100 (docs/decisions.md: the bench's time)
TEXT_SHARES = (1, 5)  # every registrant agreed to texts; one in five did
TEXT_RATE_REGISTRANTS = 400  # 4 batch items of 100: two for each consumer, emails between texts
# L, texts per second (SMS_MAX_SEND_RATE): a text costs this machine some 25-50 ms under moto, so
# 20/s would need most of the one GIL the two consumers share, and the machine would set the rate.
TEXT_RATE_LIMIT = 10.0
PUBLISH = ("sns", "Publish")
OPTED_OUT = ("sns", "CheckIfPhoneNumberIsOptedOut")
# What one texted recipient costs, by purpose (bench.morning.classify names each UpdateItem).
TEXT_PURPOSES = (
    PUBLISH,
    OPTED_OUT,
    ("dynamodb", "UpdateItem text claim"),
    ("dynamodb", "UpdateItem join code"),
    ("dynamodb", "UpdateItem mark text sent"),
)
TEXT_ONLY = {*TEXT_PURPOSES, ("dynamodb", "UpdateItem mark number texted already")}
EMAIL_SERVICES = ("dynamodb", "sesv2", "sqs")
SNS_TARGET = 2  # per texted recipient: one Publish, one opted-out check
DYNAMODB_TEXT_TARGET = 3  # per texted recipient: claim, join code, mark sent
RATE_CEILING = 1.0  # never above SMS_MAX_SEND_RATE


def text_runs(batch_size: int, timeout: float) -> list[SendRun]:
    off = SendRun(
        f"{TEXT_REGISTRANTS:,} registrants, texts off (the baseline), SenderFunction handler, unpaced",
        TEXT_REGISTRANTS,
        None,
        0,
        batch_size,
        text_baseline=True,
    )
    runs = [
        off,
        *[
            SendRun(
                f"{TEXT_REGISTRANTS:,} registrants, texts on, {_share(every)} agreed, "
                "SenderFunction handler, unpaced",
                TEXT_REGISTRANTS,
                None,
                0,
                batch_size,
                text_every=every,
            )
            for every in TEXT_SHARES
        ],
    ]
    label = (
        f"{TEXT_RATE_REGISTRANTS:,} registrants, texts on, all agreed, SMS L = {TEXT_RATE_LIMIT:g}/s, "
        f"SES unpaced, {CONCURRENCY} consumers, receives of up to {batch_size} (template BatchSize)"
    )
    run = SendRun(label, TEXT_RATE_REGISTRANTS, None, CONCURRENCY, batch_size, timeout=timeout)
    run.text_every, run.text_limit = 1, TEXT_RATE_LIMIT
    return [*runs, run]


def _share(every: int) -> str:
    return "every one" if every == 1 else f"1 in {every}"


def text_parameters(run: SendRun) -> Mapping[str, str]:
    """The template's parameters for this run: SmsEnabled=true when it texts."""
    from infra.testkit import PARAMETERS

    return {**PARAMETERS, "SmsEnabled": "true"} if run.text_every else PARAMETERS


def give_numbers(addresses: list[str], every: int) -> set[str]:
    """One registrant in `every` gets a distinct UK mobile number and consent, as a sign-up with
    `sms_consent` writes them (written straight into the table: set-up). Returns the numbers."""
    if not every:
        return set()
    from infra.testkit import raw_table
    from shared import services

    app = services.get()
    chosen = {app.person_id_for(a): uk_mobile(n) for n, a in enumerate(addresses) if n % every == 0}
    people = app.stores.people.get_many(chosen)
    raw_table.put_people(
        people[pid].model_copy(update={"phone": number, "sms_consent": True})
        for pid, number in chosen.items()
    )
    return set(chosen.values())


def uk_mobile(n: int) -> str:
    """The n-th distinct UK mobile number, +447400nnnnnn, never ending in 99: moto's SNS answers
    CheckIfPhoneNumberIsOptedOut true for exactly those (its stand-in for an opted-out list)."""
    return f"+447400{n // 99:04d}{n % 99:02d}"


def sms_sent() -> list[tuple[str, str]]:
    """Every text moto's SNS took in this stack, (number, body), in send order."""
    from infra.local.sms import SmsInbox
    from infra.testkit import ACCOUNT, REGION

    return [(m["to"], m["body"]) for m in SmsInbox(ACCOUNT, REGION).messages()]


def own_texts(app: Any) -> Any:
    """One SenderFunction instance's MorningTexts, with its own Pacer at SMS_MAX_SEND_RATE divided
    by SENDER_MAX_CONCURRENCY, from the parts `shared.services` builds."""
    from shared.workflows.sending import Pacer
    from shared.workflows.texting import MorningTexts, TextSending

    base = app.morning_texts
    # The SNS client is made now, as a warm instance holds it: made on the first text, between its
    # pacer's wait and its Publish, it would delay only the first Publish and so shorten the span
    # the rate is measured over (199 texts at L = 10/s measured 1.01 of L that way).
    app.client("sns")
    sending = TextSending(base.sending.transport, Pacer(1.0 / base.sending.pacer.interval))
    return MorningTexts(sending, base.registrations, base.codes, base.claims, base.links)


# --- what a run shows -----------------------------------------------------------------------------


def texts_exactly_once(run: SendRun) -> bool:
    return set(run.texted) == run.numbers and all(n == 1 for n in run.texted.values())


def text_delivery(run: SendRun) -> str:
    if texts_exactly_once(run):
        return f"all {len(run.numbers):,} numbers exactly once"
    missing = len(run.numbers - set(run.texted))
    twice = sum(1 for n in run.texted.values() if n > 1)
    strangers = len(set(run.texted) - run.numbers)
    return (
        f"{len(run.texted):,} got one or more; {missing} missing, {twice} twice or more, "
        f"{strangers} not agreed"
    )


def per_texted(run: SendRun, key: tuple[str, str]) -> float:
    return run.tally.purposes[key] / len(run.numbers) if run.numbers else 0.0


def text_side(run: SendRun, service: str | None = None) -> int:
    return sum(n for key, n in run.tally.purposes.items() if key in TEXT_ONLY and service in (None, key[0]))


def email_side(run: SendRun) -> Counter[str]:
    """DynamoDB, SES and SQS requests that are not a text's, per service (whole run)."""
    counts: Counter[str] = Counter()
    for (service, purpose), n in run.tally.purposes.items():
        if service in EMAIL_SERVICES and (service, purpose) not in TEXT_ONLY:
            counts[service] += n
    return counts


def email_ratio(run: SendRun, off: SendRun | None, service: str | None = None) -> float | None:
    """The email side's requests per recipient, texts on / texts off (same registrants)."""
    if off is None or off.registrants != run.registrants:
        return None
    on_side, off_side = email_side(run), email_side(off)
    on_n = on_side[service] if service else sum(on_side.values())
    off_n = off_side[service] if service else sum(off_side.values())
    return (on_n / run.registrants) / (off_n / off.registrants) if off_n else None


def baseline(report: MorningReport, run: SendRun) -> SendRun | None:
    """The texts-off handler run of as many registrants, in the same invocation."""
    if run.consumers or run.text_baseline:
        return None  # drained by consumer threads: its SQS requests are not the handler's
    return next(
        (r for r in report.text_runs if r.text_baseline and r.registrants == run.registrants and not r.error),
        None,
    )


def counts_met(run: SendRun, ratio: float | None) -> bool:
    sns = text_side(run, "sns") / len(run.numbers) if run.numbers else math.inf
    dynamodb = text_side(run, "dynamodb") / len(run.numbers) if run.numbers else math.inf
    return (
        texts_exactly_once(run)
        and run.exactly_once
        and per_texted(run, PUBLISH) == 1
        and sns <= SNS_TARGET
        and dynamodb <= DYNAMODB_TEXT_TARGET
        and (ratio is None or round(ratio, 3) == 1.0)
    )


def publish_span(run: SendRun) -> float:
    tally = run.sending
    return tally.last_at[PUBLISH] - tally.first_at[PUBLISH] if PUBLISH in tally.first_at else 0.0


def text_rate(run: SendRun) -> float:
    """SNS Publish requests per second, first to last: n texts span n - 1 intervals."""
    span = publish_span(run)
    return (run.sending.requests[PUBLISH] - 1) / span if span > 0 else 0.0


def rate_met(fraction: float) -> bool:
    return RATE_TARGET <= fraction <= RATE_CEILING


# --- tables and findings ---------------------------------------------------------------------------


def texts_table(report: MorningReport) -> Table:
    table = Table(
        "Morning text: AWS requests per texted recipient over dispatch + sending (exact: botocore hooks "
        f"under moto; targets per texted recipient: SNS Publish 1, SNS <= {SNS_TARGET}, DynamoDB <= "
        f"{DYNAMODB_TEXT_TARGET}; the emails' requests per recipient as with texts off: ratio 1.000)",
        [
            "run",
            "texts (moto SNS)",
            "emails (moto SES)",
            *[purpose for _service, purpose in TEXT_PURPOSES],
            "SNS/texted",
            "DynamoDB/texted",
            "email side/recipient, texts on / off",
            "s: setup + dispatch + send",
            "target",
        ],
        numeric={3, 4, 5, 6, 7, 8, 9},
    )
    for run in report.text_runs:
        if run.text_baseline:
            table.add(run.label, "none (texts off)", run.delivery(), *["-"] * (len(TEXT_PURPOSES) + 2))
            table.rows[-1] += [
                f"{sum(email_side(run).values()) / run.registrants:.3f} (texts off)",
                _seconds(run),
                "FAILED: " + run.error if run.error else ("baseline" if run.exactly_once else "MISSED"),
            ]
            continue
        off = baseline(report, run)
        ratio = email_ratio(run, off)
        texted = len(run.numbers) or 1
        target = "FAILED: " + run.error if run.error else ("met" if counts_met(run, ratio) else "MISSED")
        if off is not None and ratio is not None:
            on_n, off_n = sum(email_side(run).values()), sum(email_side(off).values())
            compared = f"{on_n / run.registrants:.3f} / {off_n / off.registrants:.3f} = {ratio:.3f}"
        else:
            compared = f"{sum(email_side(run).values()) / run.registrants:.3f} (no texts-off run of as many)"
        table.add(
            run.label,
            text_delivery(run),
            run.delivery(),
            *[f"{per_texted(run, key):.3f}" for key in TEXT_PURPOSES],
            f"{text_side(run, 'sns') / texted:.3f}",
            f"{text_side(run, 'dynamodb') / texted:.3f}",
            compared,
            _seconds(run),
            target,
        )
    return table


def text_rate_table(report: MorningReport) -> Table:
    table = Table(
        f"Morning text: achieved text rate (SNS Publish per second, first text to last; target <= "
        f"{RATE_CEILING:g} and >= {RATE_TARGET:g} of the imposed limit L = SMS_MAX_SEND_RATE; each of "
        f"{CONCURRENCY} consumers paces its texts at L/{CONCURRENCY}; SES unpaced)",
        [
            "run",
            "L (texts/s)",
            "texted by each consumer",
            "first to last text, s",
            "texts/s",
            "of L",
            "target",
        ],
        numeric={1, 3, 4, 5},
    )
    for run in report.text_runs:
        if not run.text_limit:
            continue
        fraction = text_rate(run) / run.text_limit
        if run.error:
            target = "FAILED: " + run.error
        else:
            verdict = "met" if rate_met(fraction) else "MISSED"
            target = f"<= {RATE_CEILING:g} and >= {RATE_TARGET:g}: {verdict}"
        table.add(
            run.label,
            f"{run.text_limit:g}",
            " / ".join(f"{n:,}" for n in run.texts_per_consumer),
            f"{publish_span(run):.1f}",
            f"{text_rate(run):.1f}",
            f"{fraction:.2f}",
            target,
        )
    return table


def _others(run: SendRun) -> str:
    tally = run.tally
    parts = [
        f"{service} {op} x{n}"
        for (service, op), n in tally.requests.items()
        if service not in (*EMAIL_SERVICES, "sns")
    ]
    return ", ".join(parts) or "none"


def text_findings(report: MorningReport) -> list[str]:
    notes = []
    for run in report.text_runs:
        if run.error:
            notes.append(f"{run.label} FAILED: {run.error}")
            continue
        if run.text_baseline:
            continue
        texted = len(run.numbers)
        exact = ", ".join(
            f"{purpose} x{run.tally.purposes[(service, purpose)]:,}" for service, purpose in TEXT_PURPOSES
        )
        note = (
            f"{run.label}: texts: {text_delivery(run)}; emails: {run.delivery()}. For {texted:,} texted "
            f"recipients, exactly: {exact} (one of each per texted recipient; none for those who did "
            f"not agree). Other services: {_others(run)}."
        )
        off = baseline(report, run)
        if off is not None:
            ratios = ", ".join(
                f"{label} {ratio:.3f}"
                for label, service in (("DynamoDB", "dynamodb"), ("SES", "sesv2"), ("SQS", "sqs"))
                if (ratio := email_ratio(run, off, service)) is not None
            )
            note += (
                f" The email side per recipient, texts on / off ({off.label}): {ratios}: texts add their "
                "own requests and change none of the emails' (the batch's event, registrations and "
                "people are read once for both)."
            )
        notes.append(note)
    notes += _rate_findings(report)
    return notes


def _rate_findings(report: MorningReport) -> list[str]:
    notes = []
    for run in report.text_runs:
        if not run.text_limit or run.error:
            continue
        fraction = text_rate(run) / run.text_limit
        span = publish_span(run)
        ideal = (run.sending.requests[PUBLISH] - 1) / run.text_limit  # first to last at exactly L
        items_each = run.batch_items / CONCURRENCY
        notes.append(
            f"{run.label}: {text_rate(run):.1f} texts/s over {span:.1f} s, {fraction:.2f} of L "
            f"({'met' if rate_met(fraction) else 'MISSED'}, never above it); at exactly L the first to "
            f"the last text take {ideal:.1f} s. Each consumer sends a batch item's emails first and its "
            "texts after them (shared/workflows/morning_send.py) and does not text meanwhile; the pacer "
            "spaces each text from the one before, so it does not make that time up. The other "
            f"{span - ideal:.1f} s are about the time each consumer spent on the emails of its second "
            f"batch item ({items_each:g} items each; the first items' emails come before the first "
            "text), here unpaced under moto. With SES paced as well, an instance's texts go at L/"
            f"{CONCURRENCY} only for the share of its time its emails leave them: the morning send of "
            "N people then takes about N/S + N/T (S: SES's rate, T: SmsMaxSendRate), not the longer of "
            "the two."
        )
    if report.text_runs:
        notes.append(_invocation_finding(report))
    return notes


def _invocation_finding(report: MorningReport) -> str:
    """Does one invocation (one batch item: its emails, then its texts) fit SenderFunction's time?"""
    from infra.local.resources import load_template
    from shared.domain.bulk import BATCH_SIZE
    from shared.workflows.sending import TIME_MARGIN_SECONDS

    parameter = load_template()["Parameters"]["SmsMaxSendRate"]
    default, minimum = float(parameter["Default"]), float(parameter["MinValue"])
    usable = report.sender_timeout - TIME_MARGIN_SECONDS
    per_item = BATCH_SIZE * CONCURRENCY  # seconds x rate: one item's sends at a share rate/CONCURRENCY

    def least_sms_rate(ses_rate: float) -> float:
        left = usable - per_item / ses_rate
        return per_item / left if left > 0 else math.inf

    return (
        f"One SenderFunction invocation holds one batch item (BatchSize 1): up to {BATCH_SIZE} emails "
        f"at SES's rate S/{CONCURRENCY}, then up to {BATCH_SIZE} texts at T/{CONCURRENCY} (T: "
        f"SmsMaxSendRate), in {report.sender_timeout} s less the sender's {TIME_MARGIN_SECONDS:g} s "
        f"margin, so both fit only if {per_item}/S + {per_item}/T <= {usable:g}. The texts alone take "
        f"{per_item / default:.0f} s at T's default {default:g}/s and {per_item / minimum:.0f} s at "
        f"its MinValue {minimum:g}/s; with S = 14/s T must be >= {least_sms_rate(14):.1f}/s, with "
        f"S = 2/s (the lowest SES rate template.yaml's BatchSize comment says fits) >= "
        f"{least_sms_rate(2):.1f}/s. Below that the batch runner gives the rest of the item back "
        f"(OutOfTime) and its texts wait out the queue's {report.visibility_timeout} s visibility "
        "timeout before they resume: late, not lost, nor sent twice. Not changed here (reported)."
    )


def texts_method() -> str:
    return f"""\
- **Morning text.** As the morning send, with SmsEnabled=true in the template's parameters and one
  registrant in N holding a distinct UK mobile number (`+447400nnnnnn`, none ending in 99, which
  moto's SNS calls opted out) and consent, written straight into the table (set-up). Handler runs
  ({TEXT_REGISTRANTS:,} registrants: texts off, then on with every one agreed, then 1 in 5) drain
  through the real SenderFunction handler with `SES_MAX_SEND_RATE` and `SMS_MAX_SEND_RATE`
  unpaced; each text's requests are named (`bench.morning.classify`: SNS Publish, SNS
  CheckIfPhoneNumberIsOptedOut, and the UpdateItems that claim the number for the event, write
  the `/j/` code and mark the text sent) and counted per texted recipient, and the rest of the
  DynamoDB, SES and SQS requests (the email side) per recipient is divided by the same in the
  texts-off run (SmsEnabled=false) of as many registrants in the same invocation. The rate run
  ({TEXT_RATE_REGISTRANTS:,} registrants, all agreed, 4 batch items) sets `SMS_MAX_SEND_RATE` = L =
  {TEXT_RATE_LIMIT:g} and `SENDER_MAX_CONCURRENCY` = {CONCURRENCY}, SES unpaced, and drains with
  {CONCURRENCY} consumer threads as the email rate runs, each with its own `MorningTexts` and
  `Pacer` at L/{CONCURRENCY} (its SNS client made before its first text); the rate is (SNS
  Publish requests - 1) / (time of the last - time of the first), divided by L. "Exactly once"
  reads moto's SNS (`infra.local.sms.SmsInbox`, as `GET /_local/sms` does): every agreeing number
  exactly one text, no other number any.
"""
