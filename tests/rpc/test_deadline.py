"""Request deadlines shrink on the way down: a downstream call gets at most what is left of the caller's budget,
and none is started once nothing is left."""

from __future__ import annotations

import time

import pytest

from libs.errors import UpstreamTimeout
from libs.rpc.deadline import deadline_scope, remaining, timeout_within


def test_without_a_deadline_the_call_keeps_its_own_cap() -> None:
    assert remaining() is None
    assert timeout_within(15.0) == 15.0


def test_a_call_gets_what_is_left_of_the_budget() -> None:
    with deadline_scope(2.0):
        left = timeout_within(15.0)
        assert 1.5 < left <= 2.0
        assert timeout_within(0.5) == 0.5


def test_an_inner_scope_cannot_extend_the_outer_deadline() -> None:
    with deadline_scope(1.0), deadline_scope(60.0):
        assert timeout_within(30.0) <= 1.0
    with deadline_scope(60.0), deadline_scope(1.0):
        assert timeout_within(30.0) <= 1.0
    with deadline_scope(1.0), deadline_scope(None):
        assert timeout_within(30.0) <= 1.0


def test_no_call_starts_after_the_deadline() -> None:
    with deadline_scope(0.01):
        time.sleep(0.02)
        with pytest.raises(UpstreamTimeout):
            timeout_within(15.0)
    assert timeout_within(15.0) == 15.0
