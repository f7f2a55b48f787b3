"""libs.filters AST → Milvus boolean expression, over the scalar fields the vector collection stores.

Supported: user_id / agent_id / app_id / run_id (eq ne in nin exists; unset ids are stored as "", so
`exists` is `!= ""` and `ne`/`nin` match rows without the id), created_at / updated_at (eq ne in nin
gt gte lt lte exists; epoch milliseconds), categories (eq/contains = has the category, in = has any of,
ne/nin = has none of, exists = has at least one) and memory_ids (in, nin, eq, ne). Any other field is
an InvalidArgument: metadata and keyword filters are resolved by the metadata service into candidate
ids. Every string is emitted as an escaped double-quoted literal, so values cannot change the
expression's structure.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from libs.domain import Tenant
from libs.errors import InvalidArgument
from libs.filters import And, Condition, FilterNode, Not, Op, Or

SCOPE_FIELDS = ("user_id", "agent_id", "app_id", "run_id")
TIME_FIELDS = ("created_at", "updated_at")
SUPPORTED_FIELDS = (*SCOPE_FIELDS, *TIME_FIELDS, "categories", "memory_ids")

# Constant expressions that work on Milvus Lite and Milvus server alike (ids are never empty).
TRUE_EXPR = 'id != ""'
FALSE_EXPR = 'id == ""'

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS = timedelta(milliseconds=1)
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_COMPARISONS = {Op.EQ: "==", Op.NE: "!=", Op.GT: ">", Op.GTE: ">=", Op.LT: "<", Op.LTE: "<="}


def quote(value: str) -> str:
    """A Milvus double-quoted string literal for `value` (backslash, quote and line breaks escaped)."""
    return '"' + "".join(_ESCAPES.get(ch, ch) for ch in value) + '"'


def quote_list(values: Iterable[str]) -> str:
    return "[" + ", ".join(quote(value) for value in values) + "]"


def epoch_ms(moment: datetime) -> int:
    """Milliseconds since the epoch (floored); a naive datetime is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // _ONE_MS


def tenant_expr(tenant: Tenant) -> str:
    return f"org_id == {quote(tenant.org_id)} and project_id == {quote(tenant.project_id)}"


def ids_expr(ids: Iterable[str]) -> str:
    unique = list(dict.fromkeys(ids))
    return f"id in {quote_list(unique)}" if unique else FALSE_EXPR


def conjoin_exprs(*exprs: str | None) -> str:
    present = [expr for expr in exprs if expr]
    if not present:
        return TRUE_EXPR
    if len(present) == 1:
        return present[0]
    return " and ".join(f"({expr})" for expr in present)


def to_milvus_expr(node: FilterNode | None) -> str | None:
    """The Milvus expression for a filter, or None for no filter. Raises InvalidArgument."""
    if node is None:
        return None
    return _node(node)


def _node(node: FilterNode) -> str:
    if isinstance(node, Condition):
        return _condition(node)
    parts = [_node(child) for child in node.children]
    if isinstance(node, And):
        return " and ".join(f"({part})" for part in parts) if parts else TRUE_EXPR
    if isinstance(node, Or):
        return " or ".join(f"({part})" for part in parts) if parts else FALSE_EXPR
    if isinstance(node, Not):
        if not parts:
            return TRUE_EXPR
        return "not (" + " or ".join(f"({part})" for part in parts) + ")"
    raise InvalidArgument(f"filter: unsupported node {type(node).__name__}", field="filter")


def _condition(condition: Condition) -> str:
    field = condition.field
    if field in SCOPE_FIELDS:
        return _scope(condition)
    if field in TIME_FIELDS:
        return _time(condition)
    if field == "categories":
        return _categories(condition)
    if field == "memory_ids":
        return _memory_ids(condition)
    raise InvalidArgument(
        f"filter: field '{field}' cannot be filtered in vector search (supported: "
        f"{', '.join(SUPPORTED_FIELDS)}); metadata and keyword filters must be resolved to candidate_ids",
        field="filter",
    )


def _unsupported(condition: Condition) -> InvalidArgument:
    return InvalidArgument(
        f"filter: operator '{condition.op.value}' is not supported on field '{condition.field}' in vector search",
        field="filter",
    )


def _text(condition: Condition, value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float) or value is None:
        return str(value) if value is not None else ""
    raise InvalidArgument(
        f"filter: field '{condition.field}' takes a string, got {type(value).__name__}", field="filter"
    )


def _texts(condition: Condition) -> list[str]:
    values = condition.value if isinstance(condition.value, tuple | list) else (condition.value,)
    return [_text(condition, value) for value in values]


def _scope(condition: Condition) -> str:
    field, op = condition.field, condition.op
    if op is Op.EXISTS:
        return f'{field} != ""'
    if op is Op.EQ:
        return f"{field} == {quote(_text(condition, condition.value))}"
    # ne / nin never match a memory without that id (unset is stored as ""), as in SQL.
    if op is Op.NE:
        return f'{field} != {quote(_text(condition, condition.value))} and {field} != ""'
    if op is Op.IN:
        values = _texts(condition)
        return f"{field} in {quote_list(values)}" if values else FALSE_EXPR
    if op is Op.NIN:
        values = _texts(condition)
        return f'not ({field} in {quote_list(values)}) and {field} != ""' if values else f'{field} != ""'
    raise _unsupported(condition)


def _millis(condition: Condition, value: Any) -> int:
    if isinstance(value, datetime):
        return epoch_ms(value)
    raise InvalidArgument(f"filter: field '{condition.field}' takes a date, got {type(value).__name__}", field="filter")


def _time(condition: Condition) -> str:
    field, op = condition.field, condition.op
    if op is Op.EXISTS:
        return TRUE_EXPR  # every row has both times
    if op in _COMPARISONS:
        return f"{field} {_COMPARISONS[op]} {_millis(condition, condition.value)}"
    if op in (Op.IN, Op.NIN):
        values = condition.value if isinstance(condition.value, tuple | list) else (condition.value,)
        millis = ", ".join(str(_millis(condition, value)) for value in values)
        if not millis:
            return FALSE_EXPR if op is Op.IN else TRUE_EXPR
        expr = f"{field} in [{millis}]"
        return expr if op is Op.IN else f"not ({expr})"
    raise _unsupported(condition)


def _categories(condition: Condition) -> str:
    op = condition.op
    if op is Op.EXISTS:
        return "array_length(categories) != 0"  # Milvus 2.3 rejects ">" on array_length
    if op in (Op.EQ, Op.CONTAINS, Op.NE):
        if isinstance(condition.value, tuple | list):
            expr = f"array_contains_any(categories, {quote_list(_texts(condition))})"
        else:
            expr = f"array_contains(categories, {quote(_text(condition, condition.value))})"
        return f"not ({expr})" if op is Op.NE else expr
    if op in (Op.IN, Op.NIN):
        values = _texts(condition)
        if not values:
            return FALSE_EXPR if op is Op.IN else TRUE_EXPR
        expr = f"array_contains_any(categories, {quote_list(values)})"
        return expr if op is Op.IN else f"not ({expr})"
    raise _unsupported(condition)


def _memory_ids(condition: Condition) -> str:
    op = condition.op
    if op in (Op.IN, Op.EQ):
        return ids_expr(_texts(condition))
    if op in (Op.NIN, Op.NE):
        values = _texts(condition)
        return f"not ({ids_expr(values)})" if values else TRUE_EXPR
    raise _unsupported(condition)
