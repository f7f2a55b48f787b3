"""Fixtures of the end-to-end tests: REST clients of the session stack."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.conftest import Stack


@pytest.fixture
async def client(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    """A REST client with the key of acme/app1."""
    async with httpx.AsyncClient(
        base_url=stack.rest_url, headers={"Authorization": f"Token {stack.key_a}"}, timeout=60
    ) as http:
        yield http
