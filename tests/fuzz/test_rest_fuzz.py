"""Schemathesis against the OpenAPI document the gateway serves, on a real in-process stack.

Every generated request (valid and schema-violating ones, for every operation) must get an answer that is not
a server error, carries no stack trace, and — for a 4xx — is a JSON object whose `detail` says what is wrong
(and, for a 400, whose `field` names where). The sentinel memory of another project must come out unchanged.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from dataclasses import dataclass, field

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from tests.fuzz.conftest import FUZZ_KEY, FUZZ_ORG, FUZZ_PROJECT, SEED_USER, Sentinel, fuzz_cases, fuzz_timeout
from tests.support.stack import InProcessStack

TRACEBACK_MARKERS = ("Traceback (most recent call last)", 'File "/')


@dataclass
class Findings:
    statuses: Counter = field(default_factory=Counter)
    problems: dict[tuple[str, str], str] = field(default_factory=dict)
    # Time spent waiting for the server, to tell it apart from generating cases (printed, never asserted).
    server_seconds: float = 0.0

    def add(self, label: str, problem: str, reproduce: str) -> None:
        self.problems.setdefault((label, problem), reproduce)


def problem_of(status: int, text: str) -> str | None:
    """What is wrong with a response, or None if it is acceptable."""
    if any(marker in text for marker in TRACEBACK_MARKERS):
        return f"{status}: stack trace in the body"
    if status >= 500:
        return f"{status}: server error {text[:200]}"
    if status < 400:
        return None
    try:
        body = json.loads(text)
    except ValueError:
        return f"{status}: body is not JSON: {text[:200]}"
    if not isinstance(body, dict) or not isinstance(body.get("detail"), str) or not body["detail"].strip():
        return f"{status}: no `detail` string: {text[:200]}"
    if status == 400 and not (isinstance(body.get("field"), str) and body["field"]):
        return f"{status}: no `field`: {text[:200]}"
    return None


def run_schemathesis(base_url: str, cases: int, seed_ids: list[str]) -> Findings:
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    valid = st.one_of([op.as_strategy(generation_mode=GenerationMode.POSITIVE) for op in operations])
    invalid = st.one_of([op.as_strategy(generation_mode=GenerationMode.NEGATIVE) for op in operations])
    # Two valid cases to one invalid: valid ones get past validation into the handlers (and cost half as much
    # to generate); invalid ones test the 400s.
    strategy = st.one_of(valid, valid, invalid)
    # Sometimes a path names something that exists: a stored memory, the seeded user.
    known = {
        "memory_id": st.sampled_from(seed_ids),
        "entity_id": st.just(SEED_USER),
        "entity_type": st.just("user"),
        "org_id": st.just(FUZZ_ORG),
        "project_id": st.just(FUZZ_PROJECT),
    }
    findings = Findings()
    session = requests.Session()
    headers = {"Authorization": f"Token {FUZZ_KEY}"}

    @settings(
        max_examples=cases,
        deadline=None,
        database=None,
        derandomize=False,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy, data=st.data())
    def exercise(case: schemathesis.Case, data: st.DataObject) -> None:
        label = case.operation.label
        for name, values in known.items():
            if name in (case.path_parameters or {}) and data.draw(st.booleans()):
                case.path_parameters[name] = data.draw(values)
        # Always the fuzzed project's key (negative cases may have generated another Authorization header).
        case.headers = {**(case.headers or {}), **headers}
        started = time.perf_counter()
        response = case.call(base_url=base_url, session=session, timeout=60)
        findings.server_seconds += time.perf_counter() - started
        findings.statuses[(label, response.status_code)] += 1
        problem = problem_of(response.status_code, response.text)
        if problem:
            findings.add(label, problem, case.as_curl_command(headers=headers))

    exercise()
    session.close()
    return findings


@pytest.mark.timeout(fuzz_timeout())
async def test_openapi_fuzz_finds_no_server_errors(
    fuzz_stack: InProcessStack, sentinel: Sentinel, seed_ids: list[str]
) -> None:
    cases = fuzz_cases()
    findings = await asyncio.to_thread(run_schemathesis, fuzz_stack.rest_url, cases, seed_ids)

    total = sum(findings.statuses.values())
    by_status = Counter()
    for (_, status), count in findings.statuses.items():
        by_status[status] += count
    reached = {label for (label, status) in findings.statuses if status < 400}
    print(f"\nschemathesis: {total} requests, statuses {dict(sorted(by_status.items()))}")
    print(f"time waiting for responses: {findings.server_seconds:.1f} s")
    labels = {label for label, _ in findings.statuses}
    print(f"operations answered 2xx at least once: {len(reached)} of {len(labels)}; never: {sorted(labels - reached)}")
    for (label, problem), reproduce in findings.problems.items():
        print(f"PROBLEM {label}: {problem}\n    {reproduce}")
    assert total >= cases
    assert not findings.problems, f"{len(findings.problems)} distinct problems (printed above)"
    await sentinel.assert_intact()
