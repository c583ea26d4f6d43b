"""Workflow configuration: what parses, what is rejected (and how), and the step walk."""

from __future__ import annotations

import json
from typing import Any

import pytest

from switchboard.distribution.domain.workflow import (
    MAX_CONFIGURATION_BYTES,
    OrderBy,
    Step,
    Target,
    WorkflowConfig,
    after_skip,
    first_step,
    is_last_step,
    next_step,
    parse_configuration,
    target_at,
)
from switchboard.kernel.errors import InvalidParameter

QA, QB, QC = "WQ" + "a" * 32, "WQ" + "b" * 32, "WQ" + "c" * 32


def parse(document: Any, known: set[str] | None = None) -> WorkflowConfig:
    return parse_configuration(json.dumps(document), known)


def rejected(document: Any, known: set[str] | None = None) -> str:
    text = document if isinstance(document, str) else json.dumps(document)
    with pytest.raises(InvalidParameter) as info:
        parse_configuration(text, known)
    assert info.value.status == 400 and info.value.code == 20001
    return info.value.message


def routing(*filters: dict[str, Any], default: str | None = QC) -> dict[str, Any]:
    body: dict[str, Any] = {"filters": list(filters)}
    if default is not None:
        body["default_filter"] = {"queue": default}
    return {"task_routing": body}


# --- the examples from Twilio's documentation (notes section 4.4) -----------------

ESCALATION = """{"task_routing":{"filters":[{"filter_friendly_name":"Prioritizing Filter",
  "expression":"1==1","targets":[{"queue":"WQccc","priority":1,"timeout":300},{"priority":10}]}],
  "default_filter":{"queue":"WQccc"}}}"""

SKILLS = """{"task_routing":{"filters":[
  {"filter_friendly_name":"Bronze and Silver Tickets",
   "expression":"type == 'ticket' AND customer_value IN ['Silver', 'Bronze']",
   "targets":[{"queue":"WQbbb"}]},
  {"filter_friendly_name":"Gold Tickets",
   "expression":"type == 'ticket' AND customer_value == 'Gold'",
   "targets":[{"queue":"WQbbb","priority":"10","timeout":300,
               "expression":"task.requested_agent==worker.agent_id"},{"queue":"WQccc"}]},
  {"filter_friendly_name":"Leads","expression":"type == 'lead'",
   "targets":[{"queue":"WQaaa","priority":1}]}],
  "default_filter":{"queue":"WQccc"}}}"""

KNOWN_AGENT = """{"task_routing":{"filters":[
  {"filter_friendly_name":"Attempt 1","expression":"1==1",
   "targets":[{"queue":"WQf4b9","timeout":10,"known_worker_sid":"task.agent_sid"},
              {"queue":"WQf4b9"}]}],
  "default_filter":{"queue":"WQf4b9"}}}"""

# a single target from the docs, wrapped in the smallest filter around it
ORDER_AND_SKIP = """{"filters":[{"expression":"1==1","targets":[{"queue":"WQ3935",
  "expression":"task.subSection == worker.specializedSubField",
  "order_by":"worker.english_level ASC","priority":"1","skip_if":"workers.available == 0"}]}]}"""

OFFICE_HOURS = (
    "(taskrouter.dayOfWeek IN ['Mon', 'Tue', 'THU'] AND taskrouter.currentTime > 800"
    " AND taskrouter.currentTime < 1730)"
    " OR (taskrouter.dayOfWeek = 'Sat' AND taskrouter.currentTime > 0800)"
)
TIME_OF_DAY = json.dumps(
    {
        "task_routing": {
            "filters": [
                {
                    "filter_friendly_name": "Office hours",
                    "expression": OFFICE_HOURS,
                    "targets": [
                        {
                            "queue": "WQaaa",
                            "expression": "taskrouter.currentHour == '09' OR worker.night == true",
                        }
                    ],
                }
            ],
            "default_filter": {"queue": "WQccc"},
        }
    }
)


@pytest.mark.parametrize("text", [ESCALATION, SKILLS, KNOWN_AGENT, ORDER_AND_SKIP, TIME_OF_DAY])
def test_every_documented_example_parses(text: str) -> None:
    parse_configuration(text)


def test_simplest_configuration_is_a_default_filter_alone() -> None:
    config = parse({"task_routing": {"default_filter": {"queue": QC}}})
    assert config.filters == ()
    assert config.default_filter == Target(queue_sid=QC)
    assert config.queue_sids() == {QC}


