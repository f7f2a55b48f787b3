"""The job payload of an asynchronous add carries every field of the validated command."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

from gateway import add_payload
from gateway.commands import AddCommand
from libs import domain


def _every_field_set() -> AddCommand:
    return AddCommand(
        messages=[
            domain.Message(domain.Role.USER, "I moved to Lisbon", "alex", "msg-1"),
            domain.Message(domain.Role.ASSISTANT, "Noted", None, None),
        ],
        scope=domain.Scope(user_id="alex", agent_id="helper", app_id="app", run_id="run-1"),
        metadata={"source": "chat", "nested": {"n": 1}},
        infer=False,
        immutable=True,
        expiration_date=date(2030, 1, 2),
        created_at=datetime(2026, 11, 26, 1, 2, 3, tzinfo=UTC),
        custom_instructions="keep places",
        custom_categories={"travel": "trips and moves"},
        includes="places",
        excludes="greetings",
        categories=["travel"],
    )


def test_every_field_of_the_command_survives_the_queue() -> None:
    command = _every_field_set()
    # A field added to AddCommand must be set above (and then carried by the payload) for this test to pass.
    defaults = AddCommand(messages=[], scope=domain.Scope())
    unset = [f.name for f in dataclasses.fields(AddCommand) if getattr(command, f.name) == getattr(defaults, f.name)]
    assert unset == [], f"set these in _every_field_set: {unset}"
    assert add_payload.decode(add_payload.encode(command)) == command
