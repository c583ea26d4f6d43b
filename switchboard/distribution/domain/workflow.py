"""Workflow configurations: parsing, validation and the walk through the steps.

A workflow's ``configuration`` is a JSON document (Twilio's ``task_routing``)::

    {"task_routing": {"filters": [{"filter_friendly_name": "...", "expression": "...",
                                   "targets": [{"queue": "WQ...", ...}, ...]}, ...],
                      "default_filter": {"queue": "WQ..."}}}

Parsing (:func:`parse_configuration`):

* the ``task_routing`` wrapper is optional; unknown keys are ignored, as Twilio does;
  a JSON ``null`` is the same as an absent key, and a blank string is an absent
  optional target field (``expression``, ``order_by``, ``skip_if``, ``known_worker_*``);
* at least one filter or a ``default_filter`` is required; a filter needs an
  ``expression`` (over the task's attributes) and at least one target;
* the first target of a filter needs ``queue``; later targets inherit the queue of
  the target before them. The default filter needs its own ``queue``, and has no
  timeout: a ``timeout`` there is validated but dropped (the task waits until its TTL);
* ``priority`` is an integer 0..2^31-1, ``timeout`` 1..2^31-1 seconds; both may be
  numeric strings (``"10"``), as in Twilio's own examples; floats are rejected;
* a target ``expression`` sees ``{"task": ..., "worker": ..., "taskrouter": ...}`` and
  may only reference ``task.*``, ``worker.*`` and ``taskrouter.*``; ``skip_if`` sees
  ``{"workers": {...}}`` and may only reference ``workers.<name>``;
* ``order_by`` is ``worker.<attr> [ASC|DESC]`` clauses separated by commas (direction
  case-insensitive, ASC by default); ``known_worker_sid`` / ``known_worker_friendly_name``
  (at most one) is a ``task.<path>`` reference into the task's attributes;
* ``strategy`` (a Switchboard extension) names a queue strategy (see
  :mod:`~switchboard.distribution.domain.strategies`); ``random_seed`` goes with
  ``"strategy": "random"``, ``handling_times`` (a ``task.<path>`` reference to an object
  of worker sid -> milliseconds) with ``"strategy": "lowest_average_handling_time"``;
* ``tiers`` (a Switchboard extension) ``{"levels": N, "wait_seconds": S, "attribute":
  "level"}`` on a filter's target stands for N steps: workers whose ``level`` is at
  most 1, then at most 2 after S seconds, and so on (see :func:`_tiered`);
* ``wrap_up_seconds``, ``reject_delay_seconds``, ``no_answer_delay_seconds`` (0..86400)
  and ``max_no_answer`` (>= 1) are Switchboard extensions too (see :class:`Rests`);
* ``no_agent_timeout`` (seconds, a Switchboard
  extension): the task moves on, as after ``timeout``, once no worker of the target's
  queue has been logged in for that long (mod_callcenter's max wait with no agent).

Every problem raises :class:`InvalidParameter` saying where it is, e.g.
``Invalid Configuration: task_routing.filters[1].targets[0].timeout: must be ...``.

Walking (a :class:`Step` is ``(filter_index, target_index)``, filter -1 = default):

* :func:`first_step`: the first filter, top to bottom, whose expression matches the
  task; none matches -> the default filter, or ``None`` when there is none;
* :func:`next_step` (after a timeout): the next target of the same filter, else the
  first *matching* filter below it, else ``None`` (the task falls out and is
  canceled). The default filter never has a next step;
* :func:`after_skip` (after ``skip_if`` fired): as :func:`next_step`, but a task that
  skips out of its last named step still qualifies for the default filter.

Filter expressions are evaluated against the context the caller passes: the task's
attributes (plus anything added, such as ``taskrouter``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, NoReturn

from switchboard.distribution.domain.expressions import (
    Expression,
    ExpressionError,
    compile_expression,
)
from switchboard.distribution.domain.strategies import LONGEST_IDLE, STRATEGIES, Strategy
from switchboard.kernel import limits
from switchboard.kernel.errors import InvalidParameter

MAX_CONFIGURATION_BYTES = 1_038_576
MAX_TIERS = 20
_INT_MAX = 2**31 - 1
_INTEGER_RE = re.compile(r"\s*[+-]?[0-9]{1,18}\s*")
_ATTRIBUTE_PATH_RE = re.compile(r"[^.\s]+(?:\.[^.\s]+)*")
_TARGET_ROOTS = ("task", "worker", "taskrouter")


@dataclass(frozen=True)
class OrderBy:
    """One ``order_by`` clause: a worker attribute path (without ``worker.``)."""

    path: tuple[str, ...]
    descending: bool


@dataclass(frozen=True)
class Rests:
    """What a worker's rest is after a task of this target (ACD settings): no offers for
    `wrap_up_seconds` after completing one, `reject_delay_seconds` after rejecting one,
    `no_answer_delay_seconds` after letting one time out; after `max_no_answer` offers
    in a row timed out the worker goes to the workspace's timeout activity (without it,
    every timeout does, as in TaskRouter)."""

    wrap_up_seconds: int = 0
    reject_delay_seconds: int = 0
    no_answer_delay_seconds: int = 0
    max_no_answer: int | None = None


NO_RESTS = Rests()
MAX_REST_SECONDS = 86_400


@dataclass(frozen=True)
class Target:
    """One step of a filter (or the default filter), with its queue resolved."""

    queue_sid: str
    expression: Expression | None = None
    priority: int | None = None
    timeout: int | None = None
    order_by: tuple[OrderBy, ...] = ()
    skip_if: Expression | None = None
    known_worker_sid: tuple[str, ...] | None = None
    known_worker_friendly_name: tuple[str, ...] | None = None
    # a Switchboard extension: which fitting worker comes first (see `strategies`)
    strategy: Strategy = LONGEST_IDLE
    # a Switchboard extension: move on after this long with no worker of the queue logged in
    no_agent_timeout: int | None = None
    # Switchboard extensions (see `Rests`): pauses after a task, a refusal, a missed offer
    rests: Rests = field(default_factory=lambda: NO_RESTS)


@dataclass(frozen=True)
class Filter:
    name: str
    expression: Expression
    targets: tuple[Target, ...]


@dataclass(frozen=True)
class WorkflowConfig:
    filters: tuple[Filter, ...]
    default_filter: Target | None

    def queue_sids(self) -> frozenset[str]:
        """Every TaskQueue the workflow can route to."""
        sids = {target.queue_sid for f in self.filters for target in f.targets}
        if self.default_filter is not None:
            sids.add(self.default_filter.queue_sid)
        return frozenset(sids)


@dataclass(frozen=True)
class Step:
    filter_index: int  # -1 means the default filter
    target_index: int  # 0 for the default filter


DEFAULT_STEP = Step(-1, 0)


# --- parsing -----------------------------------------------------------------


def _fail(where: str, what: str) -> NoReturn:
    raise InvalidParameter("Invalid Configuration: " + (f"{where}: {what}" if where else what))


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _show(value: Any) -> str:
    if isinstance(value, list | dict):
        return "an array" if isinstance(value, list) else "an object"
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


def parse_configuration(
    text: str, known_queue_sids: Collection[str] | None = None
) -> WorkflowConfig:
    """Parse and validate a workflow configuration document; raises InvalidParameter."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_CONFIGURATION_BYTES:
        _fail("", f"the document is larger than {MAX_CONFIGURATION_BYTES} bytes")
    try:
        document = limits.loads(text)
    except limits.InputError as exc:
        _fail("", exc.detail)
    if not isinstance(document, dict):
        _fail("", "the document must be a JSON object")
    where = ""
    if "task_routing" in document:
        where, document = "task_routing", document["task_routing"]
        if not isinstance(document, dict):
            _fail(where, "must be an object")
    parser = _Parser(None if known_queue_sids is None else frozenset(known_queue_sids))
    filters = parser.filters(document.get("filters"), _join(where, "filters"))
    default = parser.default_filter(document.get("default_filter"), _join(where, "default_filter"))
    if not filters and default is None:
        _fail(
            where,
            "at least one filter or a default_filter is required, e.g. "
            '{"task_routing": {"filters": [], "default_filter": {"queue": "WQ..."}}}',
        )
    return WorkflowConfig(filters, default)


