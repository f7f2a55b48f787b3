"""The pure parts of gateway/webhooks.py: the signature, the retry schedule, event names, settings, and the
address check behind MEMGRID_WEBHOOKS__ALLOW_PRIVATE_ADDRESSES."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from pydantic import ValidationError

from gateway.backoff import backoff_seconds
from gateway.webhooks import WebhookSettings, _private_address, event_types_from_names, sign
from libs import domain
from libs.errors import InvalidArgument


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    body = b'{"event_type":"memory_add"}'
    expected = hmac.new(b"whsec_k", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert sign("whsec_k", 1700000000, body) == f"sha256={expected}"
    assert sign("whsec_k", 1700000001, body) != sign("whsec_k", 1700000000, body), "the timestamp is signed"
    assert sign("whsec_other", 1700000000, body) != sign("whsec_k", 1700000000, body)


def test_backoff_doubles_up_to_the_cap() -> None:
    assert [backoff_seconds(n, 10, 60) for n in range(1, 6)] == [10, 20, 40, 60, 60]


def test_event_names_are_checked_naming_the_field() -> None:
    assert event_types_from_names(["memory_add", "memory_categorize"]) == [
        domain.WebhookEventType.MEMORY_ADD,
        domain.WebhookEventType.MEMORY_CATEGORIZE,
    ]
    for bad in ([], ["memory_add", "MEMORY_ADD"], ["ingest_job_completed"]):
        with pytest.raises(InvalidArgument) as caught:
            event_types_from_names(bad)
        assert caught.value.field == "event_types"


def test_a_lease_shorter_than_a_post_is_refused() -> None:
    with pytest.raises(ValidationError, match="lease_seconds"):
        WebhookSettings(timeout_seconds=30, lease_seconds=10)


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        ("http://127.0.0.1:8080/x", "127.0.0.1"),
        ("http://10.1.2.3/", "10.1.2.3"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("http://[::1]:9000/", "::1"),
        ("http://localhost/", None),  # resolves to loopback: refused, whichever family comes first
        ("https://93.184.215.14/hook", ""),
    ],
)
async def test_non_public_addresses_are_found(url: str, refused: str | None) -> None:
    found = await _private_address(url)
    if refused is None:
        assert found is not None and found in ("127.0.0.1", "::1")
    elif refused == "":
        assert found is None
    else:
        assert found == refused
