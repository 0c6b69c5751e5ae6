"""docs/website.md names only what exists: the template's parameters and outputs it mentions, the
console event it points to, the warnings website_snippet answers and the error codes it lists."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from shared.domain import errors

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "website.md").read_text(encoding="utf-8")
SNIPPET_ACTION = (ROOT / "functions" / "admin" / "actions_website.py").read_text(encoding="utf-8")


def test_the_parameters_and_outputs_the_website_doc_names_are_the_templates(
    sam_template: dict[str, Any],
) -> None:
    named = set(re.findall(r"`<?([A-Z][A-Za-z]+(?:Url|Origins))>?`", DOC))
    assert {"AllowedOrigins", "SignupRedirectUrl", "PrivacyNoticeUrl", "ApiUrl"} <= named
    assert named <= set(sam_template["Parameters"]) | set(sam_template["Outputs"])


def test_the_console_event_and_warnings_it_names_are_the_actions() -> None:
    for path in re.findall(r"`(infra/console-events/[a-z_]+\.json)`", DOC):
        assert (ROOT / path).is_file(), path
    documented = set(re.findall(r"^- `([a-z_]+)`:", DOC, re.MULTILINE))
    answered = set(re.findall(r'"code": "([a-z_]+)"', SNIPPET_ACTION))
    assert documented == answered == {"redirect_not_set", "privacy_notice_not_set"}


def test_the_error_codes_it_lists_are_the_apis() -> None:
    codes = {cls.code for cls in vars(errors).values() if isinstance(cls, type) and hasattr(cls, "code")}
    listing = re.search(r"`\?result=error&code=\.\.\.` when something was wrong \(([^)]*)\)", DOC)
    assert listing is not None
    listed = set(re.findall(r"`([a-z_]+)`", listing.group(1)))
    assert listed == {"validation_error", "event_closed", "rate_limited"}
    assert listed <= codes
