"""Structured answers from a JSON-mode chat model: decode, validate, and repair once.

`ask_json` sends the messages, decodes the answer as one JSON object and hands it to a parser that raises
ModelOutputError with a precise, content-free reason when it does not fit. On the first failure it asks the
model again — the conversation so far, its own answer, and what was wrong with it — and parses that instead.
A second failure raises LLMOutputInvalid (gRPC INTERNAL, reason LLM_OUTPUT_INVALID, REST 502), so a caller
never acts on half-understood output.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

import structlog

from libs.errors import LLMOutputInvalid

log = structlog.get_logger()

T = TypeVar("T")

ChatMessage = Mapping[str, str]

# How much of an invalid answer is echoed back to the model in the repair request.
REPAIR_ECHO_CHARS = 4000

REPAIR_PROMPT = (
    "Your previous reply could not be used: {reason}. Reply again with only one JSON object that follows the "
    "output format given in the instructions exactly: no prose, no code fences, no comments."
)

_FENCE_RE = re.compile(r"^\s*```(?:json)?\s*\n?(?P<body>.*?)\n?\s*```\s*$", re.DOTALL | re.IGNORECASE)


class ModelOutputError(Exception):
    """The model answered, but not with something usable. `reason` names the problem, never the content."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class JsonChat(Protocol):
    async def complete_json(self, messages: Sequence[ChatMessage], *, purpose: str) -> str:
        """The text of one JSON-mode completion; ModelOutputError when the endpoint's answer has none."""
        ...


def decode_json_object(text: str) -> dict[str, Any]:
    """The JSON object in a model answer (a ```json fence around it is tolerated); ModelOutputError otherwise."""
    match = _FENCE_RE.match(text)
    if match:
        text = match.group("body")
    text = text.strip()
    if not text:
        raise ModelOutputError("the reply was empty")
    try:
        value = json.loads(text)
    except ValueError as error:
        line = getattr(error, "lineno", None)
        column = getattr(error, "colno", None)
        where = f" at line {line} column {column}" if line is not None else ""
        message = getattr(error, "msg", "invalid JSON")
        raise ModelOutputError(f"the reply is not valid JSON ({message}{where})") from None
    if not isinstance(value, dict):
        raise ModelOutputError(f"the reply must be a JSON object, not {_json_type(value)}")
    return value


async def ask_json(
    chat: JsonChat,
    messages: Sequence[ChatMessage],
    parse: Callable[[dict[str, Any]], T],
    *,
    purpose: str,
) -> T:
    """Ask, parse, and on failure ask once more with the reason; see the module docstring."""
    answer = ""
    try:
        answer = await chat.complete_json(messages, purpose=purpose)
        return parse(decode_json_object(answer))
    except ModelOutputError as first:
        problem = first.reason
    log.warning("llm.output_invalid", purpose=purpose, attempt=1, problem=problem)
    repair = [
        *messages,
        {"role": "assistant", "content": answer[:REPAIR_ECHO_CHARS]},
        {"role": "user", "content": REPAIR_PROMPT.format(reason=problem)},
    ]
    try:
        result = parse(decode_json_object(await chat.complete_json(repair, purpose=f"{purpose}.repair")))
    except ModelOutputError as second:
        log.warning("llm.output_invalid", purpose=purpose, attempt=2, problem=second.reason)
        raise LLMOutputInvalid(
            f"{purpose}: the model's output was invalid twice (after one repair attempt): {second.reason}"
        ) from None
    log.info("llm.output_repaired", purpose=purpose)
    return result


def _json_type(value: Any) -> str:
    """The JSON type of a decoded value, with its article ("an array", "a string", "null")."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return "null"


# --- small validators the parsers share; each raises ModelOutputError naming the JSON path -------


def require_list(container: Mapping[str, Any], key: str, path: str = "") -> list[Any]:
    if key not in container:
        raise ModelOutputError(f'the key "{path}{key}" is missing')
    value = container[key]
    if not isinstance(value, list):
        raise ModelOutputError(f'"{path}{key}" must be an array, not {_json_type(value)}')
    return value


def require_object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ModelOutputError(f'"{path}" must be an object, not {_json_type(value)}')
    return value


def require_text(item: Mapping[str, Any], key: str, path: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value.strip():
        found = "missing" if value is None else _json_type(value) if not isinstance(value, str) else "empty"
        raise ModelOutputError(f'"{path}.{key}" must be a non-empty string (it is {found})')
    return value.strip()


def optional_text(item: Mapping[str, Any], key: str, path: str) -> str | None:
    value = item.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ModelOutputError(f'"{path}.{key}" must be a string, not {_json_type(value)}')
    return value.strip() or None


def string_list(item: Mapping[str, Any], key: str, path: str) -> list[str]:
    value = item.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ModelOutputError(f'"{path}.{key}" must be an array of strings')
    return [v.strip() for v in value if v.strip()]


def choice(item: Mapping[str, Any], key: str, path: str, allowed: Sequence[str]) -> str:
    value = item.get(key)
    if isinstance(value, str) and value.strip().lower() in {a.lower() for a in allowed}:
        return next(a for a in allowed if a.lower() == value.strip().lower())
    options = ", ".join(f'"{a}"' for a in allowed)
    raise ModelOutputError(f'"{path}.{key}" must be one of {options}')


def integer(item: Mapping[str, Any], key: str, path: str) -> int:
    """An integer, also accepted as a string of digits ("3")."""
    value = item.get(key)
    if isinstance(value, bool):
        value = None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int):
        raise ModelOutputError(f'"{path}.{key}" must be an integer')
    return value
