"""Latency statistics every benchmark reports the same way (pure functions)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` in 0..1); NaN for no values.

    Nearest rank, not the element at ``round(fraction * (n - 1))``: at least ``fraction`` of
    the values are at or below it, so "p95 < 50 ms" is true of 95% of the requests; the
    other formula often lands one rank lower (99 samples' p95 is then the 94th value)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[min(len(ordered), rank) - 1]


def median(values: Iterable[float]) -> float:
    """The median of the values that are present (None and NaN skipped), e.g. over rounds."""
    present = sorted(v for v in values if v is not None and not math.isnan(v))
    if not present:
        return math.nan
    middle = len(present) // 2
    return present[middle] if len(present) % 2 else (present[middle - 1] + present[middle]) / 2


def summarize(latencies_ms: Sequence[float]) -> dict[str, float]:
    """p50, p95, p99 and mean (ms) of the latencies, and how many there are."""
    return {
        "p50": percentile(latencies_ms, 0.50),
        "p95": percentile(latencies_ms, 0.95),
        "p99": percentile(latencies_ms, 0.99),
        "mean": sum(latencies_ms) / len(latencies_ms) if latencies_ms else math.nan,
        "n": len(latencies_ms),
    }
