"""Tables for the terminal (aligned columns) and for docs/performance.md (Markdown)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

Cell = str | int | float


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    numeric: set[int] = field(default_factory=set)  # right-aligned columns
    notes: list[str] = field(default_factory=list)  # printed under the table

    def add(self, *cells: Cell) -> None:
        self.rows.append(list(cells))


def _text(cell: Cell) -> str:
    return f"{cell:.2f}" if isinstance(cell, float) else str(cell)


def render_text(table: Table) -> str:
    cells = [table.headers, *[[_text(c) for c in row] for row in table.rows]]
    widths = [max(len(row[n]) for row in cells) for n in range(len(table.headers))]

    def line(row: Sequence[str]) -> str:
        parts = [
            value.rjust(widths[n]) if n in table.numeric else value.ljust(widths[n])
            for n, value in enumerate(row)
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    notes = [f"  * {note}" for note in table.notes]
    return "\n".join([table.title, line(table.headers), rule, *[line(row) for row in cells[1:]], *notes])


def render_markdown(table: Table) -> str:
    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(value.replace("|", "\\|") for value in row) + " |"

    align = ["---:" if n in table.numeric else "---" for n in range(len(table.headers))]
    body = [line([_text(c) for c in row]) for row in table.rows]
    notes = ["", *[f"- {note}" for note in table.notes]] if table.notes else []
    return "\n".join([line(table.headers), "|" + "|".join(align) + "|", *body, *notes])
