"""TaskRouter's expression language, compiled once into nested closures.

Used by TaskQueue ``TargetWorkers`` (context: worker attributes), workflow
filters (task attributes), workflow targets (``{"task": ..., "worker": ...}``)
and ``skip_if`` (``{"workers": {...}}``). The matching engine evaluates millions
of (task, worker) pairs, so parsing happens once and evaluation only calls
prebuilt closures.

Grammar (keywords are case-insensitive)::

    expr       := and ( OR and )*          and := not ( AND not )*
    not        := NOT not | comparison     comparison := operand [ op operand ]
    op         := == | = | != | < | > | <= | >= | [NOT] CONTAINS | [NOT] HAS | [NOT] IN
    operand    := ( expr ) | reference | 'str' | "str" | number | true | false | null
                | [ literal, ... ]
    reference  := name ( .name | [index] )*     name := [A-Za-z_][A-Za-z0-9_]*

Semantics:

* ``a.b`` is ``context["a"]["b"]``; a missing key, a non-object in the middle,
  an out-of-range index or JSON null gives NULL (None).
* ints and floats compare numerically (``0800`` is 800); booleans are not
  numbers (``true != 1``); strings compare case-sensitively.
* ``==``/``!=`` need the same type family. If either side is NULL *both* are
  False (SQL-like: a missing attribute is neither equal nor unequal). Only the
  literal ``null`` tests presence: ``x == null`` is "x is missing or null",
  ``x != null`` is "x is present".
* ``< > <= >=`` compare number with number or string with string, else False.
* ``CONTAINS``: substring, for two strings only. Twilio lists it as a scalar
  operator, and scalar operators on arrays are false: ``HAS`` is the array one.
* ``HAS``: the left must be a list holding the right value (or, for a list on
  the right, any of its values). ``IN`` is ``HAS`` with the sides swapped.
* ``NOT IN``/``NOT HAS``/``NOT CONTAINS`` negate, but are False whenever the
  positive form does not apply (NULL operand, no list where one is needed).
* List elements compare with the ``==`` rule: ``1 IN [1.0]``, not ``true IN [1]``.
* A bare value is an expression: its truth is Python truthiness (a missing
  reference is false). AND binds tighter than OR; NOT is looser than a
  comparison (``NOT a == 1`` is ``NOT (a == 1)``).
* In string literals a backslash takes the next character literally.
* Keywords cannot start a reference but may follow a dot (``task.in``).
* Array indexes appear in ``Expression.references`` as ``"[n]"`` elements.
* More than 64 levels of nesting is a syntax error (keeps recursion bounded).
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Context = Mapping[str, Any]
Getter = Callable[[Context], Any]
Predicate = Callable[[Context], bool]
Operator = Callable[[Any, Any], bool]

_SEQ = (list, tuple)
_NUMERIC = frozenset({int, float})  # exact types: bool (an int subclass) is not a number
_COMPARE: dict[str, Operator] = {
    "==": operator.eq,
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}
_MAX_DEPTH = 64
_KEYWORDS = frozenset({"AND", "OR", "NOT", "IN", "HAS", "CONTAINS", "TRUE", "FALSE", "NULL"})
_LITERALS: dict[str, Any] = {"TRUE": True, "FALSE": False, "NULL": None}
_LIST_OPERATORS = ("IN", "HAS", "CONTAINS")
_TOKEN_RE = re.compile(
    r"(?P<ws>\s+)"
    r"|(?P<str>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"
    r"|(?P<hyphen>(?<=[A-Za-z0-9_])-)"
    r"|(?P<num>-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>==|!=|<=|>=|=|<|>)"
    r"|(?P<punct>[()\[\],.])",
    re.DOTALL,
)
_ESCAPE_RE = re.compile(r"\\(.)", re.DOTALL)


class ExpressionError(ValueError):
    """A syntax error, with the 0-based character offset where it was found."""

    def __init__(self, message: str, expression: str, position: int) -> None:
        super().__init__(message, expression, position)  # args as given, so it pickles
        self.message = message
        self.expression = expression
        self.position = position

    def __str__(self) -> str:
        return (
            f"Invalid expression at position {self.position}: {self.message} in: {self.expression}"
        )


Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Equality:
    """``left == right`` (or ``left HAS right`` when `op` is ``HAS``; ``a IN b`` is
    reported as ``b HAS a``), a conjunct the whole expression needs: when it is false,
    so is the expression. Each side is a reference path (``("worker", "lang")``) or,
    when the path is None, the constant beside it. The matching engine indexes workers
    by them.
    """

    left: Path | None
    right: Path | None
    left_value: Any = None
    right_value: Any = None
    op: str = "=="


@dataclass(frozen=True)
class Expression:
    """A compiled expression; equal when the source text is equal."""

    source: str
    references: frozenset[tuple[str, ...]]
    _predicate: Predicate = field(repr=False, compare=False)
    _always: bool = field(default=False, repr=False, compare=False)
    # the top-level `==` and `HAS` conjuncts (see Equality), outermost AND first
    equalities: tuple[Equality, ...] = field(default=(), repr=False, compare=False)

    def evaluate(self, context: Context) -> bool:
        """Whether the expression holds; never raises.

        Evaluation fails only on pathological values (nesting too deep to compare):
        that one context then does not match, so a single poisoned row cannot stop
        a routing pass over everybody else."""
        try:
            return self._predicate(context)
        except (RecursionError, MemoryError, TypeError, ValueError):
            return False

    def matches_all(self) -> bool:
        """True when constant-true for every context, so callers can skip evaluation."""
        return self._always


@functools.lru_cache(maxsize=4096)
def compile_expression(text: str) -> Expression:
    """Parse and compile ``text``; cached because the same few texts recur."""
    parser = _Parser(text)
    root = parser.parse()
    always = root.is_const and bool(root.value)
    equalities = () if root.is_const else root.equalities
    return Expression(text, frozenset(parser.references), _predicate(root), always, equalities)


NEVER = Expression("1==0", frozenset(), lambda _ctx: False)


def compile_stored(text: str) -> Expression:
    """A stored expression (validated when saved); one that no longer compiles
    matches nothing rather than failing every routing pass of its workspace."""
    try:
        return compile_expression(text)
    except (ExpressionError, RecursionError):
        return NEVER


def validate_expression(text: str) -> None:
    """Raise ExpressionError when ``text`` does not compile."""
    compile_expression(text)


def reference_getter(path: Path) -> Getter:
    """What a reference with this path reads from a context (None when it finds nothing)."""
    return _lookup(path)


def _is_number(value: Any) -> bool:
    return type(value) in _NUMERIC


def _same(a: Any, b: Any) -> bool:
    """Structural equality by type family: bools are not numbers, None equals None."""
    if a is None or b is None or isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, str):
        return isinstance(b, str) and a == b
    if type(a) in _NUMERIC:
        return type(b) in _NUMERIC and bool(a == b)
    if isinstance(a, _SEQ):
        return isinstance(b, _SEQ) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, Mapping) and isinstance(b, Mapping) and a.keys() == b.keys():
        return all(_same(value, b[key]) for key, value in a.items())
    return False


def _member(value: Any, items: Any) -> bool:
    return any(_same(value, item) for item in items)


def _orderable(a: Any, b: Any) -> bool:
    if isinstance(a, str):
        return isinstance(b, str)
    return _is_number(a) and _is_number(b)


def _ordered(cmp: Operator) -> Operator:
    return lambda a, b: _orderable(a, b) and cmp(a, b)


def _contains(a: Any, b: Any) -> bool:
    return isinstance(a, str) and isinstance(b, str) and b in a


def _has(a: Any, b: Any) -> bool:
    if not isinstance(a, _SEQ) or b is None:
        return False
    if isinstance(b, _SEQ):
        return any(_member(item, a) for item in b)
    return _member(b, a)


def _not_contains(a: Any, b: Any) -> bool:
    return isinstance(a, str) and isinstance(b, str) and b not in a


def _not_has(a: Any, b: Any) -> bool:
    return isinstance(a, _SEQ) and b is not None and not _has(a, b)


_OPERATORS: dict[str, Operator] = {
    "==": lambda a, b: a is not None and b is not None and _same(a, b),
    "!=": lambda a, b: a is not None and b is not None and not _same(a, b),
    **{op: _ordered(cmp) for op, cmp in _COMPARE.items() if op != "=="},
    "CONTAINS": _contains,
    "HAS": _has,
    "IN": lambda a, b: _has(b, a),
    "NOT CONTAINS": _not_contains,
    "NOT HAS": _not_has,
    "NOT IN": lambda a, b: _not_has(b, a),
}


@dataclass(frozen=True, slots=True)
class _Node:
    """A compiled sub-expression; constants are folded at compile time."""

    get: Getter
    is_const: bool = False
    value: Any = None
    is_null: bool = False
    is_bool: bool = False
    path: Path | None = None  # a plain reference: what it reads
    equalities: tuple[Equality, ...] = ()  # conjuncts that must hold for a truthy value


def _constant(value: Any, is_null: bool = False) -> _Node:
    return _Node(lambda _ctx: value, True, value, is_null, isinstance(value, bool))


def _boolean(get: Predicate) -> _Node:
    return _Node(get, is_bool=True)


def _predicate(node: _Node) -> Predicate:
    get = node.get
    return get if node.is_bool else lambda ctx: bool(get(ctx))


def _lookup(path: tuple[str | int, ...]) -> Getter:
    """A straight loop of lookups; anything that does not fit gives None."""
    key = path[0]
    if len(path) == 1 and isinstance(key, str):
        return lambda ctx: ctx.get(key)

    def get(ctx: Context) -> Any:
        current: Any = ctx
        for step in path:
            if isinstance(step, str):
                if type(current) is not dict and not isinstance(current, Mapping):
                    return None
                current = current.get(step)
            elif isinstance(current, _SEQ) and step < len(current):
                current = current[step]
            else:
                return None
        return current

    return get


def _binary(op: str, left: _Node, right: _Node) -> Predicate:
    """Bind the operator to its operands, with fast paths for constant right sides."""
    fn, lget, rget = _OPERATORS[op], left.get, right.get
    if not right.is_const:
        if left.is_const:
            lvalue = left.value
            return lambda ctx: fn(lvalue, rget(ctx))
        return lambda ctx: fn(lget(ctx), rget(ctx))
    value = right.value
    if op in _COMPARE and _is_number(value):
        cmp = _COMPARE[op]
        return lambda ctx: type(found := lget(ctx)) in _NUMERIC and cmp(found, value)
    if op in _COMPARE and isinstance(value, str):
        cmp = _COMPARE[op]
        return lambda ctx: isinstance(found := lget(ctx), str) and cmp(found, value)
    if isinstance(value, str) and op == "HAS":
        return lambda ctx: isinstance(found := lget(ctx), _SEQ) and value in found
    if op == "IN" and isinstance(value, _SEQ) and all(isinstance(v, str) for v in value):
        return _in_strings(lget, frozenset(value))
    return lambda ctx: fn(lget(ctx), value)


def _in_strings(get: Getter, allowed: frozenset[str]) -> Predicate:
    """``x IN ['a', 'b']`` as a set lookup (str only ever equals str)."""

    def check(ctx: Context) -> bool:
        found = get(ctx)
        if isinstance(found, str):
            return found in allowed
        if isinstance(found, _SEQ):
            return any(isinstance(item, str) and item in allowed for item in found)
        return False

    return check


def _compare(op: str, left: _Node, right: _Node) -> _Node:
    if op in ("==", "!=") and (left.is_null or right.is_null):
        return _null_compare(op == "==", right if left.is_null else left)
    if left.is_const and right.is_const:
        return _constant(_OPERATORS[op](left.value, right.value))
    node = _boolean(_binary(op, left, right))
    plain = (left.is_const or left.path is not None) and (right.is_const or right.path is not None)
    if op not in ("==", "HAS", "IN") or not plain:
        return node
    if op == "IN":  # `a IN b` is `b HAS a`
        equality = Equality(right.path, left.path, right.value, left.value, "HAS")
    else:
        equality = Equality(left.path, right.path, left.value, right.value, op)
    return _Node(node.get, is_bool=True, equalities=(equality,))


def _null_compare(is_missing: bool, other: _Node) -> _Node:
    """``x == null`` tests absence and ``x != null`` presence."""
    if other.is_const:
        return _constant((other.value is None) is is_missing)
    get = other.get
    return _boolean(lambda ctx: (get(ctx) is None) is is_missing)


def _negate(node: _Node) -> _Node:
    if node.is_const:
        return _constant(not node.value)
    pred = _predicate(node)
    return _boolean(lambda ctx: not pred(ctx))


def _logical(is_or: bool, nodes: list[_Node]) -> _Node:
    """n-ary AND/OR (flat, so long chains do not nest closures deeply)."""
    preds: list[Predicate] = []
    for node in nodes:
        if not node.is_const:
            preds.append(_predicate(node))
        elif bool(node.value) is is_or:
            return _constant(is_or)
    if not preds:
        return _constant(not is_or)
    node = _boolean(preds[0] if len(preds) == 1 else _combine(is_or, preds))
    if is_or:
        return node
    # every operand of an AND must hold, so must each one's own conjuncts
    equalities = tuple(e for n in nodes if not n.is_const for e in n.equalities)
    return _Node(node.get, is_bool=True, equalities=equalities)


def _combine(is_or: bool, preds: list[Predicate]) -> Predicate:
    if len(preds) > 2:
        if is_or:
            return lambda ctx: any(pred(ctx) for pred in preds)
        return lambda ctx: all(pred(ctx) for pred in preds)
    first, second = preds
    if is_or:
        return lambda ctx: first(ctx) or second(ctx)
    return lambda ctx: first(ctx) and second(ctx)


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # num, str, word, op, punct, end
    text: str
    pos: int
    value: Any = None

    def describe(self) -> str:
        text = self.text if len(self.text) <= 24 else self.text[:21] + "..."
        return f"'{text}'" if self.kind != "end" else "end of expression"


def _tokenize(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(source):
        match = _TOKEN_RE.match(source, pos)
        kind = match.lastgroup if match else None
        if match is None or kind == "hyphen":
            raise ExpressionError(_unexpected(source[pos], tokens), source, pos)
        if kind != "ws":
            tokens.append(_token(str(kind), match.group(), pos, source))
        pos = match.end()
    tokens.append(_Token("end", "", len(source)))
    return tokens


def _unexpected(char: str, tokens: list[_Token]) -> str:
    if char in "'\"":
        return "unterminated string"
    if char == "-" and tokens and tokens[-1].kind == "word":  # skill-level: say why
        return "unexpected '-': hyphens are not allowed in attribute names"
    return f"unexpected character {char!r}"


def _token(kind: str, text: str, pos: int, source: str) -> _Token:
    value: Any = None
    if kind == "str":
        value = _ESCAPE_RE.sub(r"\1", text[1:-1])
    elif kind == "num" and any(char in text for char in ".eE"):
        value = float(text)
    elif kind == "num":
        if len(text) > 4000:  # int() refuses very long digit strings
            raise ExpressionError("number is too long", source, pos)
        value = int(text)
    return _Token(kind, text, pos, value)


class _Parser:
    """Recursive descent over the token list, building closures as it goes."""

    def __init__(self, source: str) -> None:
        self.source = source
        if not source.strip():
            raise ExpressionError("expression is empty", source, 0)
        self.tokens = _tokenize(source)
        self.index = 0
        self.depth = 0
        self.references: set[tuple[str, ...]] = set()

    def parse(self) -> _Node:
        node = self._or()
        token = self._peek()
        if token.kind != "end":
            raise self._error("expected AND, OR or end of expression", token)
        return node

    def _peek(self, ahead: int = 0) -> _Token:
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def _next(self) -> _Token:
        token = self._peek()
        self.index += 1
        return token

    def _error(self, message: str, token: _Token) -> ExpressionError:
        return ExpressionError(f"{message}, found {token.describe()}", self.source, token.pos)

    def _keyword(self, ahead: int = 0) -> str | None:
        token = self._peek(ahead)
        word = token.text.upper()
        return word if token.kind == "word" and word in _KEYWORDS else None

    def _at(self, punct: str) -> bool:
        token = self._peek()
        return token.kind == "punct" and token.text == punct

    def _expect(self, punct: str) -> None:
        token = self._next()
        if token.kind != "punct" or token.text != punct:
            raise self._error(f"expected '{punct}'", token)

    def _nest(self, token: _Token) -> None:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise ExpressionError("expression is nested too deeply", self.source, token.pos)

    def _or(self) -> _Node:
        return self._chain("OR", self._and)

    def _and(self) -> _Node:
        return self._chain("AND", self._not)

    def _chain(self, keyword: str, operand: Callable[[], _Node]) -> _Node:
        nodes = [operand()]
        while self._keyword() == keyword:
            self.index += 1
            nodes.append(operand())
        return nodes[0] if len(nodes) == 1 else _logical(keyword == "OR", nodes)

    def _not(self) -> _Node:
        if self._keyword() != "NOT":
            return self._comparison()
        self._nest(self._next())
        node = _negate(self._not())
        self.depth -= 1
        return node

    def _comparison(self) -> _Node:
        left = self._operand()
        op = self._operator()
        return left if op is None else _compare(op, left, self._operand())

    def _operator(self) -> str | None:
        token = self._peek()
        if token.kind == "op":
            self.index += 1
            return "==" if token.text == "=" else token.text
        keyword = self._keyword()
        if keyword in _LIST_OPERATORS:
            self.index += 1
            return keyword
        if keyword != "NOT":
            return None
        negated = self._keyword(1)
        if negated not in _LIST_OPERATORS:
            raise self._error("expected IN, HAS or CONTAINS after NOT", self._peek(1))
        self.index += 2
        return f"NOT {negated}"

    def _operand(self) -> _Node:
        token = self._peek()
        if self._at("("):
            self._nest(self._next())
            node = self._or()
            self._expect(")")
            self.depth -= 1
            return node
        if token.kind == "word" and self._keyword() is None:
            return self._reference()
        value = self._literal("expected a value")
        return _constant(value, is_null=token.kind == "word" and value is None)

    def _literal(self, expected: str) -> Any:
        keyword = self._keyword()
        token = self._next()
        if token.kind in ("num", "str"):
            return token.value
        if keyword in _LITERALS:
            return _LITERALS[keyword]
        if token.kind == "punct" and token.text == "[":
            return self._list(token)
        raise self._error(expected, token)

    def _list(self, opening: _Token) -> tuple[Any, ...]:
        self._nest(opening)
        items: list[Any] = []
        if not self._at("]"):
            items.append(self._literal("list elements must be literal values"))
            while self._at(","):
                self.index += 1
                items.append(self._literal("list elements must be literal values"))
        self._expect("]")
        self.depth -= 1
        return tuple(items)

    def _reference(self) -> _Node:
        path: list[str | int] = [self._next().text]
        while self._at(".") or self._at("["):
            if self._next().text == ".":
                name = self._next()
                if name.kind != "word":
                    raise self._error("expected an attribute name after '.'", name)
                path.append(name.text)
                continue
            index = self._next()
            if type(index.value) is not int or index.text.startswith("-"):
                raise self._error("expected a non-negative integer index", index)
            path.append(index.value)
            self._expect("]")
        self.references.add(tuple(step if isinstance(step, str) else f"[{step}]" for step in path))
        return _Node(_lookup(tuple(path)), path=tuple(path))
