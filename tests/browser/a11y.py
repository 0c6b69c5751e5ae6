"""Accessibility checks for one page as it stands in the browser: axe-core's WCAG 2.2 AA rules,
reflow (WCAG 1.4.10: no horizontal scrolling at 320 CSS pixels, which is 1280 at 400% zoom), and
what is left with images off.

axe-core is the copy bundled in axe-playwright-python (pinned in pyproject.toml; its axe.min.js
is axe 4.12.1), injected with `page.evaluate`: nothing is fetched at run time. It runs on a
JavaScript-on mirror of the JavaScript-off page (`Results`). docs/decisions.md says what is checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# axe's tags for WCAG 2.0, 2.1 and 2.2 at levels A and AA (2.2 added AA rules only).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
NARROW, WIDE = 320, 1280
RESULTS_FILE = Path("/tmp/a11y-results.md")  # the table for people (and the closing note) to read

_RUN_AXE = """tags => axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations"],
}).then(results => results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map(n => n.target.join(" ")),
})))"""


def axe_script() -> str:
    from axe_playwright_python.base import AXE_SCRIPT

    assert AXE_SCRIPT.startswith("/*! axe v4.12.1"), AXE_SCRIPT[:40]  # the version docs name
    return str(AXE_SCRIPT)


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe's violations of AXE_TAGS on the page as it is now."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_script())
    return list(page.evaluate(_RUN_AXE, AXE_TAGS))


# What axe's WCAG tags leave out and the issue asks for: headings in order (axe's heading-order is
# a best practice, outside the tags), layout tables marked as presentation, link text that says
# where it goes, and every image with alt text. Each problem as a sentence.
_STRUCTURE = r"""() => {
    const problems = [];
    // One H1; going down, no level skipped (an error summary's H2 may come before the H1).
    const headings = [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")];
    const ones = headings.filter(h => h.tagName === "H1").length;
    if (ones !== 1) problems.push(`${ones} H1 headings, not one`);
    let last = 1;
    for (const h of headings) {
        const level = Number(h.tagName[1]);
        if (level > last + 1) problems.push(`${h.tagName} "${h.innerText}" follows H${last}`);
        last = level;
    }
    for (const t of document.querySelectorAll("table")) {
        const role = t.getAttribute("role");
        if (!t.querySelector("th") && role !== "presentation" && role !== "none")
            problems.push("a layout table is not marked role=presentation");
    }
    const vague = /^(click here|here|link|more|read more|this link|this|go)$/i;
    for (const a of document.querySelectorAll("a[href]")) {
        const words = a.innerText.trim();
        if (!words) problems.push(`a link to ${a.getAttribute("href")} has no words (only an image?)`);
        else if (vague.test(words) || /^https?:\/\//.test(words))
            problems.push(`the link "${words}" does not say where it goes`);
    }
    for (const img of document.querySelectorAll("img:not([alt])")) problems.push(`${img.src} has no alt`);
    return problems;
}"""


def structure_problems(page: Any) -> list[str]:
    return list(page.evaluate(_STRUCTURE))


def describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"  {v['id']} ({v['impact']}): {v['help']}; at {', '.join(v['targets'][:5])}" for v in violations
    )


def scroll_width_at(page: Any, width: int) -> int:
    page.set_viewport_size({"width": width, "height": 900})
    return int(page.evaluate("document.documentElement.scrollWidth"))


@dataclass
class Results:
    """Checks a page as it stands in the context with JavaScript off (`page`), and records each
    in a Markdown table (RESULTS_FILE).

    axe runs on `mirror`, a page in a context with JavaScript on and every request refused, given
    the DOM the first page holds: with JavaScript off Chromium never runs timers, and axe.run
    waits on them. The pages serve no script of their own (checked here), so the mirror shows
    what someone without JavaScript sees; reflow is measured on the page itself."""

    page: Any
    mirror: Any
    rows: list[tuple[str, int, int, int, int]] = field(default_factory=list)

    def check(self, label: str, page: Any = None) -> None:
        """axe at 1280 and at 320 CSS pixels wide, the structure checks, and no horizontal
        scrolling at either width, on `page` (by default the one page with JavaScript off)."""
        page = page or self.page
        assert page.locator("script").count() == 0, f"{label}: the page carries a script"
        self.mirror.set_content(page.content(), wait_until="load")
        wide = scroll_width_at(page, WIDE)
        scroll_width_at(self.mirror, WIDE)
        found = axe_violations(self.mirror)
        problems = structure_problems(page)
        narrow = scroll_width_at(page, NARROW)
        scroll_width_at(self.mirror, NARROW)
        found += [v for v in axe_violations(self.mirror) if v["id"] not in {f["id"] for f in found}]
        self.rows.append((label, len(found), sum(len(v["targets"]) for v in found), narrow, wide))
        page.set_viewport_size({"width": WIDE, "height": 900})
        assert found == [], f"{label}: axe found WCAG 2.2 AA violations:\n{describe(found)}"
        assert problems == [], f"{label}: " + "; ".join(problems)
        assert narrow <= NARROW, f"{label}: scrolls sideways at {NARROW} CSS pixels (scrollWidth {narrow})"
        assert wide <= WIDE, f"{label}: scrolls sideways at {WIDE} CSS pixels (scrollWidth {wide})"

    def write(self) -> None:
        lines = [
            f"| page or email, state | axe violations (rules / elements) | scrollWidth at {NARROW} "
            f"| scrollWidth at {WIDE} |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {label} | {rules} / {nodes} | {narrow} | {wide} |"
            for label, rules, nodes, narrow, wide in self.rows
        ]
        RESULTS_FILE.write_text("\n".join(lines) + "\n", encoding="utf-8")


def block_images(page: Any) -> None:
    """Images off, as many mail programs start: every image request fails."""
    page.route(
        "**/*", lambda route: route.abort() if route.request.resource_type == "image" else route.continue_()
    )
