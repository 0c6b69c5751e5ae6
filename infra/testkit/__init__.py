"""What the tests and the benchmarks share, so that `bench/` never imports `tests/`.

- `infra.testkit.api`: API Gateway HTTP API v2 events, a Lambda context, calling the API and
  admin handlers in-process, and the SES outbox moto keeps;
- `infra.testkit.stack`: real moto resources created from template.yaml with the functions'
  environment and a frozen clock (the `aws` fixture of tests/conftest.py wraps it);
- `infra.testkit.morning`: the morning send driven as Lambda would: registrants in bulk, the
  scheduler's invocation, the SQS event source (the only testkit code that writes raw table items);
- `infra.testkit.iam` and `infra.testkit.iam_check`: each function's IAM statements from
  template.yaml, and every AWS call a handler makes judged against them (the `aws` fixture).

The constants below are what the tests assert against (addresses, URLs, the frozen "now").
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

# Lambda sets a function's environment before it imports the handler, and Powertools Metrics
# reads its namespace at import: tests import handlers at collection, the benchmarks before their
# first stack, so the namespace template.yaml's Globals give is set as soon as the testkit loads.
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "CoProductionConversations")

FIXED_NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
BASE_URL = "https://events.example.org"
REDIRECT_URL = "https://www.example.org/conversations/thanks"
REGION = "eu-west-2"
ACCOUNT = "123456789012"  # moto's default account

# The template's parameters without defaults, as a deployment would give them.
PARAMETERS = {
    "PublicBaseUrl": BASE_URL,
    "SenderAddress": "events@example.org",
    "SignupRedirectUrl": REDIRECT_URL,
    "PrivacyNoticeUrl": "https://www.example.org/privacy",
}