def test_escalation_example_in_detail() -> None:
    config = parse_configuration(ESCALATION)
    (only,) = config.filters
    assert only.name == "Prioritizing Filter"
    assert only.expression.matches_all()
    first, second = only.targets
    assert (first.queue_sid, first.priority, first.timeout) == ("WQccc", 1, 300)
    # the second target inherits the queue and has no timeout of its own
    assert (second.queue_sid, second.priority, second.timeout) == ("WQccc", 10, None)


def test_later_targets_inherit_the_previous_targets_queue() -> None:
    config = parse(
        routing(
            {
                "expression": "1==1",
                "targets": [{"queue": QA}, {"priority": 5}, {"queue": QB}, {"timeout": 9}],
            }
        )
    )
    assert [t.queue_sid for t in config.filters[0].targets] == [QA, QA, QB, QB]
    assert config.queue_sids() == {QA, QB, QC}


def test_priority_and_timeout_may_be_numeric_strings() -> None:
    config = parse_configuration(SKILLS)
    gold = config.filters[1].targets[0]
    assert gold.priority == 10 and gold.timeout == 300
    config = parse(
        routing(
            {"expression": "1==1", "targets": [{"queue": QA, "priority": " 0 ", "timeout": "10"}]}
        )
    )
    assert (config.filters[0].targets[0].priority, config.filters[0].targets[0].timeout) == (0, 10)


def test_target_fields_are_parsed() -> None:
    config = parse_configuration(ORDER_AND_SKIP)  # no task_routing wrapper
    target = config.filters[0].targets[0]
    assert config.default_filter is None
    assert target.order_by == (OrderBy(("english_level",), descending=False),)
    assert target.skip_if is not None
    assert target.skip_if.evaluate({"workers": {"available": 0}})
    assert not target.skip_if.evaluate({"workers": {"available": 2}})
    assert target.expression is not None
    assert target.expression.evaluate(
        {"task": {"subSection": "x"}, "worker": {"specializedSubField": "x"}}
    )


def test_order_by_clauses_direction_defaults_to_asc_and_is_case_insensitive() -> None:
    config = parse(
        routing(
            {
                "expression": "1==1",
                "targets": [
                    {
                        "queue": QA,
                        "order_by": "worker.english_level desc, worker.skills.support,worker.x Asc",
                    }
                ],
            }
        )
    )
    assert config.filters[0].targets[0].order_by == (
        OrderBy(("english_level",), True),
        OrderBy(("skills", "support"), False),
        OrderBy(("x",), False),
    )


def test_known_worker_references_become_paths_into_the_task() -> None:
    config = parse_configuration(KNOWN_AGENT)
    first, second = config.filters[0].targets
    assert first.known_worker_sid == ("agent_sid",)
    assert first.known_worker_friendly_name is None and second.known_worker_sid is None
    config = parse(
        routing(
            {
                "expression": "1==1",
                "targets": [{"queue": QA, "known_worker_friendly_name": "task.customer.agent"}],
            }
        )
    )
    assert config.filters[0].targets[0].known_worker_friendly_name == ("customer", "agent")


def test_filter_name_falls_back_to_friendly_name_then_empty() -> None:
    config = parse(
        routing(
            {"friendly_name": "Alt", "expression": "1==1", "targets": [{"queue": QA}]},
            {"expression": "1==1", "targets": [{"queue": QA}]},
        )
    )
    assert [f.name for f in config.filters] == ["Alt", ""]


def test_unknown_keys_nulls_and_blank_optional_fields_are_ignored() -> None:
    config = parse(
        {
            "task_routing": {
                "filters": [
                    {
                        "expression": "1==1",
                        "colour": "red",
                        "targets": [
                            {
                                "queue": QA,
                                "expression": "",
                                "order_by": " ",
                                "skip_if": None,
                                "priority": None,
                                "extra": [1, 2],
                            }
                        ],
                    }
                ],
                "default_filter": {"queue": QC},
                "version": 2,
            },
            "other": True,
        }
    )
    assert config.filters[0].targets[0] == Target(queue_sid=QA)


def test_default_filter_has_no_timeout() -> None:
    config = parse({"default_filter": {"queue": QC, "timeout": 30, "priority": 3}})
    assert config.default_filter == Target(queue_sid=QC, priority=3)


def test_known_queues_are_accepted() -> None:
    config = parse(
        routing({"expression": "1==1", "targets": [{"queue": QA}, {"queue": QB}]}),
        known={QA, QB, QC},
    )
    assert config.queue_sids() == {QA, QB, QC}


