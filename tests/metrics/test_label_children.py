"""Children kept at hand count exactly what `labels()` would, within and past the bound."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, Counter

from switchboard.distribution.api import metrics


def test_kept_children_count_what_labels_would(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metrics, "MAX_CHILDREN", 2)
    registry = CollectorRegistry()
    counter = Counter("things", "Things by kind.", ("kind",), registry=registry)
    children = metrics.Children(counter)
    for kind in ["a", "b", "a", "c", "c", "c", "a"]:  # "c" comes past the bound
        children(kind).inc()
    assert children("a") is children("a")
    for kind, expected in {"a": 3, "b": 1, "c": 3}.items():
        assert registry.get_sample_value("things_total", {"kind": kind}) == expected
