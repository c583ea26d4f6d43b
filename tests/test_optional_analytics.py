"""The `analytics` extra (statsmodels, scikit-learn) is optional: without it a first
`./run serve` installs ~300 MB less, forecasts offer the moving average and requests are
categorized by rules only, each saying why."""

from __future__ import annotations

import logging
import sys
import tomllib
from collections.abc import Iterator
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

import pytest

from switchboard.attribution.services import staffing
from switchboard.conversations.services import classifier
from switchboard.kernel.errors import SwitchboardError

ROOT = Path(__file__).parent.parent
OPTIONAL = ("statsmodels", "sklearn")


class _NotInstalled(MetaPathFinder):
    def find_spec(
        self, name: str, path: object = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if name.split(".")[0] in OPTIONAL:
            raise ModuleNotFoundError(f"No module named {name!r}")
        return None


@pytest.fixture
def without_analytics(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """As if the extra were not installed: the modules cannot be found or imported."""
    for name in list(sys.modules):
        if name.split(".")[0] in OPTIONAL:
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "meta_path", [_NotInstalled(), *sys.meta_path])
    monkeypatch.setattr(classifier, "_warned", False)
    yield


def test_the_base_install_does_not_pull_the_numerical_stack() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    base = " ".join(project["dependencies"])
    assert "statsmodels" not in base and "scikit-learn" not in base
    extra = " ".join(project["optional-dependencies"]["analytics"])
    assert "statsmodels" in extra and "scikit-learn" in extra


def test_holt_winters_needs_the_extra_and_says_how_to_get_it(without_analytics: None) -> None:
    history = [float(i % 7) for i in range(28)]
    assert staffing.available_methods() == ("moving_average",)
    with pytest.raises(SwitchboardError) as refused:
        staffing.forecast("holt_winters", history, season=7, horizon=7)
    assert refused.value.status == 400
    assert "switchboard[analytics]" in str(refused.value)
    assert len(staffing.forecast("moving_average", history, season=7, horizon=7)) == 7
    assert set(staffing.backtest(history, season=7, holdout=7)) == {"moving_average"}


def test_with_the_extra_both_methods_are_backtested() -> None:
    history = [float(i % 7) + 1 for i in range(28)]
    assert set(staffing.backtest(history, season=7, holdout=7)) == {
        "moving_average", "holt_winters",
    }  # fmt: skip


def _history() -> tuple[list[str], list[str]]:
    texts = [f"refund order {i}" for i in range(10)] + [f"reset password {i}" for i in range(10)]
    return texts, ["billing"] * 10 + ["account"] * 10


def test_without_scikit_learn_rules_alone_categorize(
    without_analytics: None, caplog: pytest.LogCaptureFixture
) -> None:
    texts, labels = _history()
    with caplog.at_level(logging.WARNING):
        assert classifier.train(texts, labels) is None
        assert classifier.train(texts, labels) is None
    warnings = [r for r in caplog.records if "rules only" in r.getMessage()]
    assert len(warnings) == 1  # said once, not per request
    assert "switchboard[analytics]" in warnings[0].getMessage()


def test_with_scikit_learn_the_same_history_trains_a_classifier() -> None:
    texts, labels = _history()
    model = classifier.train(texts, labels)
    assert model is not None
    assert model.guess("I want a refund").category == "billing"
