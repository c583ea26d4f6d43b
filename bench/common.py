"""What every benchmark shares: the result type, the run configuration and small helpers."""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

Row = dict[str, str]
Better = Literal["higher", "lower"]
ROW_KEYS = ("benchmark", "metric", "value", "baseline", "ratio", "notes")


@dataclass(frozen=True)
class Config:
    """Sizes and time budgets; :meth:`quick` is the smoke-test configuration."""

    workers: int = 10_000
    tasks: int = 100_000
    naive_seconds: float = 20.0
    http_requests: int = 4_000
    http_seconds: float = 20.0
    http_concurrency: int = 32
    latency_rate: float = 200.0
    latency_light_rate: float | None = 25.0
    latency_seconds: float = 15.0
    latency_workers: int = 100
    memory_tasks: int = 100_000
    disk_tasks: int = 2_000
    quick: bool = False

    @classmethod
    def quick_config(cls) -> Config:
        return cls(
            workers=300,
            tasks=3_000,
            naive_seconds=2.0,
            http_requests=300,
            http_seconds=3.0,
            latency_rate=100.0,
            latency_light_rate=None,
            latency_seconds=2.0,
            latency_workers=20,
            memory_tasks=3_000,
            disk_tasks=200,
            quick=True,
        )


@dataclass
class Result:
    """One measured figure, its same-run baseline and how to read the ratio."""

    benchmark: str
    metric: str
    value: float
    unit: str
    baseline: float | None = None
    better: Better = "higher"
    notes: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline == 0:
            return None
        return self.value / self.baseline

    def row(self) -> Row:
        ratio = self.ratio
        return {
            "benchmark": self.benchmark,
            "metric": self.metric,
            "value": fmt(self.value, self.unit),
            "baseline": "" if self.baseline is None else fmt(self.baseline, self.unit),
            "ratio": "" if ratio is None else f"{ratio:.2f}x",
            "notes": "; ".join(self.notes),
        }


def fmt(value: float, unit: str) -> str:
    """Human-readable with the unit (`12,345 res/s`, `3.2 ms`, `41.0 MiB`)."""
    if unit == "bytes":
        return f"{value / 2**20:,.1f} MiB"
    if unit == "s":
        if value < 0.01:
            return f"{value * 1000:.2f} ms"
        return f"{value * 1000:,.1f} ms" if value < 1 else f"{value:,.2f} s"
    if abs(value) >= 100:
        return f"{value:,.0f} {unit}"
    return f"{value:,.2f} {unit}"


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (`fraction` in 0..1) of a non-empty sample."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


class Stopwatch:
    """`with Stopwatch() as sw: ...` then `sw.seconds` (wall) and `sw.cpu` (this process)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.cpu = 0.0
        self._wall = 0.0
        self._cpu = 0.0

    def __enter__(self) -> Stopwatch:
        self._wall = time.perf_counter()
        self._cpu = time.process_time()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.seconds = time.perf_counter() - self._wall
        self.cpu = time.process_time() - self._cpu