# --- rejected documents: the message says what and where --------------------------


def test_numbers_json_cannot_hold_are_bad_json() -> None:
    text = '{"default_filter": {"queue": "WQa", "priority": 1' + "0" * 5000 + "}}"
    assert rejected(text).startswith("Invalid Configuration: not valid JSON: ")


def test_bad_json() -> None:
    message = rejected('{"task_routing": {')
    assert message.startswith("Invalid Configuration: not valid JSON: ")
    assert "line 1 column 19" in message


@pytest.mark.parametrize("document", [[], "text", 7, None])
def test_document_must_be_an_object(document: Any) -> None:
    assert rejected(json.dumps(document)) == (
        "Invalid Configuration: the document must be a JSON object"
    )


def test_task_routing_must_be_an_object() -> None:
    assert (
        rejected({"task_routing": []}) == "Invalid Configuration: task_routing: must be an object"
    )


@pytest.mark.parametrize(
    "document",
    [
        {"task_routing": {}},
        {"task_routing": {"filters": []}},
        {},
        {"filters": None},
    ],
)
def test_empty_routing(document: Any) -> None:
    message = rejected(document)
    assert "at least one filter or a default_filter is required" in message
    assert '"default_filter": {"queue": "WQ..."}' in message  # how to recover (issue 11)


def test_filters_must_be_an_array_of_objects() -> None:
    assert rejected({"task_routing": {"filters": {}}}) == (
        "Invalid Configuration: task_routing.filters: must be an array"
    )
    assert rejected({"filters": [7]}) == "Invalid Configuration: filters[0]: must be an object"


@pytest.mark.parametrize("targets", [None, []])
def test_filter_without_targets(targets: Any) -> None:
    body: dict[str, Any] = {"expression": "1==1"}
    if targets is not None:
        body["targets"] = targets
    assert rejected(routing({"expression": "1==1", "targets": [{"queue": QA}]}, body)) == (
        "Invalid Configuration: task_routing.filters[1].targets: a filter needs at least one target"
    )


def test_filter_expression_is_required() -> None:
    assert rejected(routing({"targets": [{"queue": QA}]})) == (
        "Invalid Configuration: task_routing.filters[0]: 'expression' is required on a filter"
    )
    assert "filters[0].expression: must be a string, not 1" in rejected(
        routing({"expression": 1, "targets": [{"queue": QA}]})
    )


def test_first_target_without_queue() -> None:
    assert rejected(routing({"expression": "1==1", "targets": [{"priority": 1}]})) == (
        "Invalid Configuration: task_routing.filters[0].targets[0]: "
        "'queue' is required on the first target"
    )


def test_default_filter_without_queue() -> None:
    assert rejected({"task_routing": {"default_filter": {}}}) == (
        "Invalid Configuration: task_routing.default_filter: "
        "'queue' is required on the default_filter"
    )


def test_queue_must_be_a_string() -> None:
    assert "targets[0].queue: must be a TaskQueue sid, not 5" in rejected(
        routing({"expression": "1==1", "targets": [{"queue": 5}]})
    )


def test_unknown_queue() -> None:
    message = rejected(
        routing({"expression": "1==1", "targets": [{"queue": QA}, {"queue": QB}]}), known={QA, QC}
    )
    assert message == (
        f'Invalid Configuration: task_routing.filters[0].targets[1].queue: unknown TaskQueue "{QB}"'
    )
    assert "default_filter.queue: unknown TaskQueue" in rejected(
        routing({"expression": "1==1", "targets": [{"queue": QA}]}), known={QA}
    )


def test_invalid_filter_expression_reports_the_position() -> None:
    message = rejected(
        routing(
            {"expression": "1==1", "targets": [{"queue": QA}]},
            {"expression": "type == ", "targets": [{"queue": QA}]},
        )
    )
    assert message.startswith(
        "Invalid Configuration: task_routing.filters[1].expression: "
        "Invalid expression at position 8"
    )


def test_invalid_target_expression_reports_the_position() -> None:
    message = rejected(
        routing(
            {"expression": "1==1", "targets": [{"queue": QA, "expression": "task.a == (worker.b"}]}
        )
    )
    assert message.startswith(
        "Invalid Configuration: task_routing.filters[0].targets[0].expression: "
        "Invalid expression at position "
    )


