"""HTML pages (jinja2, autoescaped). jinja2 is imported on first use: JSON routes never pay for it."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2

TEMPLATES = Path(__file__).resolve().parent / "templates"


@cache
def environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.globals["texts_on"] = _texts_on
    return env


def _texts_on() -> bool:
    """Do the forms offer the morning text (the SmsEnabled parameter)?"""
    from shared.config import get_settings

    return get_settings().sms_enabled


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)
