"""The docs on text messages (issue 12) name the template's Sms* parameters, with their defaults,
and their cost figures recompute from the stated price per text and section 9's scales."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parents[2] / "docs"
DEPLOY = (DOCS / "deploy.md").read_text(encoding="utf-8")
SMS_PARAMETERS = {
    "SmsEnabled",
    "SmsCountries",
    "SmsSenderId",
    "SmsOriginationNumber",
    "SmsMaxSendRate",
    "SmsSpendAlertUsd",
}
DEFAULTS = {
    "SmsEnabled": "false",
    "SmsCountries": "GB",
    "SmsSenderId": "CoProduce",
    "SmsOriginationNumber": "",
    "SmsMaxSendRate": "10",
    "SmsSpendAlertUsd": "0.8",
}
SMS_NAME = re.compile(r"`(Sms[A-Z][A-Za-z]*)")
CELL = re.compile(r"(1 in (\d+)|everyone): ([\d,]+) texts: \$([\d,]+\.\d\d)")


def _section(title: str) -> str:
    start = DEPLOY.index(f"## {title}")
    end = DEPLOY.find("\n## ", start + 1)
    return DEPLOY[start : end if end != -1 else None]


def _number(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def _first(pattern: str, text: str) -> re.Match[str]:
    found = re.search(pattern, text, re.MULTILINE)
    assert found is not None, pattern
    return found


COSTS = _section("9. What it costs")
TEXTS = _section("12. Text messages (SMS), when you turn them on")
PRICE = _number(_first(r"\| \$(\d+\.\d+) per UK text \(assumed\) \|", COSTS)[1])


def _scales() -> list[tuple[int, int]]:
    """Section 9's two scales, from its table's header: (events, sign-ups per event)."""
    header = next(line for line in COSTS.splitlines() if line.startswith("| item |"))
    found = [(int(e), int(_number(s))) for e, s in re.findall(r"(\d+) events? of ([\d,]+) sign-ups", header)]
    assert found == [(1, 300), (20, 5000)], header  # the guide's scales, as the issue asks
    return found


def test_the_docs_name_exactly_the_templates_sms_parameters(
    sam_template: dict[str, Any],
) -> None:
    assert set(SMS_NAME.findall(TEXTS)) - {"SmsSpendAlarm"} == SMS_PARAMETERS
    everywhere = set()
    for doc in DOCS.glob("*.md"):
        everywhere |= set(SMS_NAME.findall(doc.read_text(encoding="utf-8")))
    everywhere -= {"SmsFailed", "SmsSpendAlarm"}  # the transport's exception and an alarm
    assert everywhere == SMS_PARAMETERS  # no other doc names one that does not exist
    in_template = {name for name in sam_template["Parameters"] if name.startswith("Sms")}
    assert in_template == SMS_PARAMETERS, in_template


def test_the_defaults_the_guide_states_are_the_templates(sam_template: dict[str, Any]) -> None:
    rows = re.findall(r"^\| `(Sms[A-Za-z]+)` \| (?:`([^`]*)`|empty) \|", TEXTS, re.MULTILINE)
    stated = dict(rows)
    assert stated == DEFAULTS
    for name, parameter in sam_template["Parameters"].items():
        if name in SMS_PARAMETERS:
            assert str(parameter.get("Default", "")).lower() == stated[name].lower(), name
    assert set(stated) == {name for name in sam_template["Parameters"] if name.startswith("Sms")}


def test_the_sms_row_of_the_cost_table_recomputes_from_the_price_and_the_scales() -> None:
    row = next(line for line in COSTS.splitlines() if line.startswith("| SMS text messages"))
    cells = row.split("|")[4:6]  # the two scales' columns, after item, unit price and fixed
    for (events, signups), cell in zip(_scales(), cells, strict=True):
        found = CELL.findall(cell)
        assert [case.split(":")[0] for case, *_ in found] == ["1 in 5", "everyone"], cell
        for _case, share, texts, cost in found:
            asking = events * signups // (int(share) if share else 1)
            assert _number(texts) == asking, cell
            assert _number(cost) == asking * PRICE, cell


def test_the_text_section_repeats_the_same_price_and_costs() -> None:
    assert f"**${PRICE} per UK text**" in TEXTS
    header = _first(r"^\| scale \| 1 in (\d+) ask \| everyone asks \|$", TEXTS)
    rows = re.findall(
        r"^\| (\d+) events? of ([\d,]+) sign-ups "
        r"\| ([\d,]+) texts: \$([\d,.]+) \| ([\d,]+) texts: \$([\d,.]+) \|$",
        TEXTS,
        re.MULTILINE,
    )
    assert [(int(r[0]), int(_number(r[1]))) for r in rows] == _scales()
    for events, signups, some, some_cost, all_, all_cost in rows:
        total = int(events) * int(_number(signups))
        assert _number(some) == total // int(header[1]) and _number(all_) == total
        assert _number(some_cost) == _number(some) * PRICE
        assert _number(all_cost) == _number(all_) * PRICE


def test_the_spend_limit_the_totals_and_the_ratio_to_email_follow_from_the_price() -> None:
    assert "**$1.00 (USD) a month**" in TEXTS
    assert f"about {Decimal('1.00') / PRICE:.0f} texts" in TEXTS
    totals = _first(
        r"^\| \*\*total\*\* \| \| \*\*\$[\d.]+\*\* "
        r"\| \*\*about \$([\d.]+)\*\* \| \*\*about \$([\d,]+)\*\* \|$",
        COSTS,
    )
    (small, large) = (_number(totals[1]), _number(totals[2]))
    (events, signups), (many_events, many_signups) = _scales()
    small_texts = events * signups // 5 * PRICE
    large_texts = many_events * many_signups // 5 * PRICE
    assert f"about ${small + small_texts:.2f}" in COSTS
    assert f"about ${large + large_texts:,.0f}" in COSTS
    ses = _number(_first(r"\| SES email \| \$(\d+\.\d+) per 1,000 \|", COSTS)[1])
    decisions = (DOCS / "decisions.md").read_text(encoding="utf-8")
    assert f"about {PRICE / (ses / 1000):.0f} times an email" in decisions
    assert f"an assumed\n  ${PRICE} per UK text" in decisions
