"""Yes/no settings of the local stack (`make run`): SEED, SIGNUP_LIMITS, IAM, LOCAL_ACCESS_LOG."""

from __future__ import annotations

import os

SWITCH_ON = {"1", "on", "true", "yes"}
SWITCH_OFF = {"0", "off", "false", "no"}


def switch(name: str, default: bool) -> bool:
    """A yes/no setting from the environment: true/false, on/off, 1/0 (yes/no too), any case;
    unset or empty is the default. Anything else stops the stack with a message naming it."""
    value = (os.environ.get(name) or "").strip().lower()
    if not value:
        return default
    if value in SWITCH_ON | SWITCH_OFF:
        return value in SWITCH_ON
    raise SystemExit(f"{name}={os.environ[name]!r}: give on or off (true/false and 1/0 work too)")
