"""SesEventsFunction: SES bounces and complaints, delivered by EventBridge, suppress addresses.

A permanent bounce or a complaint suppresses each address it names (shared/suppression.py);
transient bounces change nothing. Answers `{"suppressed": n, "ignored": m}`.

A malformed event is logged (which field, never the content) and answered: raising would only
have the same unreadable event retried. A failing dependency (DynamoDB, Secrets Manager) raises:
EventBridge invokes the function asynchronously, so Lambda retries it, then hands it to the
function's on-failure destination.
"""

from __future__ import annotations

from functions import cold_start

cold_start.begin()  # before the other imports: see functions/cold_start.py

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared import clock, services
from shared.observability import count, logger_for, metrics_for
from shared.workflows import suppression

logger = logger_for("ses_events")
metrics = metrics_for("ses_events")


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: Any, context: LambdaContext) -> dict[str, int]:
    try:
        decision = suppression.decide(event)
    except suppression.MalformedSesEvent as error:
        logger.warning("malformed ses event ignored", extra={"problem": error.problem})
        return {"suppressed": 0, "ignored": 0}
    app = services.get()
    outcome = suppression.apply(
        decision, people=app.stores.people, person_id_for=app.person_id_for, now=clock.now()
    )
    logger.info("ses event handled", extra=outcome.log_fields())
    answer = outcome.answer()
    count(metrics, "AddressesSuppressed", answer["suppressed"])
    return answer


cold_start.end()
