"""The API's throttling holds to the written capacity calculation (docs/performance.md,
"Capacity"): the test reads the calculation's inputs, works its sums again, checks the minimums
the page states, and holds template.yaml's defaults and MinValues to them."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "performance.md"
ROW = re.compile(r"^\| `(?P<name>\w+)` \| (?P<value>[\d,.]+) \|", re.MULTILINE)


@pytest.fixture(scope="module")
def calculation() -> dict[str, float]:
    text = DOC.read_text()
    section = text[text.index("## Capacity") :]
    return {m["name"]: float(m["value"].replace(",", "")) for m in ROW.finditer(section)}


def minimums(c: dict[str, float]) -> tuple[int, int]:
    join_peak = c["join_people"] * c["requests_per_join"] / c["join_window_seconds"] * c["join_peak_factor"]
    newsletter_peak = (
        c["newsletter_recipients"]
        * c["newsletter_click_through"]
        * c["requests_per_signup"]
        / c["newsletter_window_seconds"]
        * c["newsletter_peak_factor"]
    )
    rate = math.ceil(join_peak + newsletter_peak)
    return rate, math.ceil(rate * c["burst_seconds"])


def test_the_calculation_is_for_5000_people_in_two_minutes_and_its_sums_are_right(
    calculation: dict[str, float],
) -> None:
    assert calculation["join_people"] >= 5000 and calculation["join_window_seconds"] <= 120
    assert calculation["join_peak_factor"] > 1 and calculation["newsletter_peak_factor"] > 1
    # The join rush alone is above the old whole-stage limit of 25/s.
    assert calculation["join_people"] / calculation["join_window_seconds"] > 25
    assert (calculation["minimum_rate"], calculation["minimum_burst"]) == minimums(calculation)


def test_the_api_is_never_throttled_below_the_calculated_minimum(
    calculation: dict[str, float], sam_template: dict[str, Any], cfn_template: dict[str, Any]
) -> None:
    rate, burst = minimums(calculation)
    parameters = sam_template["Parameters"]

    for name, minimum in (("ApiThrottlingRateLimit", rate), ("ApiThrottlingBurstLimit", burst)):
        assert parameters[name]["Default"] >= minimum, name
        assert parameters[name]["MinValue"] >= minimum, f"{name}: a deployment could go below the minimum"
    (stage,) = [r for r in cfn_template["Resources"].values() if r["Type"] == "AWS::ApiGatewayV2::Stage"]
    assert stage["Properties"]["DefaultRouteSettings"] == {
        "ThrottlingBurstLimit": {"Ref": "ApiThrottlingBurstLimit"},
        "ThrottlingRateLimit": {"Ref": "ApiThrottlingRateLimit"},
    }
    # No route (such as /join) with its own, lower limits.
    assert not stage["Properties"].get("RouteSettings")


def test_nothing_caps_the_api_functions_concurrency_below_the_rush(cfn_template: dict[str, Any]) -> None:
    # A reservation below the cold-start peak (about 350 instances, docs/performance.md) would
    # throttle the rush inside Lambda; there is none.
    function = cfn_template["Resources"]["ApiFunction"]["Properties"]
    assert "ReservedConcurrentExecutions" not in function
