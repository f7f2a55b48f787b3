"""Unit tests of the AST → Milvus expression translator (syntax checked with Milvus Lite's own parser)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from milvus_lite.search.filter import parse_expr
from milvus_lite.search.filter.tokens import TokenKind, tokenize

from libs.domain import Tenant
from libs.errors import InvalidArgument
from libs.filters import And, Condition, Not, Op, Or
from services.vectorsearch.milvus_filter import (
    FALSE_EXPR,
    TRUE_EXPR,
    conjoin_exprs,
    epoch_ms,
    ids_expr,
    quote,
    tenant_expr,
    to_milvus_expr,
)

DAY = datetime(2024, 3, 1, tzinfo=UTC)
DAY_MS = 1709251200000


def expr(field: str, op: Op, value: object = None) -> str:
    result = to_milvus_expr(Condition(field, op, value))
    assert result is not None
    parse_expr(result)  # every emitted expression must be valid Milvus syntax
    return result


@pytest.mark.parametrize("field", ["user_id", "agent_id", "app_id", "run_id"])
def test_scope_field_operators(field: str) -> None:
    assert expr(field, Op.EQ, "alex") == f'{field} == "alex"'
    # ne / nin never match a memory without the id, as on the SQL side.
    assert expr(field, Op.NE, "alex") == f'{field} != "alex" and {field} != ""'
    assert expr(field, Op.IN, ("a", "b")) == f'{field} in ["a", "b"]'
    assert expr(field, Op.NIN, ("a", "b")) == f'not ({field} in ["a", "b"]) and {field} != ""'
    assert expr(field, Op.EXISTS) == f'{field} != ""'


def test_scope_numbers_become_strings() -> None:
    assert expr("user_id", Op.EQ, 42) == 'user_id == "42"'


@pytest.mark.parametrize("op", [Op.GT, Op.GTE, Op.LT, Op.LTE, Op.CONTAINS, Op.ICONTAINS])
def test_scope_field_rejects_other_operators(op: Op) -> None:
    with pytest.raises(InvalidArgument, match=rf"operator '{op.value}'.*'user_id'") as raised:
        to_milvus_expr(Condition("user_id", op, "x"))
    assert raised.value.field == "filter"


@pytest.mark.parametrize("field", ["created_at", "updated_at"])
def test_time_field_operators(field: str) -> None:
    assert expr(field, Op.EQ, DAY) == f"{field} == {DAY_MS}"
    assert expr(field, Op.NE, DAY) == f"{field} != {DAY_MS}"
    assert expr(field, Op.GT, DAY) == f"{field} > {DAY_MS}"
    assert expr(field, Op.GTE, DAY) == f"{field} >= {DAY_MS}"
    assert expr(field, Op.LT, DAY) == f"{field} < {DAY_MS}"
    assert expr(field, Op.LTE, DAY) == f"{field} <= {DAY_MS}"
    assert expr(field, Op.IN, (DAY,)) == f"{field} in [{DAY_MS}]"
    assert expr(field, Op.NIN, (DAY,)) == f"not ({field} in [{DAY_MS}])"
    assert expr(field, Op.EXISTS) == TRUE_EXPR


def test_time_values_must_be_dates_and_other_operators_fail() -> None:
    with pytest.raises(InvalidArgument, match="created_at' takes a date"):
        to_milvus_expr(Condition("created_at", Op.GT, "yesterday"))
    with pytest.raises(InvalidArgument, match="operator 'contains'"):
        to_milvus_expr(Condition("created_at", Op.CONTAINS, "2024"))


def test_epoch_ms_handles_offsets_naive_and_sub_millisecond() -> None:
    plus_two = datetime(2024, 3, 1, 2, tzinfo=timezone(timedelta(hours=2)))
    assert epoch_ms(plus_two) == DAY_MS
    assert epoch_ms(datetime(2024, 3, 1)) == DAY_MS
    assert epoch_ms(DAY + timedelta(microseconds=1999)) == DAY_MS + 1
    assert epoch_ms(datetime(1969, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)) == -1


def test_categories_operators() -> None:
    assert expr("categories", Op.EQ, "food") == 'array_contains(categories, "food")'
    assert expr("categories", Op.CONTAINS, "food") == 'array_contains(categories, "food")'
    assert expr("categories", Op.IN, ("food", "travel")) == 'array_contains_any(categories, ["food", "travel"])'
    assert expr("categories", Op.NE, "food") == 'not (array_contains(categories, "food"))'
    assert expr("categories", Op.NIN, ("a", "b")) == 'not (array_contains_any(categories, ["a", "b"]))'
    assert expr("categories", Op.EXISTS) == "array_length(categories) != 0"
    assert expr("categories", Op.EQ, ("a", "b")) == 'array_contains_any(categories, ["a", "b"])'
    with pytest.raises(InvalidArgument, match=r"operator 'icontains'.*'categories'"):
        to_milvus_expr(Condition("categories", Op.ICONTAINS, "foo"))


def test_memory_ids() -> None:
    assert expr("memory_ids", Op.IN, ("m1", "m2", "m1")) == 'id in ["m1", "m2"]'
    assert expr("memory_ids", Op.EQ, "m1") == 'id in ["m1"]'
    assert expr("memory_ids", Op.NIN, ("m1",)) == 'not (id in ["m1"])'
    assert expr("memory_ids", Op.IN, ()) == FALSE_EXPR
    assert ids_expr([]) == FALSE_EXPR


@pytest.mark.parametrize("field", ["keywords", "expiration_date", "metadata.color", "metadata.a.b", "text"])
def test_unsupported_fields_name_the_field(field: str) -> None:
    with pytest.raises(InvalidArgument, match=f"field '{field}' cannot be filtered") as raised:
        to_milvus_expr(And((Condition("user_id", Op.EQ, "u"), Condition(field, Op.EQ, "x"))))
    assert raised.value.field == "filter"


def test_logical_nodes() -> None:
    a, b = Condition("user_id", Op.EQ, "a"), Condition("agent_id", Op.EQ, "b")
    assert to_milvus_expr(And((a, b))) == '(user_id == "a") and (agent_id == "b")'
    assert to_milvus_expr(Or((a, b))) == '(user_id == "a") or (agent_id == "b")'
    # NOT = none of its children match.
    assert to_milvus_expr(Not((a, b))) == 'not ((user_id == "a") or (agent_id == "b"))'
    nested = to_milvus_expr(Or((And((a, Not((b,)))), Condition("categories", Op.IN, ("x",)))))
    assert nested == ('((user_id == "a") and (not ((agent_id == "b")))) or (array_contains_any(categories, ["x"]))')
    parse_expr(nested)
    assert to_milvus_expr(None) is None


def test_tenant_and_conjoin() -> None:
    tenant = tenant_expr(Tenant(org_id="acme", project_id="app1"))
    assert tenant == 'org_id == "acme" and project_id == "app1"'
    combined = conjoin_exprs(tenant, None, 'user_id == "u"', ids_expr(["m"]))
    assert combined == f'({tenant}) and (user_id == "u") and (id in ["m"])'
    parse_expr(combined)
    assert conjoin_exprs(None) == TRUE_EXPR


@pytest.mark.parametrize(
    "nasty",
    [
        'alex" or user_id != "',
        "alex' or user_id != '",
        "back\\slash",
        "trailing backslash\\",
        '\\" or true or "',
        "line\nbreak\r\ttab",
        "ünïcødé ✓ 🙂",
        ") or (1 == 1",
        "",
    ],
)
def test_string_literals_are_escaped(nasty: str) -> None:
    result = expr("user_id", Op.EQ, nasty)
    tokens = tokenize(result)
    kinds = [token.kind for token in tokens]
    # Exactly: identifier, ==, one string literal, EOF — the value cannot add operators.
    assert len(tokens) == 4, kinds
    assert tokens[2].kind is TokenKind.STRING
    assert tokens[2].value == nasty


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_quote_round_trips_any_text(text: str) -> None:
    tokens = tokenize(quote(text))
    assert [token.kind for token in tokens] == [TokenKind.STRING, TokenKind.EOF]
    assert tokens[0].value == text


def test_tenant_values_are_escaped() -> None:
    result = tenant_expr(Tenant(org_id='a" or org_id != "', project_id="p"))
    strings = [token.value for token in tokenize(result) if token.kind is TokenKind.STRING]
    assert strings == ['a" or org_id != "', "p"]
