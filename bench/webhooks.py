"""`python -m bench.webhooks [--adds 300] [--webhooks 5]`: what webhooks cost a write, and how fast they arrive.

Starts the stack in-process (hashing embedder: this measures the write path, not embeddings) and a real HTTP
receiver on 127.0.0.1, then times sequential verbatim adds over REST with no webhook and with `--webhooks`
active webhooks subscribed to memory_add, and the delivery lag (add answered → receiver got the POST) at the
default poll interval. Prints one JSON object."""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

import httpx

from bench.stats import summarize
from gateway.webhooks import WebhookSettings
from tests.support.stack import start_stack
from tests.support.webhook_receiver import WebhookReceiver

KEY = "bench-webhooks-key"


async def _adds(client: httpx.AsyncClient, count: int, label: str) -> tuple[list[float], list[float]]:
    """Latencies (seconds) of `count` adds, and when (perf_counter) each answered."""
    latencies, answered = [], []
    for index in range(count):
        body = {
            "messages": [{"role": "user", "content": f"{label} fact {index}"}],
            "user_id": "u",
            "infer": False,
            "async_mode": False,
        }
        started = time.perf_counter()
        response = await client.post("/v3/memories/add/", json=body, headers={"Authorization": f"Token {KEY}"})
        answered.append(time.perf_counter())
        response.raise_for_status()
        latencies.append(answered[-1] - started)
    return latencies, answered


async def measure(adds: int, webhooks: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as data_dir, WebhookReceiver() as receiver:
        stack = await start_stack(
            Path(data_dir), f"{KEY}=bench/webhooks", embedder="hashing", webhook_settings=WebhookSettings()
        )
        try:
            async with httpx.AsyncClient(base_url=stack.rest_url, timeout=60) as client:
                await _adds(client, 20, "warm-up")
                without, _ = await _adds(client, adds, "plain")
                for index in range(webhooks):
                    hook = {"name": f"b{index}", "url": receiver.url(f"/h{index}"), "event_types": ["memory_add"]}
                    created = await client.post(
                        "/api/v1/webhooks/projects/webhooks/", json=hook, headers={"Authorization": f"Token {KEY}"}
                    )
                    created.raise_for_status()
                with_hooks, answered = await _adds(client, adds, "hooked")
                await receiver.wait_for(lambda: len(receiver.received) >= adds * webhooks, within_seconds=600)
        finally:
            await stack.stop()
        # Lag per add: its first delivery after the add answered.
        first: dict[str, float] = {}
        for item in receiver.received:
            text = json.loads(item.body)["memory"]["memory"]
            first[text] = min(first.get(text, item.at), item.at)
        lags = [first[f"hooked fact {index}"] - answered[index] for index in range(adds)]
        deliveries = len(receiver.received)
    return {
        "adds": adds,
        "webhooks": webhooks,
        "add_without_webhooks": summarize(without),
        "add_with_webhooks": summarize(with_hooks),
        "delivery_lag": summarize(lags),
        "deliveries": deliveries,
        "poll_interval_seconds": WebhookSettings().poll_interval_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.webhooks", description=__doc__)
    parser.add_argument("--adds", type=int, default=300)
    parser.add_argument("--webhooks", type=int, default=5)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.adds, args.webhooks)), indent=2))


if __name__ == "__main__":
    main()
