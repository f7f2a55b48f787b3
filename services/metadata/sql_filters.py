"""libs.filters AST → an SQLAlchemy where-clause over the memories table (SQLite and PostgreSQL).

Semantics (tests/metadata/reference.py is the executable version of this list):

- And = every child matches, Or = any child matches, Not = none of its children matches.
- Every predicate built here is two-valued (never SQL NULL), so NOT behaves as "none matches" even over
  missing values: each comparison is guarded by a presence/type test that is FALSE for missing data,
  and FALSE AND NULL is FALSE in SQL.
- A missing value never matches a comparison, *including ne and nin*: `user_id ne "a"` and
  `metadata.k ne 1` match only memories that have that field set (non-null) to something else. Use NOT
  to also select memories lacking the field. (A JSON null counts as missing.)
- Scope ids (user_id, agent_id, app_id, run_id): eq ne in nin, gt gte lt lte (string order, byte-wise),
  contains (case-sensitive substring), icontains (case-insensitive substring), exists (set).
- created_at / updated_at: eq ne in nin gt gte lt lte exists against aware datetimes.
  expiration_date: the same, comparing the operand's UTC date; memories without one never match.
- categories (a list): eq / contains / in = the list contains one of the values; ne / nin = it contains
  none of them; icontains = it contains the value ignoring case; exists = the list is not empty.
- keywords (the memory text): eq / contains / in = the text contains (one of) the value(s), case-sensitive;
  icontains = case-insensitive; ne / nin = contains none; exists = the text is not empty.
- memory_ids: in / eq = the id is one of them; nin / ne = it is none of them.
- metadata.<k1>[.<k2>...] (nested JSON path): comparisons follow the operand's JSON type and never cross
  types: eq 1 does not match "1" nor true; a number operand compares numerically with numbers only, a
  string operand compares with strings only (byte-wise order for gt/lt), a boolean only equals a boolean.
  in = eq one of; nin = present and eq none; ne = present and not eq. contains: a string value contains
  the operand as a substring (case-sensitive), or a list value has the operand as a string element;
  icontains: the same ignoring case. exists = present and not null.
- Case-insensitive matching lower-cases on the database; SQLite's lower() folds ASCII letters only.
- Unknown fields, unsupported operators and operands of the wrong type raise InvalidArgument naming the
  field.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import ColumnElement

from libs.errors import InvalidArgument
from libs.filters.ast import And, Condition, FilterNode, Not, Op, Or
from libs.filters.parser import parse_datetime
from services.metadata.models import MemoryRow

SUPPORTED_DIALECTS = ("sqlite", "postgresql")
SCOPE_COLUMNS = {
    "user_id": MemoryRow.user_id,
    "agent_id": MemoryRow.agent_id,
    "app_id": MemoryRow.app_id,
    "run_id": MemoryRow.run_id,
}
TIME_COLUMNS = {"created_at": MemoryRow.created_at, "updated_at": MemoryRow.updated_at}
ORDER_OPS = {
    Op.GT: lambda a, b: a > b,
    Op.GTE: lambda a, b: a >= b,
    Op.LT: lambda a, b: a < b,
    Op.LTE: lambda a, b: a <= b,
}
COMPARE_OPS = {Op.EQ: lambda a, b: a == b, Op.NE: lambda a, b: a != b, **ORDER_OPS}
MISSING = "missing"
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

Predicate = ColumnElement[bool]


def _where(field: str) -> str:
    return f"filter.{field}"


def _unsupported(condition: Condition, what: str) -> InvalidArgument:
    field = condition.field
    return InvalidArgument(
        f"{_where(field)}: operator '{condition.op.value}' is not supported for {what}", field=_where(field)
    )


def _many(condition: Condition) -> tuple[Any, ...]:
    value = condition.value
    values = tuple(value) if isinstance(value, tuple | list) else (value,)
    if not values:
        raise InvalidArgument(
            f"{_where(condition.field)}: '{condition.op.value}' takes a non-empty list", field=_where(condition.field)
        )
    for item in values:
        if item is None or isinstance(item, dict | list | tuple):
            raise InvalidArgument(
                f"{_where(condition.field)}: expected a list of strings, numbers or booleans",
                field=_where(condition.field),
            )
    return values


def _one(condition: Condition) -> Any:
    value = condition.value
    if value is None or isinstance(value, dict | list | tuple):
        raise InvalidArgument(
            f"{_where(condition.field)}: '{condition.op.value}' takes a single string, number or boolean",
            field=_where(condition.field),
        )
    return value


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _sql_number(value: int | float) -> int | float:
    """Integers beyond 64 bits as floats: neither SQLite nor PostgreSQL binds them as integers."""
    if isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
        return float(value)
    return value


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "string"


class SqlFilterTranslator:
    """Builds where-clauses for one SQL dialect ("sqlite" or "postgresql")."""

    def __init__(self, dialect: str) -> None:
        if dialect not in SUPPORTED_DIALECTS:
            raise ValueError(f"unsupported SQL dialect {dialect!r} (supported: {', '.join(SUPPORTED_DIALECTS)})")
        self._pg = dialect == "postgresql"

    # --- tree -----------------------------------------------------------------------------------

    def translate(self, node: FilterNode) -> Predicate:
        if isinstance(node, Condition):
            return self._condition(node)
        parts = [self.translate(child) for child in node.children]
        if isinstance(node, And):
            return sa.and_(sa.true(), *parts)
        if isinstance(node, Or):
            return sa.or_(sa.false(), *parts)
        if isinstance(node, Not):
            return sa.not_(sa.or_(sa.false(), *parts))
        raise InvalidArgument(f"filter: unknown node {type(node).__name__}", field="filter")

    def _condition(self, condition: Condition) -> Predicate:
        field = condition.field
        if field in SCOPE_COLUMNS:
            return self._string_column(SCOPE_COLUMNS[field], condition)
        if field in TIME_COLUMNS:
            return self._ordered_column(TIME_COLUMNS[field], condition, self._timestamp)
        if field == "expiration_date":
            return self._ordered_column(MemoryRow.expiration_date, condition, self._day)
        if field == "categories":
            return self._categories(condition)
        if field == "keywords":
            return self._keywords(condition)
        if field == "memory_ids":
            return self._memory_ids(condition)
        if field.startswith("metadata."):
            return self._metadata(condition)
        raise InvalidArgument(f"{_where(field)}: unknown filter field '{field}'", field=_where(field))

    # --- dialect helpers --------------------------------------------------------------------------

    def _contains_text(self, haystack: Any, needle: Any) -> Predicate:
        """Case-sensitive substring test (LIKE is case-insensitive on SQLite, so it is not used)."""
        position = sa.func.strpos(haystack, needle) if self._pg else sa.func.instr(haystack, needle)
        return position > 0

    def _ordered_text(self, expression: Any) -> Any:
        """Byte-wise string order on both backends (PostgreSQL's default collation may be locale-aware)."""
        return sa.collate(expression, "C") if self._pg else expression

    # --- plain columns ----------------------------------------------------------------------------

    def _string_column(self, column: Any, condition: Condition) -> Predicate:
        op = condition.op
        present = column.is_not(None)
        if op is Op.EXISTS:
            return present
        if op in (Op.IN, Op.NIN):
            values = [_text(value) for value in _many(condition)]
            test = column.in_(values) if op is Op.IN else column.not_in(values)
            return sa.and_(present, test)
        value = _text(_one(condition))
        if op in COMPARE_OPS:
            target = self._ordered_text(column) if op in ORDER_OPS else column
            return sa.and_(present, COMPARE_OPS[op](target, value))
        if op is Op.CONTAINS:
            return sa.and_(present, self._contains_text(column, value))
        if op is Op.ICONTAINS:
            return sa.and_(present, self._contains_text(sa.func.lower(column), sa.func.lower(value)))
        raise _unsupported(condition, "this field")

    def _timestamp(self, condition: Condition, value: Any) -> datetime:
        moment = value if isinstance(value, datetime) else parse_datetime(value, _where(condition.field))
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)

    def _day(self, condition: Condition, value: Any) -> date:
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        return self._timestamp(condition, value).date()

    def _ordered_column(self, column: Any, condition: Condition, coerce: Any) -> Predicate:
        op = condition.op
        present = column.is_not(None)
        if op is Op.EXISTS:
            return present
        if op in (Op.IN, Op.NIN):
            values = [coerce(condition, value) for value in _many(condition)]
            return sa.and_(present, column.in_(values) if op is Op.IN else column.not_in(values))
        if op in COMPARE_OPS:
            return sa.and_(present, COMPARE_OPS[op](column, coerce(condition, _one(condition))))
        raise _unsupported(condition, "dates")

    def _memory_ids(self, condition: Condition) -> Predicate:
        values = [_text(value) for value in _many(condition)]
        if condition.op in (Op.IN, Op.EQ):
            return MemoryRow.id.in_(values)
        if condition.op in (Op.NIN, Op.NE):
            return MemoryRow.id.not_in(values)
        raise _unsupported(condition, "memory_ids")

    def _keywords(self, condition: Condition) -> Predicate:
        op, text = condition.op, MemoryRow.text
        if op is Op.EXISTS:
            return text != ""
        if op is Op.ICONTAINS:
            return self._contains_text(sa.func.lower(text), sa.func.lower(_text(_one(condition))))
        if op in (Op.EQ, Op.CONTAINS, Op.IN, Op.NE, Op.NIN):
            values = _many(condition) if op in (Op.IN, Op.NIN) else (_one(condition),)
            any_match = sa.or_(sa.false(), *(self._contains_text(text, _text(value)) for value in values))
            return any_match if op in (Op.EQ, Op.CONTAINS, Op.IN) else sa.not_(any_match)
        raise _unsupported(condition, "keywords")

    # --- JSON lists -----------------------------------------------------------------------------

    def _any_element(self, array: Any, kind_of: Any, test: Any) -> Predicate:
        """True when `array` (a JSON expression) is an array with a string element passing `test`.

        `test` receives a SQL text expression of the element. `kind_of` is the normalised JSON type of
        `array`; the CASE keeps the element scan away from non-arrays (PostgreSQL raises on those).
        """
        if self._pg:
            elements = sa.func.jsonb_array_elements(array).table_valued("value")
            element_text = elements.c.value.op("#>>")(sa.literal_column("'{}'"))
            scan = (
                sa.select(sa.literal(1))
                .select_from(elements)
                .where(sa.func.jsonb_typeof(elements.c.value) == "string", test(element_text))
                .exists()
            )
        else:
            elements = array.table_valued("value", "type")
            scan = (
                sa.select(sa.literal(1))
                .select_from(elements)
                .where(elements.c.type == "text", test(elements.c.value))
                .exists()
            )
        return sa.case((kind_of == "array", scan), else_=sa.false())

    def _categories(self, condition: Condition) -> Predicate:
        op, column = condition.op, MemoryRow.categories
        if self._pg:
            array, kind = column, sa.func.coalesce(sa.func.jsonb_typeof(column), MISSING)
        else:
            array, kind = sa.func.json_each(column), sa.func.coalesce(sa.func.json_type(column), MISSING)
        if op is Op.EXISTS:
            length = sa.func.jsonb_array_length(column) if self._pg else sa.func.json_array_length(column)
            return sa.case((kind == "array", length > 0), else_=sa.false())
        if op is Op.ICONTAINS:
            value = _text(_one(condition))
            return self._any_element(array, kind, lambda element: sa.func.lower(element) == sa.func.lower(value))
        if op in (Op.EQ, Op.CONTAINS, Op.IN, Op.NE, Op.NIN):
            values = _many(condition) if op in (Op.IN, Op.NIN) else (_one(condition),)
            texts = [_text(value) for value in values]
            any_match = self._any_element(array, kind, lambda element: element.in_(texts))
            return any_match if op in (Op.EQ, Op.CONTAINS, Op.IN) else sa.not_(any_match)
        raise _unsupported(condition, "categories")

    # --- metadata -------------------------------------------------------------------------------

    def _metadata(self, condition: Condition) -> Predicate:
        keys = condition.field.split(".")[1:]
        if not keys or any(not key for key in keys):
            raise InvalidArgument(
                f"{_where(condition.field)}: metadata keys must be non-empty (metadata.<key>[.<key>...])",
                field=_where(condition.field),
            )
        if any('"' in key for key in keys):
            raise InvalidArgument(
                f"{_where(condition.field)}: metadata keys must not contain '\"'", field=_where(condition.field)
            )
        return _JsonPath(self, keys).predicate(condition)


