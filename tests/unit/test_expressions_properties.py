"""Expression properties: random well-formed text agrees with a tiny reference interpreter.

The interpreter below restates the documented semantics as plainly as possible,
so a disagreement points at either the spec or the compiler.
"""

from __future__ import annotations

import operator
import random
import string
from collections.abc import Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from switchboard.distribution.domain.expressions import ExpressionError, compile_expression

Node = tuple[Any, ...]

NAMES = ["a", "b", "c", "tags", "Level_2"]
OPS = ["==", "=", "!=", "<", ">", "<=", ">=", "CONTAINS", "HAS", "IN"]
OPS += [f"NOT {op}" for op in ("CONTAINS", "HAS", "IN")]
FAST = settings(max_examples=200, deadline=None)

# --- strategies -------------------------------------------------------------------

# a small pool first, so that equal values (and list members) turn up often
scalars = st.one_of(
    st.sampled_from([None, True, False, 0, 1, -1, 1.0, 2.5, "a", "b", "", "ab"]),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(alphabet="ab'\" \\", max_size=3),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(NAMES), inner),
    max_leaves=8,
)
contexts = st.dictionaries(st.sampled_from(NAMES), json_values, max_size=5)
literals = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3).map(tuple), max_leaves=5)
paths = st.tuples(
    st.sampled_from(NAMES), st.lists(st.sampled_from(NAMES) | st.integers(0, 2), max_size=2)
).map(lambda parts: (parts[0], *parts[1]))
atoms = literals.map(lambda value: ("lit", value)) | paths.map(lambda path: ("ref", path))


def _compound(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    return st.one_of(
        st.tuples(st.just("cmp"), st.sampled_from(OPS), children, children),
        st.tuples(st.just("and"), children, children),
        st.tuples(st.just("or"), children, children),
        st.tuples(st.just("not"), children),
        st.tuples(st.just("group"), children),
    )


trees = st.recursive(atoms, _compound, max_leaves=8)

# --- rendering ----------------------------------------------------------------------

PRECEDENCE = {"or": 1, "and": 2, "not": 3, "cmp": 4, "lit": 5, "ref": 5, "group": 5}


def keyword(word: str, rnd: random.Random) -> str:
    return rnd.choice([str.upper, str.lower, str.title])(word)


def render_literal(value: Any, rnd: random.Random) -> str:
    if value is None or isinstance(value, bool):
        return keyword({None: "null", True: "true", False: "false"}[value], rnd)
    if isinstance(value, int):
        sign, digits = ("-", str(-value)) if value < 0 else ("", str(value))
        return sign + "0" * rnd.randint(0, 2) + digits
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        quote = rnd.choice("'\"")
        return quote + value.replace("\\", "\\\\").replace(quote, "\\" + quote) + quote
    return "[" + rnd.choice([",", ", "]).join(render_literal(v, rnd) for v in value) + "]"


def render_path(path: tuple[str | int, ...]) -> str:
    text = str(path[0])
    for step in path[1:]:
        text += f".{step}" if isinstance(step, str) else f"[{step}]"
    return text


def render(node: Node, rnd: random.Random, minimum: int = 1) -> str:
    text = _render(node, rnd)
    return f"({text})" if PRECEDENCE[node[0]] < minimum else text


def _render(node: Node, rnd: random.Random) -> str:
    kind = node[0]
    if kind == "lit":
        return render_literal(node[1], rnd)
    if kind == "ref":
        return render_path(node[1])
    if kind == "group":
        return "(" + render(node[1], rnd) + ")"
    if kind == "not":
        return keyword("NOT", rnd) + " " + render(node[1], rnd, 3)
    if kind in ("and", "or"):
        joiner = " " + keyword(kind, rnd) + " "
        return render(node[1], rnd, 2) + joiner + render(node[2], rnd, 2)
    op = node[1]
    spaced = " " + " ".join(keyword(word, rnd) for word in op.split()) + " "
    if op[0] in "=!<>":
        spaced = rnd.choice([op, spaced])
    return render(node[2], rnd, 5) + spaced + render(node[3], rnd, 5)


# --- the reference interpreter ----------------------------------------------------


def family(value: Any) -> str:
    if value is None or isinstance(value, bool | str):
        return type(value).__name__
    if isinstance(value, int | float):
        return "number"
    return "list" if isinstance(value, list | tuple) else "object"


def same(a: Any, b: Any) -> bool:
    if family(a) != family(b):
        return False
    if family(a) == "list":
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if family(a) == "object":
        return a.keys() == b.keys() and all(same(a[key], b[key]) for key in a)
    return bool(a == b)


def element_of(value: Any, items: Any) -> bool:
    return any(same(value, item) for item in items)


def resolve(context: Any, path: tuple[str | int, ...]) -> Any:
    for step in path:
        if isinstance(step, str):
            found = isinstance(context, dict) and step in context
        else:
            found = isinstance(context, list) and step < len(context)
        if not found:
            return None
        context = context[step]
    return context


def has(a: Any, b: Any) -> bool:
    if family(a) != "list" or b is None:
        return False
    if family(b) == "list":
        return any(element_of(item, a) for item in b)
    return element_of(b, a)


def contains(a: Any, b: Any) -> bool:
    """Twilio's scalar CONTAINS: a substring test of two strings, false on arrays."""
    return family(a) == "str" and family(b) == "str" and b in a


ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}
APPLIES: dict[str, Callable[[Any, Any], bool]] = {
    "CONTAINS": lambda a, b: (family(a), family(b)) == ("str", "str"),
    "HAS": lambda a, b: family(a) == "list" and b is not None,
    "IN": lambda a, b: family(b) == "list" and a is not None,
}
POSITIVE: dict[str, Callable[[Any, Any], bool]] = {
    "CONTAINS": contains,
    "HAS": has,
    "IN": lambda a, b: has(b, a),
}


