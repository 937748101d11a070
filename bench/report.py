"""Tables on stdout and in bench/results.md."""

import datetime
import os
import platform
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

RESULTS = Path(__file__).with_name("results.md")


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    interpretation: str = ""
    notes: list[str] = field(default_factory=list)
    data: dict = field(default_factory=dict)  # figures for the plot (bench/plot.py), not printed

    def markdown(self) -> str:
        cells = [self.columns] + [[format_cell(value) for value in row] for row in self.rows]
        widths = [max(len(row[i]) for row in cells) for i in range(len(self.columns))]

        def line(row):
            return "| " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths)) + " |"

        lines = [f"### {self.title}", "", line(cells[0]), "|" + "|".join("-" * (width + 2) for width in widths) + "|"]
        lines += [line(row) for row in cells[1:]]
        if self.interpretation:
            lines += ["", f"**{self.interpretation}**"]
        if self.notes:
            lines += [""] + [f"- {note}" for note in self.notes]
        return "\n".join(lines) + "\n"


def format_cell(value) -> str:
    if isinstance(value, float):
        if value != value:  # NaN
            return "–"
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def ratio(value: float, baseline: float) -> str:
    return f"{value / baseline:.2f}×" if baseline else "–"


def node_version() -> str:
    try:
        return subprocess.run(["node", "--version"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "not found"


def header(scale: float, started: datetime.datetime, load_before: tuple, load_after: tuple) -> str:
    def load(values):
        return " / ".join(f"{value:.2f}" for value in values)

    return "\n".join(
        [
            "# Benchmarks",
            "",
            f"- Date: {started:%Y-%m-%d %H:%M} UTC",
            f"- Cores (`nproc`): {len(os.sched_getaffinity(0))}",
            f"- Python {platform.python_version()}, Node {node_version()}, {platform.system()} {platform.machine()}",
            f"- BENCH_SCALE={scale:g}",
            f"- Load average (1/5/15 min) before: {load(load_before)}, after: {load(load_after)}"
            " (the machine is shared: compare ratios, not absolute figures)",
            "",
            "Every ratio compares variants measured in the same run, interleaved round-robin where the",
            "benchmark allows it. Times in milliseconds unless a column says otherwise.",
            "",
        ]
    )


def write_results(header_text: str, sections: list[tuple[str, list[Table]]], plot: Path | None = None) -> Path:
    parts = [header_text]
    if plot:
        parts.append(f"![Delivery latency per N and cold start per phase]({plot.name})\n")
    for heading, tables in sections:
        parts.append(f"## {heading}\n")
        parts.extend(table.markdown() for table in tables)
    RESULTS.write_text("\n".join(parts))
    return RESULTS


def update_results(note: str, sections: list[tuple[str, list[Table]]], plot: Path | None = None) -> Path:
    """Replaces the measured sections of bench/results.md, keeps the others, and adds `note` (what was
    measured when) to the header."""
    head, *parts = RESULTS.read_text().split("\n## ")
    measured = {heading: "\n".join(table.markdown() for table in tables) for heading, tables in sections}
    parts = [
        f"{title}\n\n{measured[title]}" if (title := part.split("\n", 1)[0]) in measured else part for part in parts
    ]

    def stale(line: str) -> bool:  # an earlier note on a section measured again, or the plot replaced
        return (line.startswith("- Updated ") and any(heading in line for heading in measured)) or (
            plot is not None and line.startswith("![")
        )

    lines = [line for line in head.rstrip("\n").splitlines() if not stale(line)]
    at = max(index for index, line in enumerate(lines) if line.startswith(("- Load average", "- Updated "))) + 1
    lines.insert(at, note)
    head = "\n".join(lines).rstrip("\n") + "\n" + (f"\n![Cold start per phase]({plot.name})\n" if plot else "")
    RESULTS.write_text(head + "".join(f"\n## {part}" for part in parts))
    return RESULTS
