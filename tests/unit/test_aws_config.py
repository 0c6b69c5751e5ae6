"""A failing dependency must become our 503 well inside the Lambda timeout, never a Lambda timeout."""

from __future__ import annotations

import socket

import pytest
from botocore.exceptions import EndpointConnectionError

from infra.local.resources import load_template
from shared import aws


def test_the_worst_case_of_one_aws_call_fits_well_inside_the_api_functions_timeout():
    template = load_template()
    timeout = template["Resources"]["ApiFunction"]["Properties"].get(
        "Timeout", template["Globals"]["Function"]["Timeout"]
    )
    worst_case = aws.TOTAL_ATTEMPTS * (aws.CONNECT_TIMEOUT + aws.READ_TIMEOUT)

    # The answer still has to be built and sent after the last attempt gives up.
    assert worst_case <= 0.8 * timeout, (worst_case, timeout)


@pytest.mark.parametrize("attempts", [1, aws.TOTAL_ATTEMPTS])
def test_a_client_makes_exactly_the_attempts_it_is_configured_for(monkeypatch, attempts):
    """Counted on a real client against a closed loopback port: botocore's `max_attempts`
    would have meant one attempt more than it says."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{closed_port}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    aws.reset_clients()
    client = aws.client("dynamodb", attempts=attempts)
    sent: list[str] = []
    client.meta.events.register("before-send.dynamodb.GetItem", lambda **kwargs: sent.append("attempt"))

    with pytest.raises(EndpointConnectionError):
        client.get_item(TableName="t", Key={"PK": {"S": "x"}})

    aws.reset_clients()
    assert len(sent) == attempts
