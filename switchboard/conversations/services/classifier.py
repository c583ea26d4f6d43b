"""A text classifier per organization, trained on its own categorized requests
(scikit-learn: TF-IDF of words and word pairs, then a logistic regression).

It answers only when its confidence reaches the organization's threshold; below it the
request keeps the default category. Rules run first (domain/routing.py): the classifier
only sees what no rule matched. scikit-learn is the optional `analytics` extra: without it
there is no classifier and rules alone categorize (logged once).
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

log = logging.getLogger(__name__)

MIN_EXAMPLES = 10  # fewer categorized requests than this: no classifier yet
MAX_EXAMPLES = 5_000  # the newest ones are enough, and training stays quick


@dataclass(frozen=True)
class Guess:
    category: str
    confidence: float


class Classifier:
    """One organization's model; `guess` returns the likeliest category and its probability."""

    def __init__(self, texts: Sequence[str], labels: Sequence[str]) -> None:
        # imported on use: scikit-learn takes seconds to import, and it is optional
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        self.size = len(texts)
        self.model: Pipeline = make_pipeline(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1),
            LogisticRegression(max_iter=1000, C=10.0),
        )
        self.model.fit(list(texts), list(labels))

    def guess(self, text: str) -> Guess:
        probabilities = self.model.predict_proba([text])[0]
        best = int(probabilities.argmax())
        return Guess(str(self.model.classes_[best]), float(probabilities[best]))

    def accuracy(self, texts: Sequence[str], labels: Sequence[str]) -> float:
        """The share of `texts` guessed right (held-out data)."""
        right = sum(self.guess(t).category == label for t, label in zip(texts, labels, strict=True))
        return right / len(texts) if texts else 0.0


_warned = False


def available() -> bool:
    return _installed("sklearn")


def train(texts: Sequence[str], labels: Sequence[str]) -> Classifier | None:
    """A classifier when there are enough examples of at least two categories (and
    scikit-learn is installed)."""
    global _warned
    if len(texts) < MIN_EXAMPLES or len(set(labels)) < 2:
        return None
    if not available():
        if not _warned:
            _warned = True
            log.warning(
                "requests are categorized by rules only: scikit-learn is not installed "
                "(pip install 'switchboard[analytics]')"
            )
        return None
    return Classifier(texts[-MAX_EXAMPLES:], labels[-MAX_EXAMPLES:])


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a broken install counts as absent
        return False