def test_target_expression_must_reference_task_worker_or_taskrouter() -> None:
    message = rejected(
        routing(
            {
                "expression": "1==1",
                "targets": [{"queue": QA, "expression": "task.language == language"}],
            }
        )
    )
    assert message == (
        "Invalid Configuration: task_routing.filters[0].targets[0].expression: "
        "reference 'language' must start with 'task.', 'worker.' or 'taskrouter.'"
    )
    assert "reference 'worker'" in rejected(
        routing({"expression": "1==1", "targets": [{"queue": QA, "expression": "worker == 1"}]})
    )


def test_skip_if_may_only_reference_worker_counts() -> None:
    message = rejected(
        routing({"expression": "1==1", "targets": [{"queue": QA, "skip_if": "task.vip == true"}]})
    )
    assert message == (
        "Invalid Configuration: task_routing.filters[0].targets[0].skip_if: "
        "reference 'task.vip' is not 'workers.available', 'workers.unavailable' "
        "or 'workers.<WA sid>'"
    )


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (-5, "must be between 1 and 2147483647, not -5"),
        (0, "must be between 1 and 2147483647, not 0"),
        ("-1", "must be between 1 and 2147483647, not -1"),
        (1.5, "must be an integer, not 1.5"),
        (True, "must be an integer, not true"),
        ("soon", 'must be an integer, not "soon"'),
        ([30], "must be an integer, not an array"),
    ],
)
def test_bad_timeout(value: Any, problem: str) -> None:
    assert rejected(
        routing({"expression": "1==1", "targets": [{"queue": QA, "timeout": value}]})
    ) == (f"Invalid Configuration: task_routing.filters[0].targets[0].timeout: {problem}")


def test_bad_priority() -> None:
    assert "targets[0].priority: must be between 0 and 2147483647, not -1" in rejected(
        routing({"expression": "1==1", "targets": [{"queue": QA, "priority": -1}]})
    )
    assert "default_filter.priority: must be an integer" in rejected(
        {"default_filter": {"queue": QA, "priority": "high"}}
    )


@pytest.mark.parametrize(
    "order_by",
    [
        "english_level ASC",
        "worker.english_level UP",
        "worker.a ASC DESC",
        "worker.a,",
        "worker.",
        "task.level",
        "worker..a",
        7,
    ],
)
def test_bad_order_by(order_by: Any) -> None:
    message = rejected(
        routing({"expression": "1==1", "targets": [{"queue": QA, "order_by": order_by}]})
    )
    assert message.startswith(
        "Invalid Configuration: task_routing.filters[0].targets[0].order_by: "
    )


def test_bad_order_by_names_the_clause() -> None:
    message = rejected(
        routing(
            {"expression": "1==1", "targets": [{"queue": QA, "order_by": "worker.a DESC, level"}]}
        )
    )
    assert message.endswith("order_by: clause 2 \"level\" is not 'worker.<attr> [ASC|DESC]'")


def test_both_known_worker_fields() -> None:
    assert rejected(
        routing(
            {
                "expression": "1==1",
                "targets": [
                    {
                        "queue": QA,
                        "known_worker_sid": "task.a",
                        "known_worker_friendly_name": "task.b",
                    }
                ],
            }
        )
    ) == (
        "Invalid Configuration: task_routing.filters[0].targets[0]: "
        "give only one of 'known_worker_sid' and 'known_worker_friendly_name'"
    )


@pytest.mark.parametrize("value", ["agent_sid", "worker.sid", "task.", "task"])
def test_known_worker_must_reference_the_task(value: str) -> None:
    assert (
        "targets[0].known_worker_sid: must be a task attribute like 'task.agent_sid'"
        in rejected(
            routing({"expression": "1==1", "targets": [{"queue": QA, "known_worker_sid": value}]})
        )
    )


def test_oversize_document() -> None:
    padding = "x" * MAX_CONFIGURATION_BYTES
    message = rejected({"default_filter": {"queue": QA}, "padding": padding})
    assert message == (
        f"Invalid Configuration: the document is larger than {MAX_CONFIGURATION_BYTES} bytes"
    )


def test_size_limit_counts_utf8_bytes() -> None:
    document = {"default_filter": {"queue": QA}, "note": ""}
    overhead = len(json.dumps(document, ensure_ascii=False).encode())
    fits = json.dumps(
        {**document, "note": "x" * (MAX_CONFIGURATION_BYTES - overhead)}, ensure_ascii=False
    )
    assert parse_configuration(fits).default_filter is not None
    over = fits.replace("x", "é", 1)  # same number of characters, one more byte
    assert len(over) == len(fits)
    with pytest.raises(InvalidParameter):
        parse_configuration(over)


