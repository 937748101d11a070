"""Percentiles and the run's scale factor."""

import math
import os


def scale() -> float:
    """BENCH_SCALE multiplies every sample count (default 1: the ~10 minute run)."""
    return float(os.environ.get("BENCH_SCALE", "1"))


def scaled(count: int, minimum: int = 1) -> int:
    return max(minimum, round(count * scale()))


def percentile(values, fraction: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values) -> float:
    return percentile(values, 0.5)


def p99(values) -> float:
    return percentile(values, 0.99)
