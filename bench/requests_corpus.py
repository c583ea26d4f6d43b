"""A generated, labelled set of customer requests (four categories) for the classifier's
accuracy figure and its tests: templates filled with each category's vocabulary, some
words shared between categories, and noise words, from a seeded random generator."""

from __future__ import annotations

import random

VOCABULARY = {
    "billing": ["invoice", "bill", "charge", "charged twice", "payment", "receipt", "vat"],
    "shipping": ["parcel", "delivery", "package", "courier", "tracking number", "shipment"],
    "technical": ["app crashes", "error message", "login fails", "password reset", "bug"],
    "returns": ["return", "refund", "exchange", "wrong size", "send it back", "broken item"],
}
TEMPLATES = [
    "Hello, I have a problem with my {0}",
    "{0}? nothing works, please help",
    "hi there, question about the {0} and the {1}",
    "Can you check my {0}, it is about order {n}",
    "my {0} from last week, {1} too",
    "urgent: {0}",
    "I wrote before about the {0}; still waiting",
]
NOISE = ["order", "account", "today", "thanks", "please", "again", "website", "week", "help"]


def generate(count: int, seed: int = 19) -> tuple[list[str], list[str]]:
    """`count` requests and their categories, shuffled."""
    rng = random.Random(seed)
    categories = sorted(VOCABULARY)
    texts, labels = [], []
    for i in range(count):
        label = categories[i % len(categories)]
        words = VOCABULARY[label]
        text = rng.choice(TEMPLATES).format(
            rng.choice(words), rng.choice(words), n=rng.randint(1000, 9999)
        )
        if rng.random() < 0.3:  # a word of another category, to make it less easy
            other = VOCABULARY[rng.choice([c for c in categories if c != label])]
            text += f" (not the {rng.choice(other)})"
        text += " " + " ".join(rng.sample(NOISE, 2))
        texts.append(text)
        labels.append(label)
    order = list(range(count))
    rng.shuffle(order)
    return [texts[i] for i in order], [labels[i] for i in order]


def held_out_accuracy(count: int = 800, train_share: float = 0.75) -> tuple[float, int, int]:
    """Accuracy on the held-out part, with the training and test sizes."""
    from switchboard.conversations.services.classifier import train

    texts, labels = generate(count)
    cut = int(count * train_share)
    model = train(texts[:cut], labels[:cut])
    assert model is not None
    return model.accuracy(texts[cut:], labels[cut:]), cut, count - cut


def by_threshold(
    thresholds: tuple[float, ...] = (0.0, 0.5, 0.7, 0.9), count: int = 800
) -> list[tuple[float, float, float]]:
    """Per threshold: the share of held-out requests the classifier answers, and its
    accuracy on those (the rest keep the default category)."""
    from switchboard.conversations.services.classifier import train

    texts, labels = generate(count)
    cut = int(count * 0.75)
    model = train(texts[:cut], labels[:cut])
    assert model is not None
    guesses = [(model.guess(t), label) for t, label in zip(texts[cut:], labels[cut:], strict=True)]
    rows = []
    for threshold in thresholds:
        kept = [(g, label) for g, label in guesses if g.confidence >= threshold]
        right = sum(g.category == label for g, label in kept)
        rows.append((threshold, len(kept) / len(guesses), right / len(kept) if kept else 0.0))
    return rows


if __name__ == "__main__":  # python -m bench.requests_corpus
    accuracy, trained, tested = held_out_accuracy()
    print(f"trained on {trained}, tested on {tested}: accuracy {accuracy:.3f}")
    for threshold, answered, right in by_threshold():
        print(f"threshold {threshold:.1f}: answers {answered:.1%}, right {right:.1%}")
