"""Read-your-writes on a Milvus server without waiting for every write: which searches must read Session.

A Session read waits until the query node has applied this client's latest write to the collection — any
tenant's, any user's. The node applies writes on its time tick (~200 ms), so under a steady trickle of adds
nearly every search waited for somebody else's write: measured at 20k memories with 5 clients (80% search,
20% add), Session gave 32.5 ops/s and search p50 / p95 99 / 359 ms, Bounded 57.9 ops/s and 68 / 108 ms.

`RecentWrites` remembers, for `window_seconds`, which tenants, users and memory ids this process wrote to. A
search reads Session only when a write in the window could be among its results: the same tenant and, when
it is restricted to candidate ids (a metadata filter the metadata service resolved), one of those ids, or
when its filter pins the user ids, one of those users (a delete names ids of rows it did not read: it counts
for the whole tenant). Any other search reads Bounded, which sees every write older than the server's
`common.gracefulTime` (5 s by default): the window must be longer than that. Like Session itself, this covers
the writes of this process only.

Deletes get no timestamp from Milvus 2.3, so no consistency level makes a search wait for one: `deleted_ids`
names the ids this process deleted in a tenant within the window, and the store leaves them out of that
tenant's searches (instead of a Strong read after every delete, which waited ~200-400 ms for the time tick).
Up to `max_deleted_ids` per tenant: beyond that the expression would grow too long, so `deleted` answers False
and the store makes the Strong read after all.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable

from libs.domain import Tenant
from libs.filters import FilterNode, pinned_values

# Longer than Milvus' default common.gracefulTime (5 s), the staleness a Bounded read allows.
DEFAULT_WINDOW_SECONDS = 6.0
# Ids deleted in the window that a tenant's searches leave out by id (`not (id in [...])`), at most.
DEFAULT_MAX_DELETED_IDS = 2000


class RecentWrites:
    def __init__(
        self,
        window_seconds: float = DEFAULT_WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        max_deleted_ids: int = DEFAULT_MAX_DELETED_IDS,
    ):
        self._window = window_seconds
        self._clock = clock
        self._max_deleted_ids = max_deleted_ids
        # Last write time by key, oldest first: ("tenant", org, project) for any write in a tenant; ("user", org,
        # project, user) and ("memory", org, project, id) for the rows of an upsert ("" for rows without a user);
        # ("deleted", org, project) for a delete.
        self._written: OrderedDict[Hashable, float] = OrderedDict()
        # Delete time by (org, project, memory id), oldest first.
        self._deleted: OrderedDict[tuple[str, str, str], float] = OrderedDict()

    def upserted(self, tenant: Tenant, rows: Iterable[tuple[str, str]]) -> None:
        """`rows`: (memory id, user id) of every row written."""
        org, project = tenant.org_id, tenant.project_id
        keys: list[Hashable] = [("tenant", org, project)]
        for memory_id, user_id in rows:
            keys += [("memory", org, project, memory_id), ("user", org, project, user_id)]
        self._mark(keys)

    def deleted(self, tenant: Tenant, memory_ids: Iterable[str]) -> bool:
        """Remember a delete; False when its ids are too many to leave out of searches by id."""
        org, project = tenant.org_id, tenant.project_id
        ids = list(memory_ids)
        remembered = len(self.deleted_ids(tenant)) + len(ids) <= self._max_deleted_ids
        if remembered:
            now = self._clock()
            for memory_id in ids:
                key = (org, project, memory_id)
                self._deleted[key] = now
                self._deleted.move_to_end(key)
        self._mark([("tenant", org, project), ("deleted", org, project)])
        return remembered

    def deleted_ids(self, tenant: Tenant) -> list[str]:
        """The ids this process deleted in `tenant` within the window (a search must not return them)."""
        self._forget_old()
        if ("deleted", tenant.org_id, tenant.project_id) not in self._written:
            return []
        return [
            memory_id
            for (org, project, memory_id) in self._deleted
            if org == tenant.org_id and project == tenant.project_id
        ]

    def may_see_recent_write(
        self, tenant: Tenant, node: FilterNode | None, candidate_ids: Iterable[str] | None = None
    ) -> bool:
        """True when a write of the last window could match a search of `tenant` under `node`, among
        `candidate_ids` when given."""
        self._forget_old()
        org, project = tenant.org_id, tenant.project_id
        if ("tenant", org, project) not in self._written:
            return False
        if ("deleted", org, project) in self._written:
            return True
        if candidate_ids is not None:
            return any(("memory", org, project, memory_id) in self._written for memory_id in candidate_ids)
        users = pinned_values(node, "user_id")
        if users is None:
            return True
        return any(("user", org, project, user_id) in self._written for user_id in users)

    def _mark(self, keys: list[Hashable]) -> None:
        now = self._clock()
        for key in keys:
            self._written[key] = now
            self._written.move_to_end(key)
        self._forget_old()

    def _forget_old(self) -> None:
        oldest = self._clock() - self._window
        for marks in (self._written, self._deleted):
            while marks and next(iter(marks.values())) < oldest:
                marks.popitem(last=False)
