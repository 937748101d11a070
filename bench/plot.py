"""bench/results.svg: delivery latency percentiles per N (function against the bare broadcast) and
cold start per phase, from the figures the sections measured (each Table's `data`); a run that
measured no delivery latency plots the cold start alone."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt

from bench.report import Table

PLOT = Path(__file__).with_name("results.svg")
PERCENTILE_STYLES = {"p50": "-", "p90": "--", "p99": ":"}
PHASE_COLOURS = ["#b8c2d6", "#7f8fb0", "#4f5f8f", "#e07a2f"]


def figures(sections: list[tuple[str, list[Table]]], key: str):
    return next((table.data for _, tables in sections for table in tables if key in table.data), None)


def plot_latency(axes, percentiles: dict) -> None:
    counts = sorted(percentiles)
    for colour, variant in zip(("#e07a2f", "#4f5f8f"), percentiles[counts[0]]):
        for name, style in PERCENTILE_STYLES.items():
            axes.plot(
                counts,
                [percentiles[count][variant][name] for count in counts],
                style,
                color=colour,
                marker="o",
                markersize=3,
                label=f"{variant}, {name}",
            )
    axes.set(
        xscale="log",
        yscale="log",
        xticks=counts,
        xticklabels=[f"{count:,}" for count in counts],
        xlabel="subscribers (N)",
        ylabel="publish → event, ms",
        title="End-to-end delivery latency per N",
    )
    axes.legend(fontsize=7, ncol=2)
    axes.grid(True, which="both", alpha=0.3)


def plot_phases(
    axes, phases: dict[str, dict[str, float]], title: str, goals: list | None = None, legend: bool = False
) -> None:
    labels = list(phases)[::-1]  # the first variant on top
    left = [0.0] * len(labels)
    for colour, phase in zip(PHASE_COLOURS, next(iter(phases.values()))):
        widths = [phases[label][phase] for label in labels]
        axes.barh(labels, widths, left=left, color=colour, label=phase)
        left = [start + width for start, width in zip(left, widths)]
    for (goal_ms, label), style in zip(goals or [], ("--", ":")):
        axes.axvline(goal_ms, color="#c0392b", linestyle=style, linewidth=1, label=label)
    axes.set(xlabel="ms from process spawn (medians)", title=title)
    axes.tick_params(axis="y", labelsize=7)
    if legend:  # one legend under the bars serves both cold-start panels
        axes.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.4, -0.12), ncol=5)
    axes.grid(True, axis="x", alpha=0.3)


def write_plot(sections: list[tuple[str, list[Table]]]) -> Path | None:
    """The plot of what was measured: delivery latency (when measured) and cold start."""
    latency, cold = figures(sections, "latency_percentiles"), figures(sections, "phases")
    if not cold:
        return None
    plt.rcParams.update({"svg.hashsalt": "bench", "svg.fonttype": "none", "font.size": 8})
    with_bytecode = {label: phases for label, phases in cold["phases"].items() if cold["bytecode"][label]}
    without = {label: phases for label, phases in cold["phases"].items() if not cold["bytecode"][label]}
    ratios = [4, 1 + len(with_bytecode) / 2.5, 1.3] if latency else [1 + len(with_bytecode) / 2.5, 1.3]
    figure, panels = plt.subplots(
        len(ratios), 1, figsize=(9, 11.5 if latency else 6), gridspec_kw={"height_ratios": ratios}
    )
    if latency:
        plot_latency(panels[0], latency["latency_percentiles"])
    middle, bottom = panels[-2:]
    plot_phases(
        middle,
        with_bytecode,
        "Cold start per phase, with bytecode (after the runtime's imports)",
        cold.get("goals"),
        legend=True,
    )
    plot_phases(bottom, without, "Cold start per phase, without bytecode (Vercel's default)")
    figure.tight_layout()
    figure.savefig(PLOT, format="svg", metadata={"Date": None})
    plt.close(figure)
    return PLOT
