"""Rules both engines (offline and LLM) follow: whose messages count, and how a request to forget travels.

A request to forget ("Forget that I like sushi", "Delete all of my food preferences") is a Fact with
`forget=True`, so the gateway embeds it and finds the memories it targets as reconciliation candidates:
    text        what is to be forgotten, phrased like the memories it targets ("Likes sushi", "Food preferences")
    categories  the categories of the targeted memories
A reconciler turns it into DELETE actions on matching mutable candidates, or nothing; it never ADDs or
UPDATEs it.
"""

from __future__ import annotations

from libs.domain import Fact, Role, Scope


def speaking_roles(scope: Scope) -> frozenset[Role]:
    """Whose messages facts come from: the user's unless only an agent_id is set; the agent's with one."""
    roles: set[Role] = set()
    if scope.user_id or not scope.agent_id:
        roles.add(Role.USER)
    if scope.agent_id:
        roles.add(Role.ASSISTANT)
    return frozenset(roles)


def forget_fact(target: str, categories: list[str], attributed_to: Role = Role.USER) -> Fact:
    """The fact carrying a request to forget the memories described by `target`."""
    return Fact(text=target, attributed_to=attributed_to, categories=list(categories), forget=True)


def is_forget(fact: Fact) -> bool:
    return fact.forget