# --- walking the steps -------------------------------------------------------------

WALK = routing(
    {
        "filter_friendly_name": "vip",
        "expression": "vip == true",
        "targets": [{"queue": QA, "timeout": 10}, {"queue": QB, "timeout": 20}],
    },
    {
        "filter_friendly_name": "english",
        "expression": "language == 'en'",
        "targets": [{"queue": QB, "timeout": 30}],
    },
    {"filter_friendly_name": "sales", "expression": "type == 'sale'", "targets": [{"queue": QC}]},
)


@pytest.fixture
def walk() -> WorkflowConfig:
    return parse(WALK)


def test_first_step_picks_the_first_matching_filter(walk: WorkflowConfig) -> None:
    assert first_step(walk, {"vip": True, "language": "en"}) == Step(0, 0)
    assert first_step(walk, {"language": "en", "type": "sale"}) == Step(1, 0)
    assert first_step(walk, {"type": "sale"}) == Step(2, 0)


def test_no_match_goes_to_the_default_filter(walk: WorkflowConfig) -> None:
    assert first_step(walk, {"type": "other"}) == Step(-1, 0)
    assert target_at(walk, Step(-1, 0)) == Target(queue_sid=QC)


def test_no_match_and_no_default_filter_is_none() -> None:
    config = parse(routing({"expression": "vip == true", "targets": [{"queue": QA}]}, default=None))
    assert first_step(config, {"vip": False}) is None


def test_filter_expressions_see_the_callers_context() -> None:
    config = parse_configuration(TIME_OF_DAY)
    office = {"taskrouter": {"dayOfWeek": "Mon", "currentTime": 930}}
    assert first_step(config, office) == Step(0, 0)
    assert first_step(config, {"taskrouter": {"dayOfWeek": "Sun", "currentTime": 930}}) == Step(
        -1, 0
    )


def test_next_step_walks_targets_then_next_matching_filter_then_none(walk: WorkflowConfig) -> None:
    task = {"vip": True, "language": "en", "type": "sale"}
    steps = [Step(0, 0)]
    while (following := next_step(walk, steps[-1], task)) is not None:
        steps.append(following)
    assert steps == [Step(0, 0), Step(0, 1), Step(1, 0), Step(2, 0)]
    assert [target_at(walk, s).queue_sid for s in steps] == [QA, QB, QB, QC]


def test_next_step_skips_filters_that_do_not_match(walk: WorkflowConfig) -> None:
    task = {"vip": True, "type": "sale"}
    assert next_step(walk, Step(0, 1), task) == Step(2, 0)
    # a timeout never falls back to the default filter
    assert next_step(walk, Step(0, 1), {"vip": True}) is None


def test_default_filter_has_no_next_step(walk: WorkflowConfig) -> None:
    assert next_step(walk, Step(-1, 0), {}) is None
    assert after_skip(walk, Step(-1, 0), {}) is None


def test_after_skip_falls_back_to_the_default_filter(walk: WorkflowConfig) -> None:
    task = {"vip": True}
    assert after_skip(walk, Step(0, 0), task) == Step(0, 1)  # same as next_step while steps remain
    assert after_skip(walk, Step(0, 1), {"vip": True, "type": "sale"}) == Step(2, 0)
    assert after_skip(walk, Step(0, 1), task) == Step(-1, 0)
    config = parse(routing({"expression": "1==1", "targets": [{"queue": QA}]}, default=None))
    assert after_skip(config, Step(0, 0), {}) is None


def test_is_last_step(walk: WorkflowConfig) -> None:
    assert not is_last_step(walk, Step(0, 0))
    assert not is_last_step(walk, Step(0, 1))  # a filter below might still match
    assert is_last_step(walk, Step(2, 0))
    assert is_last_step(walk, Step(-1, 0))


def test_target_at_rejects_steps_that_do_not_exist(walk: WorkflowConfig) -> None:
    for step in (Step(3, 0), Step(0, 2), Step(-2, 0), Step(0, -1)):
        with pytest.raises(IndexError):
            target_at(walk, step)
    without_default = parse(
        routing({"expression": "1==1", "targets": [{"queue": QA}]}, default=None)
    )
    with pytest.raises(IndexError):
        target_at(without_default, Step(-1, 0))
