"""A failing dependency must become our 503 well inside the Lambda timeout, never a Lambda timeout."""

from __future__ import annotations

from infra.local.resources import load_template
from shared.aws import CLIENT_CONFIG


def test_the_worst_case_of_one_aws_call_fits_well_inside_the_api_functions_timeout():
    template = load_template()
    timeout = template["Resources"]["ApiFunction"]["Properties"].get(
        "Timeout", template["Globals"]["Function"]["Timeout"]
    )
    attempts = CLIENT_CONFIG.retries["max_attempts"]
    worst_case = attempts * (CLIENT_CONFIG.connect_timeout + CLIENT_CONFIG.read_timeout)

    # The answer still has to be built and sent after the last attempt gives up.
    assert worst_case <= 0.8 * timeout, (worst_case, timeout)
    assert CLIENT_CONFIG.retries["mode"] == "standard"