def is_null_literal(node: Node) -> bool:
    while node[0] == "group":
        node = node[1]
    return node[0] == "lit" and node[1] is None


def compare(op: str, left: Node, right: Node, context: Any) -> bool:
    if op in ("==", "=", "!=") and (is_null_literal(left) or is_null_literal(right)):
        missing = value_of(right if is_null_literal(left) else left, context) is None
        return missing if op != "!=" else not missing
    a, b = value_of(left, context), value_of(right, context)
    if op in ("==", "=", "!="):
        return a is not None and b is not None and same(a, b) is (op != "!=")
    if op in ORDER:
        kinds = (family(a), family(b))
        return kinds in (("number", "number"), ("str", "str")) and ORDER[op](a, b)
    if op.startswith("NOT "):
        op = op[4:]
        return APPLIES[op](a, b) and not POSITIVE[op](a, b)
    return POSITIVE[op](a, b)


def value_of(node: Node, context: Any) -> Any:
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "ref":
        return resolve(context, node[1])
    if kind == "group":
        return value_of(node[1], context)
    if kind == "not":
        return not bool(value_of(node[1], context))
    if kind == "and":
        return bool(value_of(node[1], context)) and bool(value_of(node[2], context))
    if kind == "or":
        return bool(value_of(node[1], context)) or bool(value_of(node[2], context))
    return compare(node[1], node[2], node[3], context)


# --- properties ---------------------------------------------------------------------


@FAST
@given(trees, contexts, st.randoms(use_true_random=False))
def test_random_expressions_agree_with_the_reference(
    tree: Node, context: dict[str, Any], rnd: random.Random
) -> None:
    text = render(tree, rnd)
    result = compile_expression(text).evaluate(context)
    assert type(result) is bool
    assert result == bool(value_of(tree, context)), text


@FAST
@given(st.sampled_from(OPS), atoms, atoms, contexts, st.randoms(use_true_random=False))
def test_single_comparisons_agree_with_the_reference(
    op: str, left: Node, right: Node, context: dict[str, Any], rnd: random.Random
) -> None:
    tree = ("cmp", op, left, right)
    text = render(tree, rnd)
    assert compile_expression(text).evaluate(context) == value_of(tree, context), text


@FAST
@given(trees, trees, contexts, st.randoms(use_true_random=False))
def test_logical_operators_compose(
    first: Node, second: Node, context: dict[str, Any], rnd: random.Random
) -> None:
    a, b = render(first, rnd), render(second, rnd)
    truth_a = compile_expression(a).evaluate(context)
    truth_b = compile_expression(b).evaluate(context)
    assert compile_expression(f"({a}) AND ({b})").evaluate(context) == (truth_a and truth_b)
    assert compile_expression(f"({a}) or ({b})").evaluate(context) == (truth_a or truth_b)
    assert compile_expression(f"NOT ({a})").evaluate(context) == (not truth_a)
    assert compile_expression(f"({a})").evaluate(context) == truth_a


@FAST
@given(trees, st.randoms(use_true_random=False))
def test_constant_expressions_report_matches_all(tree: Node, rnd: random.Random) -> None:
    expression = compile_expression(render(tree, rnd))
    if expression.matches_all():
        assert expression.evaluate({})
        assert expression.evaluate({name: [1, "x"] for name in NAMES})


FRAGMENTS = ["a", "b.c", "x[1]", "[", "]", "(", ")", "==", "=", "!", "<", "-", ",", ".", " "]
FRAGMENTS += ["IN", "not", "AND", "or", "HAS", "'x'", '"', "'", "\\", "1", "-2", "3.5", "null"]
garbage = st.text(st.sampled_from(string.printable), max_size=30) | st.lists(
    st.sampled_from(FRAGMENTS), max_size=12
).map("".join)


def assert_compiles_or_points_inside(text: str) -> None:
    try:
        compile_expression(text)
    except ExpressionError as error:
        assert 0 <= error.position <= len(text)
        assert error.expression == text


@FAST
@given(garbage)
def test_garbage_compiles_or_raises_expression_error(text: str) -> None:
    assert_compiles_or_points_inside(text)


@FAST
@given(trees, st.randoms(use_true_random=False), st.integers(0, 1000), st.sampled_from(FRAGMENTS))
def test_damaged_expressions_fail_cleanly(
    tree: Node, rnd: random.Random, where: int, insert: str
) -> None:
    text = render(tree, rnd)
    where %= len(text) + 1
    assert_compiles_or_points_inside(text[:where] + text[where + 1 :])
    assert_compiles_or_points_inside(text[:where] + insert + text[where:])


members = st.integers(-1000, 1000) | st.text(alphabet="abc'", max_size=3)


@FAST
@given(members, st.lists(members, max_size=5), st.randoms(use_true_random=False))
def test_in_agrees_with_python_membership(
    value: int | str, items: list[int | str], rnd: random.Random
) -> None:
    text = f"x IN {render_literal(tuple(items), rnd)}"
    assert compile_expression(text).evaluate({"x": value}) == (value in items)
    assert compile_expression(text.replace("IN", "NOT IN")).evaluate({"x": value}) == (
        value not in items
    )