class _Parser:
    def __init__(self, known_queue_sids: frozenset[str] | None) -> None:
        self.known_queue_sids = known_queue_sids

    def filters(self, raw: Any, where: str) -> tuple[Filter, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list):
            _fail(where, "must be an array")
        return tuple(self.filter(item, f"{where}[{i}]") for i, item in enumerate(raw))

    def filter(self, raw: Any, where: str) -> Filter:
        if not isinstance(raw, dict):
            _fail(where, "must be an object")
        name = raw.get("filter_friendly_name", raw.get("friendly_name"))
        if name is None:
            name = ""
        elif not isinstance(name, str):
            _fail(_join(where, "filter_friendly_name"), f"must be a string, not {_show(name)}")
        source = _optional_string(raw, "expression", where)
        if source is None:
            _fail(where, "'expression' is required on a filter")
        expression = _compile(source, _join(where, "expression"))
        return Filter(name, expression, self.targets(raw.get("targets"), _join(where, "targets")))

    def targets(self, raw: Any, where: str) -> tuple[Target, ...]:
        if raw is None or raw == []:
            _fail(where, "a filter needs at least one target")
        if not isinstance(raw, list):
            _fail(where, "must be an array")
        targets: list[Target] = []
        for i, item in enumerate(raw):
            inherited = targets[-1].queue_sid if targets else None
            target = self.target(item, f"{where}[{i}]", inherited)
            targets.extend(_tiered(target, item, f"{where}[{i}]"))
        return tuple(targets)

    def default_filter(self, raw: Any, where: str) -> Target | None:
        if raw is None:
            return None
        if isinstance(raw, dict) and raw.get("tiers") is not None:
            _fail(
                _join(where, "tiers"),
                "needs a filter's target (the default filter has no timeouts)",
            )
        # the default filter has no timeout: the task waits there until its TTL
        return replace(self.target(raw, where, None), timeout=None)

    def target(self, raw: Any, where: str, inherited_queue: str | None) -> Target:
        if not isinstance(raw, dict):
            _fail(where, "must be an object")
        known_sid = _task_path(raw, "known_worker_sid", where)
        known_name = _task_path(raw, "known_worker_friendly_name", where)
        if known_sid is not None and known_name is not None:
            _fail(where, "give only one of 'known_worker_sid' and 'known_worker_friendly_name'")
        return Target(
            queue_sid=self.queue(raw, where, inherited_queue),
            expression=_target_expression(raw, "expression", where),
            priority=_integer(raw, "priority", where, 0),
            timeout=_integer(raw, "timeout", where, 1),
            order_by=_order_by(raw, where),
            skip_if=_target_expression(raw, "skip_if", where),
            known_worker_sid=known_sid,
            known_worker_friendly_name=known_name,
            strategy=_strategy(raw, where),
            rests=_rests(raw, where),
            no_agent_timeout=_integer(raw, "no_agent_timeout", where, 1),
        )

    def queue(self, raw: dict[str, Any], where: str, inherited: str | None) -> str:
        value = raw.get("queue")
        if value is None and inherited is not None:
            return inherited
        if value is None:
            what = "the default_filter" if where.endswith("default_filter") else "the first target"
            _fail(where, f"'queue' is required on {what}")
        if not isinstance(value, str) or not value.strip():
            _fail(_join(where, "queue"), f"must be a TaskQueue sid, not {_show(value)}")
        if self.known_queue_sids is not None and value not in self.known_queue_sids:
            _fail(_join(where, "queue"), f"unknown TaskQueue {_show(value)}")
        return value


