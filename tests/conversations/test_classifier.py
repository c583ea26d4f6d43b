"""Categorization by the organization's own history: the classifier's held-out accuracy
on a generated labelled set, and the confidence threshold deciding between its guess and
the default category (through the HTTP API)."""

from __future__ import annotations

import json

import httpx
import pytest

from bench.requests_corpus import VOCABULARY, by_threshold, generate, held_out_accuracy
from switchboard.conversations.services.classifier import MIN_EXAMPLES, train
from tests.api.helpers import create, create_workspace, ok


def test_the_classifier_is_accurate_on_held_out_requests() -> None:
    accuracy, trained, tested = held_out_accuracy(count=400)
    assert (trained, tested) == (300, 100)
    assert accuracy >= 0.9


def test_a_higher_threshold_answers_less_often_and_more_rightly() -> None:
    [(_, all_answered, all_right), (_, few_answered, few_right)] = by_threshold((0.0, 0.9), 400)
    assert all_answered == 1.0
    assert few_answered < all_answered and few_right >= all_right


def test_no_classifier_without_enough_history_of_two_categories() -> None:
    texts, labels = generate(MIN_EXAMPLES - 1)
    assert train(texts, labels) is None
    assert train(["invoice"] * 20, ["billing"] * 20) is None


HISTORY_RULES = [{"category": c, "keywords": words} for c, words in VOCABULARY.items()]


@pytest.fixture
async def organization(client: httpx.AsyncClient) -> dict[str, str]:
    """An organization whose rules categorized 24 earlier requests."""
    space = await create_workspace(client, FriendlyName="Acme")
    queue = await create(client, f"{space['url']}/TaskQueues", FriendlyName="All")
    flow = await create(
        client,
        f"{space['url']}/Workflows",
        FriendlyName="All",
        Configuration=json.dumps({"task_routing": {"default_filter": {"queue": queue["sid"]}}}),
    )
    profile = {
        "WorkspaceSid": space["sid"],
        "WorkflowSid": flow["sid"],
        "ProxyAddress": "web:acme",
        "DefaultCategory": "general",
    }
    await _profile(client, profile, Rules=json.dumps(HISTORY_RULES))
    texts, _labels = generate(24, seed=7)
    for i, text in enumerate(texts):
        await _inbound(client, f"web:customer{i}", text)
    return profile


async def _profile(client: httpx.AsyncClient, profile: dict[str, str], **more: str) -> None:
    ok(await client.post("/v1/Organizations/acme/RoutingProfile", data={**profile, **more}))


async def _inbound(client: httpx.AsyncClient, sender: str, body: str) -> dict[str, str]:
    data = {"From": sender, "Body": body}
    return ok(await client.post("/v1/Organizations/acme/Inbound", data=data))


async def test_the_threshold_decides_between_the_guess_and_the_default(
    client: httpx.AsyncClient, organization: dict[str, str]
) -> None:
    # no rule matches any more: the classifier, trained on the history, answers
    await _profile(client, organization, ClassifierThreshold="0.3")
    guessed = await _inbound(client, "web:new1", "my courier lost the shipment again")
    assert (guessed["category"], guessed["category_source"]) == ("shipping", "classifier")
    # demanding more confidence than it has: the default category
    await _profile(client, organization, ClassifierThreshold="0.99")
    doubtful = await _inbound(client, "web:new2", "my courier lost the shipment again")
    assert (doubtful["category"], doubtful["category_source"]) == ("general", "default")
    # without a threshold there is no classifier at all
    await _profile(client, organization)
    plain = await _inbound(client, "web:new3", "my courier lost the shipment again")
    assert plain["category_source"] == "default"


async def test_a_bad_threshold_is_refused(
    client: httpx.AsyncClient, organization: dict[str, str]
) -> None:
    for value in ("1.5", "high"):
        data = {**organization, "ClassifierThreshold": value}
        answer = await client.post("/v1/Organizations/acme/RoutingProfile", data=data)
        assert answer.status_code == 400 and answer.json()["code"] == 20001
