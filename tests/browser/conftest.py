"""A real Chromium (Debian's, never a downloaded build) against the local stack.

Where /usr/bin/chromium is missing the browser tests are skipped with the reason shown, except on
CI (`CI=true`), where that is a failure: `.ci/run` installs it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.local_stack import LocalStack, start_local_stack

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
# Root needs --no-sandbox; the rest keep a closed-network machine from waiting on Google's services.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    reason = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium, or run .ci/run)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}; CI must run the browser tests", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class CharitySite:
    """The charity's own website: static pages served from a folder on another loopback origin
    (another port), which the local stack lists in AllowedOrigins and sends a website form's
    sign-up back to (SignupRedirectUrl: its thanks page)."""

    THANKS = "thanks.html"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

        class Quiet(SimpleHTTPRequestHandler):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, directory=str(folder), **kwargs)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.page(self.THANKS, "<h1>Thank you for signing up</h1>")

    def page(self, name: str, body: str) -> str:
        """Publish a page on the site; its URL."""
        (self.folder / name).write_text(
            f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{name}</title></head>'
            f"<body><main>{body}</main></body></html>",
            encoding="utf-8",
        )
        return f"{self.origin}/{name}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def charity_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CharitySite]:
    site = CharitySite(tmp_path_factory.mktemp("charity-site"))
    yield site
    site.stop()


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory, charity_site: CharitySite) -> Iterator[LocalStack]:
    # One stack for every browser test; the charity's site may frame its sign-up page, and a form
    # on it comes back to its own thanks page (`make run` takes both as the template's parameters).
    stack = start_local_stack(
        tmp_path_factory.mktemp("browser"),
        extra_env={
            "ALLOWED_ORIGINS": charity_site.origin,
            "SIGNUP_REDIRECT_URL": f"{charity_site.origin}/{CharitySite.THANKS}",
        },
    )
    yield stack
    stack.stop()


@pytest.fixture
def page_without_javascript(browser: Any) -> Iterator[Any]:
    """A fresh context with JavaScript off: the pages must work without it."""
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1024, "height": 900})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def a11y(browser: Any) -> Iterator[Any]:
    """One context with JavaScript off and one page in it for every accessibility check, and a
    page with JavaScript on (and no network) where axe runs on the same DOM
    (tests/browser/a11y.py). The results table goes to /tmp/a11y-results.md at the end."""
    from tests.browser.a11y import Results

    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    axe_context = browser.new_context(viewport={"width": 1280, "height": 900})
    axe_context.route("**/*", lambda route: route.abort())
    results = Results(context.new_page(), axe_context.new_page())
    yield results
    results.write()
    axe_context.close()
    context.close()


@pytest.fixture(scope="session")
def a11y_scenario(local_stack: LocalStack) -> Any:
    """Every email kind, made once through the local stack (tests/browser/a11y_scenario.py)."""
    from tests.browser.a11y_scenario import build

    return build(local_stack)