class _JsonPath:
    """SQL expressions for one metadata path: its normalised JSON type, text, number and boolean value."""

    def __init__(self, translator: SqlFilterTranslator, keys: list[str]) -> None:
        self._translator = translator
        column = MemoryRow.metadata_
        if translator._pg:
            path = [sa.literal(key, sa.Text) for key in keys]
            self.json = sa.func.jsonb_extract_path(column, *path, type_=postgresql.JSONB)
            self.kind = sa.func.coalesce(sa.func.jsonb_typeof(self.json), MISSING)
            self.text = sa.func.jsonb_extract_path_text(column, *path, type_=sa.Text)
            self.number = sa.case((self.kind == "number", sa.cast(self.text, sa.Float)), else_=None)
            self.array = self.json
            self._true = self.text == "true"
        else:
            path = "$" + "".join(f'."{key}"' for key in keys)
            raw = sa.func.json_type(column, path)
            self.kind = sa.case(
                (raw.in_(("integer", "real")), "number"),
                (raw == "text", "string"),
                (raw.in_(("true", "false")), "boolean"),
                else_=sa.func.coalesce(raw, MISSING),
            )
            self.text = sa.func.json_extract(column, path)
            self.number = self.text
            self.array = sa.func.json_each(column, path)
            self._true = raw == "true"

    def predicate(self, condition: Condition) -> Predicate:
        op = condition.op
        exists = self.kind.not_in((MISSING, "null"))
        if op is Op.EXISTS:
            return exists
        if op in (Op.IN, Op.NIN):
            any_equal = sa.or_(sa.false(), *(self._equals(value) for value in _many(condition)))
            return any_equal if op is Op.IN else sa.and_(exists, sa.not_(any_equal))
        value = _one(condition)
        if op is Op.EQ:
            return self._equals(value)
        if op is Op.NE:
            return sa.and_(exists, sa.not_(self._equals(value)))
        if op in ORDER_OPS:
            kind = _json_kind(value)
            if kind == "number":
                return sa.and_(self.kind == "number", ORDER_OPS[op](self.number, _sql_number(value)))
            if kind == "string":
                ordered = self._translator._ordered_text(self.text)
                return sa.and_(self.kind == "string", ORDER_OPS[op](ordered, value))
            raise _unsupported(condition, "a boolean operand")
        if op in (Op.CONTAINS, Op.ICONTAINS):
            return self._contains(_text(value), ignore_case=op is Op.ICONTAINS)
        raise _unsupported(condition, "metadata")

    def _equals(self, value: Any) -> Predicate:
        kind = _json_kind(value)
        if kind == "boolean":
            return sa.and_(self.kind == "boolean", self._true if value else sa.not_(self._true))
        if kind == "number":
            return sa.and_(self.kind == "number", self.number == _sql_number(value))
        return sa.and_(self.kind == "string", self.text == value)

    def _contains(self, value: str, *, ignore_case: bool) -> Predicate:
        translator = self._translator
        if ignore_case:
            in_string = translator._contains_text(sa.func.lower(self.text), sa.func.lower(value))
            in_array = translator._any_element(
                self.array, self.kind, lambda element: sa.func.lower(element) == sa.func.lower(value)
            )
        else:
            in_string = translator._contains_text(self.text, value)
            in_array = translator._any_element(self.array, self.kind, lambda element: element == value)
        return sa.or_(sa.and_(self.kind == "string", in_string), in_array)