def _optional_string(raw: dict[str, Any], key: str, where: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        _fail(_join(where, key), f"must be a string, not {_show(value)}")
    return value if value.strip() else None


def _compile(source: str, where: str) -> Expression:
    try:
        return compile_expression(source)
    except ExpressionError as exc:
        _fail(where, f"Invalid expression at position {exc.position}: {exc.message}")


def _target_expression(raw: dict[str, Any], key: str, where: str) -> Expression | None:
    """Compile an optional `expression` or `skip_if` and check what it references."""
    source = _optional_string(raw, key, where)
    if source is None:
        return None
    expression = _compile(source, _join(where, key))
    for reference in sorted(expression.references):
        if key == "skip_if" and (reference[0] != "workers" or len(reference) != 2):
            problem = "is not 'workers.available', 'workers.unavailable' or 'workers.<WA sid>'"
        elif key != "skip_if" and (reference[0] not in _TARGET_ROOTS or len(reference) < 2):
            problem = "must start with 'task.', 'worker.' or 'taskrouter.'"
        else:
            continue
        _fail(_join(where, key), f"reference '{'.'.join(reference)}' {problem}")
    return expression


def _integer(raw: dict[str, Any], key: str, where: str, minimum: int) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, str) and _INTEGER_RE.fullmatch(value):
        number = int(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        _fail(_join(where, key), f"must be an integer, not {_show(value)}")
    if not minimum <= number <= _INT_MAX:
        _fail(_join(where, key), f"must be between {minimum} and {_INT_MAX}, not {number}")
    return number


def _order_by(raw: dict[str, Any], where: str) -> tuple[OrderBy, ...]:
    source = _optional_string(raw, "order_by", where)
    if source is None:
        return ()
    clauses: list[OrderBy] = []
    for i, clause in enumerate(source.split(",")):
        words = clause.split()
        direction = words[1].upper() if len(words) == 2 else "ASC"
        path = _prefixed_path(words[0], "worker") if words else None
        if path is None or len(words) > 2 or direction not in ("ASC", "DESC"):
            problem = f"clause {i + 1} {_show(clause.strip())} is not 'worker.<attr> [ASC|DESC]'"
            _fail(_join(where, "order_by"), problem)
        clauses.append(OrderBy(path, direction == "DESC"))
    return tuple(clauses)


def _strategy(raw: dict[str, Any], where: str) -> Strategy:
    name = _optional_string(raw, "strategy", where)
    seed = _integer(raw, "random_seed", where, 0)
    figures = _task_path(raw, "handling_times", where)
    if figures is not None and name != "lowest_average_handling_time":
        _fail(_join(where, "handling_times"), "needs 'strategy': 'lowest_average_handling_time'")
    if name is None:
        if seed is not None:
            _fail(_join(where, "random_seed"), "needs 'strategy': 'random'")
        return LONGEST_IDLE
    if name not in STRATEGIES:
        _fail(
            _join(where, "strategy"), f"must be one of {', '.join(STRATEGIES)}, not {_show(name)}"
        )
    if seed is not None and name != "random":
        _fail(_join(where, "random_seed"), "needs 'strategy': 'random'")
    return Strategy(name, seed or 0, figures)


def _rests(raw: dict[str, Any], where: str) -> Rests:
    seconds = {}
    for key in ("wrap_up_seconds", "reject_delay_seconds", "no_answer_delay_seconds"):
        value = _integer(raw, key, where, 0)
        if value is not None and value > MAX_REST_SECONDS:
            _fail(_join(where, key), f"must be between 0 and {MAX_REST_SECONDS}, not {value}")
        seconds[key] = value or 0
    rests = Rests(**seconds, max_no_answer=_integer(raw, "max_no_answer", where, 1))
    return NO_RESTS if rests == NO_RESTS else rests


def _tiered(target: Target, raw: Any, where: str) -> list[Target]:
    """A target with ``tiers`` as the steps it stands for: workers of level 1 first, then
    level 2 added after ``wait_seconds`` and so on, each step with the target's own
    expression; the last step keeps the target's timeout. The task keeps its age, so
    it keeps its place in the queue while the circle widens."""
    tiers = raw.get("tiers") if isinstance(raw, dict) else None
    if tiers is None:
        return [target]
    where = _join(where, "tiers")
    if not isinstance(tiers, dict):
        _fail(where, 'must be an object like {"levels": 3, "wait_seconds": 30}')
    if target.known_worker_sid or target.known_worker_friendly_name:
        _fail(where, "cannot go with 'known_worker_sid' or 'known_worker_friendly_name'")
    levels = _integer(tiers, "levels", where, 2)
    wait = _integer(tiers, "wait_seconds", where, 1)
    if levels is None or wait is None:
        _fail(where, "needs 'levels' (2 to 20) and 'wait_seconds'")
    if levels > MAX_TIERS:
        _fail(_join(where, "levels"), f"must be between 2 and {MAX_TIERS}, not {levels}")
    attribute = _optional_string(tiers, "attribute", where) or "level"
    if _prefixed_path(f"worker.{attribute}", "worker") is None:
        _fail(_join(where, "attribute"), f"must be a worker attribute name, not {_show(attribute)}")
    steps = []
    for level in range(1, levels + 1):
        tier = f"worker.{attribute} <= {level}"
        own = target.expression
        source = tier if own is None else f"({own.source}) AND {tier}"
        timeout = target.timeout if level == levels else wait
        steps.append(replace(target, expression=_compile(source, where), timeout=timeout))
    return steps


def _task_path(raw: dict[str, Any], key: str, where: str) -> tuple[str, ...] | None:
    source = _optional_string(raw, key, where)
    if source is None:
        return None
    path = _prefixed_path(source.strip(), "task")
    if path is None:
        _fail(
            _join(where, key),
            f"must be a task attribute like 'task.agent_sid', not {_show(source)}",
        )
    return path


def _prefixed_path(text: str, root: str) -> tuple[str, ...] | None:
    """``"worker.a.b"`` -> ``("a", "b")`` for root ``worker``; None when malformed."""
    if not _ATTRIBUTE_PATH_RE.fullmatch(text):
        return None
    parts = tuple(text.split("."))
    return parts[1:] if len(parts) >= 2 and parts[0] == root else None


# --- walking -----------------------------------------------------------------


def _first_match(config: WorkflowConfig, start: int, context: Mapping[str, Any]) -> Step | None:
    for index in range(start, len(config.filters)):
        if config.filters[index].expression.evaluate(context):
            return Step(index, 0)
    return None


def first_step(config: WorkflowConfig, task_context: Mapping[str, Any]) -> Step | None:
    """Where a new task enters: the first matching filter, else the default filter."""
    step = _first_match(config, 0, task_context)
    if step is None and config.default_filter is not None:
        return DEFAULT_STEP
    return step


def next_step(config: WorkflowConfig, step: Step, task_context: Mapping[str, Any]) -> Step | None:
    """The step after `step` times out; None when the task falls out of the workflow."""
    if step.filter_index == -1:
        return None
    if step.target_index + 1 < len(config.filters[step.filter_index].targets):
        return Step(step.filter_index, step.target_index + 1)
    return _first_match(config, step.filter_index + 1, task_context)


def after_skip(config: WorkflowConfig, step: Step, task_context: Mapping[str, Any]) -> Step | None:
    """The step after `step` was skipped (skip_if): as next_step, then the default filter."""
    following = next_step(config, step, task_context)
    if following is None and step.filter_index != -1 and config.default_filter is not None:
        return DEFAULT_STEP
    return following


def target_at(config: WorkflowConfig, step: Step) -> Target:
    """The target of `step`; IndexError when the step does not exist in this config."""
    if step.filter_index == -1 and step.target_index == 0:
        if config.default_filter is None:
            raise IndexError("the workflow has no default filter")
        return config.default_filter
    if not (0 <= step.filter_index < len(config.filters)):
        raise IndexError(f"the workflow has no filter {step.filter_index}")
    targets = config.filters[step.filter_index].targets
    if not (0 <= step.target_index < len(targets)):
        raise IndexError(f"filter {step.filter_index} has no target {step.target_index}")
    return targets[step.target_index]


def is_last_step(config: WorkflowConfig, step: Step) -> bool:
    """True when next_step is None whatever the task (no target or filter follows)."""
    if step.filter_index == -1:
        return True
    last_target = step.target_index + 1 >= len(config.filters[step.filter_index].targets)
    return last_target and step.filter_index + 1 >= len(config.filters)
