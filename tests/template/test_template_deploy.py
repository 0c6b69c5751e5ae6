"""A first deploy that cannot go wrong quietly (CONTRACT.md "Deploying"): links, SES, region, outputs."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.template.template_support import evaluate, parameter_values, transform_template

FUNCTIONS = ["ApiFunction", "AdminFunction", "SenderFunction", "DispatchFunction", "SesEventsFunction"]
API_URL = "https://<HttpApi>.execute-api.eu-west-2.amazonaws.com"
CERTIFICATE = "arn:aws:acm:eu-west-2:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666"


def base_urls(sam_template: dict[str, Any], overrides: dict[str, str]) -> dict[str, str]:
    """Each function's PUBLIC_BASE_URL as CloudFormation would set it for these answers."""
    cfn = transform_template(sam_template, overrides)
    values = parameter_values(sam_template, overrides)
    variables = {name: cfn["Resources"][name]["Properties"]["Environment"]["Variables"] for name in FUNCTIONS}
    return {name: evaluate(variables[name]["PUBLIC_BASE_URL"], cfn, values) for name in FUNCTIONS}


def test_public_base_url_is_optional(sam_template: dict[str, Any]) -> None:
    assert sam_template["Parameters"]["PublicBaseUrl"]["Default"] == ""


def test_a_public_base_url_given_is_what_every_function_links_to(sam_template: dict[str, Any]) -> None:
    urls = base_urls(sam_template, {"PublicBaseUrl": "https://www.example.org/events"})

    assert set(urls.values()) == {"https://www.example.org/events"}


def test_else_the_custom_domain(sam_template: dict[str, Any]) -> None:
    answers = {"PublicBaseUrl": "", "CustomDomainName": "events.example.org", "CertificateArn": CERTIFICATE}

    urls = base_urls(sam_template, answers)

    assert set(urls.values()) == {"https://events.example.org"}


def test_else_the_apis_own_url_given_to_the_functions_not_invoked_over_http(
    sam_template: dict[str, Any],
) -> None:
    urls = base_urls(sam_template, {"PublicBaseUrl": ""})

    # ApiFunction reads it from each request (shared/config.py observe_base_url): a reference to
    # its own API from its environment would be circular, as the API's integration names it.
    assert urls.pop("ApiFunction") == ""
    assert set(urls.values()) == {API_URL}


def references(node: Any) -> set[str]:
    """Logical ids a piece of the template names: Ref, GetAtt and ${...} in Sub."""
    found: set[str] = set()
    if isinstance(node, list):
        for item in node:
            found |= references(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(value[0] if isinstance(value, list) else str(value).split(".")[0])
            elif key == "Fn::Sub":
                text = value if isinstance(value, str) else value[0]
                found |= {name.split(".")[0] for name in re.findall(r"\$\{([^}!]+)\}", text)}
                if not isinstance(value, str):
                    found |= references(value[1])
            else:
                found |= references(value)
    return found


@pytest.mark.parametrize("public_base_url", ["", "https://events.example.org"])
def test_no_resource_depends_on_itself(sam_template: dict[str, Any], public_base_url: str) -> None:
    cfn = transform_template(sam_template, {"PublicBaseUrl": public_base_url})
    resources = cfn["Resources"]
    edges = {
        name: (references(resource) | set(resource.get("DependsOn", []))) & set(resources)
        for name, resource in resources.items()
    }

    def cycle_from(start: str) -> list[str] | None:
        path: list[str] = []
        seen: set[str] = set()

        def visit(node: str) -> list[str] | None:
            if node in path:
                return [*path[path.index(node) :], node]
            if node in seen:
                return None
            seen.add(node)
            path.append(node)
            for neighbour in sorted(edges[node]):
                if found := visit(neighbour):
                    return found
            path.pop()
            return None

        return visit(start)

    # The API's integration names ApiFunction, so ApiFunction must not name the API.
    assert "ApiFunction" in edges["HttpApi"]
    for name in resources:
        assert cycle_from(name) is None, f"circular dependency: {cycle_from(name)}"


# --- Region and outputs -------------------------------------------------------------------------


def test_samconfig_deploys_to_london_unless_told_otherwise() -> None:
    import tomllib

    from tests.template.template_support import REPO_ROOT

    config = tomllib.loads((REPO_ROOT / "samconfig.toml").read_text(encoding="utf-8"))

    assert config["default"]["global"]["parameters"]["region"] == "eu-west-2"
    # No command's own section names another region.
    for command, section in config["default"].items():
        assert section.get("parameters", {}).get("region", "eu-west-2") == "eu-west-2", command


CONSOLE = "https://eu-west-2.console.aws.amazon.com"


@pytest.mark.parametrize(
    ("answers", "base"),
    [
        ({"PublicBaseUrl": "https://www.example.org/events"}, "https://www.example.org/events"),
        (
            {"PublicBaseUrl": "", "CustomDomainName": "events.example.org", "CertificateArn": CERTIFICATE},
            "https://events.example.org",
        ),
        ({"PublicBaseUrl": ""}, API_URL),
    ],
)
def test_outputs_name_the_urls_a_first_deploy_needs(
    sam_template: dict[str, Any], answers: dict[str, str], base: str
) -> None:
    cfn = transform_template(sam_template, answers)
    outputs = {
        name: evaluate(output["Value"], cfn, parameter_values(sam_template, answers))
        for name, output in cfn["Outputs"].items()
        if "Condition" not in output
    }

    assert outputs["SignupPageUrl"] == f"{base}/signup"
    assert outputs["SignupFormAction"] == f"{base}/signups"
    assert outputs["ApiUrl"] == API_URL
    assert outputs["DashboardUrl"] == (
        f"{CONSOLE}/cloudwatch/home?region=eu-west-2#dashboards:name=<Dashboard>"
    )
    assert outputs["AdminFunctionConsoleUrl"] == (
        f"{CONSOLE}/lambda/home?region=eu-west-2#/functions/<AdminFunction>?tab=testing"
    )
    # Each one explains itself in the console's Outputs tab.
    for name in ("SignupPageUrl", "SignupFormAction", "ApiUrl", "DashboardUrl", "AdminFunctionConsoleUrl"):
        assert cfn["Outputs"][name].get("Description"), name


def test_the_outputs_and_the_functions_build_links_from_the_same_base(sam_template: dict[str, Any]) -> None:
    outputs = sam_template["Outputs"]
    globals_base = sam_template["Globals"]["Function"]["Environment"]["Variables"]["PUBLIC_BASE_URL"]

    for name in ("SignupPageUrl", "SignupFormAction"):
        assert outputs[name]["Value"]["Fn::Sub"][1]["Base"] == globals_base, name
