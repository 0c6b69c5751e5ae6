"""The loose shape at our JSON boundaries, named once: a Lambda event or answer, a request body,
an admin's console event and its answer, a report. Everything inside the system is a typed
model; this is what crosses the edge before it is parsed, or after it is shaped for a reader."""

from __future__ import annotations

from typing import Any

JsonObject = dict[str, Any]
