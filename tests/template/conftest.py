"""Fixtures for the offline checks of template.yaml: the template as written, and as SAM transforms it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from samtranslator.yaml_helper import yaml_parse

from tests.template.template_support import REGION, TEMPLATE_PATH, transform_template


@pytest.fixture(autouse=True, scope="module")
def _aws_region_without_credentials() -> Iterator[None]:
    """samtranslator and cfn-lint look up the region; no AWS account or credentials are needed."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", REGION)
        patch.setenv("AWS_REGION", REGION)
        yield


@pytest.fixture(scope="session")
def template_text() -> str:
    return TEMPLATE_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def sam_template(template_text: str) -> dict[str, Any]:
    """template.yaml as written (SAM resources and Globals; short tags such as !Ref read as dicts)."""
    return yaml_parse(template_text)


@pytest.fixture(scope="module")
def cfn_template(sam_template: dict[str, Any], _aws_region_without_credentials: None) -> dict[str, Any]:
    """template.yaml after the SAM transform: plain CloudFormation, as deployed."""
    return transform_template(sam_template)
