"""OpenAICompatibleClient: JSON-mode chat completions from any OpenAI-compatible endpoint, with bounded retries.

Built on the official `openai` async client with its own retries switched off (max_retries=0); the retry
policy is ours, so it can honour the caller's deadline and report typed errors:

- Retried, at most `max_retries` extra attempts: HTTP 408, 409, 429 and 5xx, timeouts, connection failures.
- Backoff before retry n (n = 0, 1, …): min(backoff_max, backoff_base * 2**n) times a random factor in
  [0.5, 1.0]. A 429's `retry-after-ms` / `Retry-After` (seconds or an HTTP date) is waited instead; a 429
  asking for longer than backoff_max is not retried.
- Each attempt's timeout is timeout_seconds, capped by the time left before the gRPC caller's deadline
  (libs.rpc.deadline) minus a small margin; a retry the deadline cannot fit is not started.
- After the last attempt: a timeout → UpstreamTimeout (504); a connection failure, 429 or 5xx →
  UpstreamUnavailable (503). Any other 4xx (bad key, unknown model, unsupported response_format) →
  UpstreamUnavailable at once, naming the status.
- A 200 that is not a chat completion, or has no text content → ModelOutputError (the caller may repair).

No prompt or completion text is ever logged; events carry purpose, attempt, sizes and timings.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import openai
import structlog

from libs.errors import MemgridError, UpstreamTimeout, UpstreamUnavailable
from libs.logging import REQUEST_ID_HEADER, current_request_id
from libs.rpc.deadline import remaining
from services.extraction.llm.structured import ChatMessage, ModelOutputError
from services.extraction.settings import LLMSettings

log = structlog.get_logger()

# Time kept back from the caller's deadline so our own error reaches it before its deadline does.
DEADLINE_MARGIN_SECONDS = 0.15
# An attempt with less time than this is not started.
MIN_ATTEMPT_SECONDS = 0.05
# Sent as the API key when none is configured (local OpenAI-compatible servers often need none).
NO_API_KEY = "not-needed"
_RETRYABLE_STATUSES = frozenset({408, 409, 429})
_ERROR_CODE_PREFIX = re.compile(r"^Error code: \d+ - ")


@dataclass(frozen=True, slots=True)
class _Failure:
    """One failed attempt, as far as the retry policy cares."""

    kind: str  # "timeout" | "unreachable" | "rate_limited" | "server_error"
    detail: str
    status: int | None = None
    retry_after: float | None = None


def backoff_delay(retry: int, base: float, cap: float, rand: float) -> float:
    """Seconds to wait before retry number `retry` (0-based); `rand` in [0, 1) picks the jitter."""
    return min(cap, base * 2**retry) * (0.5 + rand / 2)


def retry_after_seconds(headers: Any, now: datetime | None = None) -> float | None:
    """The wait a 429/503 asks for: `retry-after-ms`, or `Retry-After` as seconds or an HTTP date."""
    if headers is None:
        return None
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


class OpenAICompatibleClient:
    """JsonChat over the `openai` async client; see the module docstring for the retry policy."""

    def __init__(
        self,
        settings: LLMSettings,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        if not settings.base_url:
            raise ValueError("LLMSettings.base_url is required for the OpenAI-compatible client")
        self._settings = settings
        self._sleep = sleep
        self._jitter = jitter
        api_key = settings.api_key.get_secret_value() if settings.api_key else NO_API_KEY
        self._client = openai.AsyncOpenAI(
            base_url=settings.base_url, api_key=api_key, timeout=settings.timeout_seconds, max_retries=0
        )

    @property
    def model(self) -> str:
        return self._settings.model

    async def aclose(self) -> None:
        await self._client.close()

    async def complete_json(self, messages: Sequence[ChatMessage], *, purpose: str) -> str:
        settings = self._settings
        prompt_chars = sum(len(m.get("content", "")) for m in messages)
        request: dict[str, Any] = {
            "model": settings.model,
            "messages": [dict(m) for m in messages],
            "response_format": {"type": "json_object"},
        }
        if settings.temperature is not None:
            request["temperature"] = settings.temperature
        if request_id := current_request_id():
            request["extra_headers"] = {REQUEST_ID_HEADER: request_id}
        attempts = settings.max_retries + 1
        failure: _Failure | None = None
        for attempt in range(1, attempts + 1):
            timeout = self._attempt_timeout(purpose, failure)
            started = time.perf_counter()
            try:
                completion = await self._client.chat.completions.create(**request, timeout=timeout)
            except openai.APIError as error:
                failure = self._classify(error, purpose, timeout)
            else:
                content = _content_of(completion)
                log.info(
                    "llm.call_completed",
                    purpose=purpose,
                    model=settings.model,
                    attempt=attempt,
                    duration_ms=round((time.perf_counter() - started) * 1000, 1),
                    prompt_chars=prompt_chars,
                    completion_chars=len(content),
                )
                return content
            delay = self._retry_delay(attempt, failure)
            log.warning(
                "llm.call_failed",
                purpose=purpose,
                model=settings.model,
                attempt=attempt,
                kind=failure.kind,
                status=failure.status,
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
                retry_in_s=None if delay is None else round(delay, 3),
            )
            if delay is None:
                break
            await self._sleep(delay)
        assert failure is not None
        raise _final_error(failure, purpose, attempt)

    # --- policy -------------------------------------------------------------------------------

    def _attempt_timeout(self, purpose: str, failure: _Failure | None) -> float:
        left = remaining()
        if left is None:
            return self._settings.timeout_seconds
        budget = left - DEADLINE_MARGIN_SECONDS
        if budget < MIN_ATTEMPT_SECONDS:
            if failure is not None:
                raise _final_error(failure, purpose, None)
            raise UpstreamTimeout(f"{purpose}: no time left before the request deadline to call the LLM")
        return min(self._settings.timeout_seconds, budget)

    def _retry_delay(self, attempt: int, failure: _Failure) -> float | None:
        """Seconds to wait before the next attempt, or None when there should be none."""
        settings = self._settings
        if attempt > settings.max_retries:
            return None
        if failure.retry_after is not None:
            if failure.retry_after > settings.backoff_max_seconds:
                return None
            delay = failure.retry_after
        else:
            delay = backoff_delay(
                attempt - 1, settings.backoff_base_seconds, settings.backoff_max_seconds, self._jitter()
            )
        left = remaining()
        if left is not None and left - DEADLINE_MARGIN_SECONDS - delay < MIN_ATTEMPT_SECONDS:
            return None
        return delay

    def _classify(self, error: openai.APIError, purpose: str, timeout: float) -> _Failure:
        if isinstance(error, openai.APITimeoutError):
            capped = " (capped by the request deadline)" if timeout < self._settings.timeout_seconds else ""
            return _Failure("timeout", f"no answer within {timeout:.3g} s{capped}")
        if isinstance(error, openai.APIConnectionError):
            return _Failure("unreachable", "the endpoint could not be reached")
        if isinstance(error, openai.APIStatusError):
            status = error.status_code
            detail = f"HTTP {status}: {_short(_ERROR_CODE_PREFIX.sub('', error.message))}"
            if status == 429:
                return _Failure("rate_limited", detail, status, retry_after_seconds(error.response.headers))
            if status >= 500 or status in _RETRYABLE_STATUSES:
                return _Failure("server_error", detail, status, retry_after_seconds(error.response.headers))
            log.warning("llm.call_rejected", purpose=purpose, model=self._settings.model, status=status)
            raise UpstreamUnavailable(f"{purpose}: the LLM endpoint rejected the request ({detail})")
        # APIResponseValidationError and other answers the SDK could not read.
        raise ModelOutputError(f"the endpoint's answer could not be read ({type(error).__name__})")


def _final_error(failure: _Failure, purpose: str, attempts: int | None) -> MemgridError:
    tried = f" after {attempts} attempt{'s' if attempts != 1 else ''}" if attempts else ""
    if failure.kind == "timeout":
        return UpstreamTimeout(f"{purpose}: the LLM did not answer in time{tried} ({failure.detail})")
    if failure.kind == "unreachable":
        return UpstreamUnavailable(f"{purpose}: the LLM endpoint is unreachable{tried}")
    if failure.kind == "rate_limited":
        return UpstreamUnavailable(f"{purpose}: the LLM endpoint is rate limiting{tried} ({failure.detail})")
    return UpstreamUnavailable(f"{purpose}: the LLM endpoint failed{tried} ({failure.detail})")


def _content_of(completion: Any) -> str:
    choices = getattr(completion, "choices", None)
    if not isinstance(choices, list) or not choices:
        raise ModelOutputError("the endpoint's answer is not a chat completion")
    message = getattr(choices[0], "message", None)
    content = getattr(message, "content", None)
    if not isinstance(content, str):
        refused = bool(getattr(message, "refusal", None))
        raise ModelOutputError("the model refused to answer" if refused else "the completion has no text content")
    if getattr(choices[0], "finish_reason", None) == "length":
        log.warning("llm.output_truncated", completion_chars=len(content))
    return content


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
