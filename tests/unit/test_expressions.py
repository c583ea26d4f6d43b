"""The TaskRouter expression language, rule by rule (Twilio's documented examples first)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from switchboard.distribution.domain.expressions import (
    Expression,
    ExpressionError,
    compile_expression,
    validate_expression,
)


def holds(text: str, context: dict[str, Any] | None = None) -> bool:
    return compile_expression(text).evaluate(context or {})


# --- Twilio's documentation examples -----------------------------------------


def test_constant_equality() -> None:
    assert holds("1 == 1")


def test_constant_inequality() -> None:
    assert holds("0 != 1")


def test_string_inequality() -> None:
    assert holds('"apple" != "orange"')


def test_greater_than_reference() -> None:
    assert holds("key > 1", {"key": 2})
    assert not holds("key > 1", {"key": 1})


def test_nested_attribute_inequality() -> None:
    assert holds('object.param != "apple"', {"object": {"param": "pear"}})
    assert not holds('object.param != "apple"', {"object": {"param": "apple"}})


def test_in_list_literal() -> None:
    assert holds('language IN ["en", "es"]', {"language": "es"})
    assert not holds('language IN ["en", "es"]', {"language": "fr"})


def test_or_of_parenthesised_conditions() -> None:
    text = "(condition_a == true) OR (condition_b == true)"
    assert holds(text, {"condition_a": False, "condition_b": True})
    assert not holds(text, {"condition_a": False, "condition_b": False})


def test_language_and_rating() -> None:
    text = '(language == "en" OR language == "fr") AND skill_rating >= 5.1'
    assert holds(text, {"language": "fr", "skill_rating": 5.1})
    assert not holds(text, {"language": "fr", "skill_rating": 5})
    assert not holds(text, {"language": "de", "skill_rating": 9})


def test_skills_and_languages_has() -> None:
    text = "(skills HAS 'support') AND (languages HAS 'english')"
    assert holds(text, {"skills": ["sales", "support"], "languages": ["english"]})
    assert not holds(text, {"skills": ["sales"], "languages": ["english"]})


def test_task_attribute_in_worker_attribute() -> None:
    text = "task.required_language IN worker.spoken_languages"
    context: dict[str, Any] = {
        "task": {"required_language": "es"},
        "worker": {"spoken_languages": ["en", "es"]},
    }
    assert holds(text, context)
    context["worker"]["spoken_languages"] = ["en"]
    assert not holds(text, context)


def test_worker_id_in_task_preferred_agents() -> None:
    context = {"worker": {"id": "w2"}, "task": {"preferred_agents": ["w1", "w2"]}}
    assert holds("worker.id IN task.preferred_agents", context)


def test_lowercase_in_with_single_quotes() -> None:
    text = "worker.activity_name in ['Generally Available', 'High Value Tasks']"
    assert holds(text, {"worker": {"activity_name": "High Value Tasks"}})
    assert not holds(text, {"worker": {"activity_name": "Offline"}})


def test_current_time_with_leading_zero() -> None:
    assert holds("taskrouter.currentTime > 0800", {"taskrouter": {"currentTime": 930}})
    assert not holds("taskrouter.currentTime > 0800", {"taskrouter": {"currentTime": 759}})


def test_single_equals_is_equality() -> None:
    assert holds("dayOfWeek = 'Sat'", {"dayOfWeek": "Sat"})
    assert not holds("dayOfWeek = 'Sat'", {"dayOfWeek": "Sun"})


def test_skip_if_context() -> None:
    assert holds("workers.available == 0", {"workers": {"available": 0}})


# --- literals and references -------------------------------------------------


def test_leading_zeros_equal_plain_number() -> None:
    assert holds("0800 == 800")


def test_negative_numbers() -> None:
    assert holds("balance < -5", {"balance": -10})
    assert holds("[-1, 2] HAS -1")


def test_ints_and_floats_compare_numerically() -> None:
    assert holds("level == 2.0", {"level": 2})
    assert holds("1 IN [1.0]")


def test_booleans_are_not_numbers() -> None:
    assert not holds("true == 1")
    assert holds("true != 1")
    assert not holds("true IN [1]")
    assert not holds("flag > 0", {"flag": True})


def test_string_comparison_is_case_sensitive() -> None:
    assert not holds("name == 'bob'", {"name": "Bob"})


def test_escaped_quotes_in_strings() -> None:
    assert holds(r"name == 'O\'Brien'", {"name": "O'Brien"})
    assert holds(r'quote == "say \"hi\""', {"quote": 'say "hi"'})


def test_array_index() -> None:
    context = {"object": {"array": ["a", "b", "c"]}}
    assert holds("object.array[2] == 'c'", context)
    assert not holds("object.array[3] == 'c'", context)


def test_missing_paths_resolve_to_null() -> None:
    assert not holds("a.b.c == 1", {"a": {"b": 5}})
    assert not holds("a.b == 1", {"a": "text"})
    assert holds("a.b.c == null", {"a": {"b": 5}})


def test_json_null_in_context_is_null() -> None:
    assert holds("x == null", {"x": None})


def test_bare_values() -> None:
    assert holds("true")
    assert not holds("false")
    assert holds("vip", {"vip": True})
    assert not holds("vip", {"vip": False})
    assert not holds("vip")
    assert holds("name", {"name": "x"})
    assert not holds("tags", {"tags": []})


def test_keywords_are_case_insensitive() -> None:
    assert holds("a In [1] aNd b hAs 'x' Or FALSE", {"a": 1, "b": ["x"]})
    assert holds("NOT x CONTAINS 'z' and TRUE", {"x": "abc"})
    assert holds("x not in [1]", {"x": 2})


def test_keywords_are_allowed_after_a_dot() -> None:
    assert holds("task.in == 1", {"task": {"in": 1}})


# --- operators -----------------------------------------------------------------


def test_ordering_needs_matching_types() -> None:
    assert holds("'b' > 'a'")
    assert not holds("'b' > 1")
    assert not holds("x <= 1")
    assert holds("x >= 1.5", {"x": 2})


def test_contains_is_a_substring_test_of_strings() -> None:
    assert holds("email CONTAINS '@example'", {"email": "a@example.com"})
    assert not holds("email CONTAINS 'EXAMPLE'", {"email": "a@example.com"})
    assert not holds("count CONTAINS 1", {"count": 1})


def test_contains_on_an_array_is_false_as_twilio_documents() -> None:
    """Twilio lists CONTAINS among the scalar operators, which are false on arrays;
    HAS is the array operator (issue 12, item 8)."""
    assert not holds("tags CONTAINS 'vip'", {"tags": ["new", "vip"]})
    assert not holds("tags NOT CONTAINS 'x'", {"tags": ["new", "vip"]})
    assert holds("tags HAS 'vip'", {"tags": ["new", "vip"]})


def test_has_with_scalar_and_list() -> None:
    assert holds("skills HAS ['billing', 'support']", {"skills": ["support"]})
    assert not holds("skills HAS ['billing']", {"skills": ["support"]})
    assert not holds("skill HAS 'support'", {"skill": "support"})


def test_in_with_list_on_the_left() -> None:
    assert holds("langs IN ['en', 'es']", {"langs": ["fr", "es"]})
    assert not holds("langs IN ['en']", {"langs": ["fr"]})
    assert not holds("lang IN 'english'", {"lang": "en"})


def test_list_equality() -> None:
    assert holds("tags == ['a', 'b']", {"tags": ["a", "b"]})
    assert not holds("tags == ['b', 'a']", {"tags": ["a", "b"]})


def test_negated_list_operators() -> None:
    assert holds("lang NOT IN ['en']", {"lang": "fr"})
    assert not holds("lang NOT IN ['en']", {"lang": "en"})
    assert holds("skills NOT HAS 'x'", {"skills": ["y"]})
    assert holds("email NOT CONTAINS 'spam'", {"email": "a@b.c"})


def test_negated_list_operators_are_false_when_not_applicable() -> None:
    assert not holds("lang NOT IN ['en']")
    assert not holds("lang NOT IN 'en'", {"lang": "fr"})
    assert not holds("skill NOT HAS 'x'", {"skill": "y"})
    assert not holds("count NOT CONTAINS 'x'", {"count": 3})


# --- NULL ------------------------------------------------------------------------


def test_missing_attribute_is_neither_equal_nor_unequal() -> None:
    assert not holds("x == 1")
    assert not holds("x != 1")
    assert not holds("x == y")


def test_null_literal_tests_presence() -> None:
    assert holds("x == null")
    assert not holds("x != null")
    assert holds("x != null", {"x": 0})
    assert not holds("x == null", {"x": False})
    assert holds("null == null")


def test_not_of_a_missing_comparison_is_true() -> None:
    assert holds("NOT x == 1")


def test_null_is_never_a_list_member() -> None:
    assert not holds("x IN [1]")
    assert not holds("tags HAS x", {"tags": [None]})


# --- precedence and NOT ------------------------------------------------------------


def test_and_binds_tighter_than_or() -> None:
    assert holds("true OR false AND false")
    assert not holds("(true OR false) AND false")


def test_not_applies_to_a_whole_comparison() -> None:
    assert holds("NOT a == 1", {"a": 2})
    assert not holds("NOT a == 1", {"a": 1})


def test_not_binds_tighter_than_and() -> None:
    assert not holds("NOT true AND true")
    assert holds("NOT (true AND false)")
    assert holds("NOT NOT true")


def test_parenthesised_comparison_as_operand() -> None:
    assert holds("(a == 1) == true", {"a": 1})


# --- compiled expression ----------------------------------------------------------


def test_references_lists_every_path() -> None:
    expression = compile_expression("task.skills HAS 'x' AND worker.languages[0] == task.lang")
    assert expression.references == frozenset(
        {("task", "skills"), ("worker", "languages", "[0]"), ("task", "lang")}
    )


def test_matches_all_for_constant_truth() -> None:
    assert compile_expression("1==1").matches_all()
    assert compile_expression("TRUE").matches_all()
    assert compile_expression("x == 1 OR true").matches_all()
    assert not compile_expression("x == x").matches_all()
    assert not compile_expression("false").matches_all()
    assert not compile_expression("x").matches_all()


def test_compilation_is_cached() -> None:
    assert compile_expression("a == 1") is compile_expression("a == 1")


def test_expression_is_a_frozen_value() -> None:
    expression = compile_expression("a == 1")
    assert isinstance(expression, Expression)
    assert expression.source == "a == 1"
    with pytest.raises(AttributeError):
        expression.source = "b"  # type: ignore[misc]


def test_long_chains_do_not_recurse() -> None:
    text = " OR ".join(f"x == {n}" for n in range(2000))
    assert holds(text, {"x": 1999})


# --- errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("", 0),
        ("   ", 0),
        ("skills HAS )", 11),
        ("skill-level == 1", 5),
        ("'abc", 0),
        ("a == 'abc", 5),
        ("a == 1 )", 7),
        ("(a == 1", 7),
        ("a ==", 4),
        ("a == 1 AND", 10),
        ("AND a", 0),
        ("a = = 1", 4),
        ("a # 1", 2),
        ("a == 1 b == 2", 7),
        ("a.", 2),
        ("a[x]", 2),
        ("a[-1]", 2),
        ("a[1", 3),
        ("[1, b]", 4),
        ("x NOT 1", 6),
        ("!x", 0),
        ("1 == 1 == 1", 7),
    ],
)
def test_error_position(text: str, position: int) -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_expression(text)
    assert caught.value.position == position
    assert caught.value.expression == text


def test_error_message_format() -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_expression("skills HAS )")
    assert str(caught.value) == (
        "Invalid expression at position 11: expected a value, found ')' in: skills HAS )"
    )
    assert caught.value.message == "expected a value, found ')'"


def test_hyphen_error_explains_itself() -> None:
    with pytest.raises(ExpressionError, match="hyphens are not allowed in attribute names"):
        compile_expression("skill-level == 1")


def test_expression_error_is_a_value_error_and_copies() -> None:
    with pytest.raises(ValueError, match="unterminated string"):
        validate_expression("'abc")
    error = ExpressionError("boom", "x", 0)
    assert str(copy.copy(error)) == str(error)  # what pickle relies on too


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(ExpressionError, match="nested too deeply"):
        compile_expression("(" * 500 + "1" + ")" * 500)


def test_validate_accepts_good_text() -> None:
    validate_expression("a == 1")
