// The unchanged npm mem0ai@3.3.1 MemoryClient against memgrid; run by test_npm_client.py.
// Every step is recorded as {ok, value} or {ok: false, error}; prints one JSON object on the last line.
// Usage: node npm_scenario.mjs <dir with node_modules/mem0ai> HOST API_KEY TAG
import path from "node:path";
import { pathToFileURL } from "node:url";

const [packageDir, host, apiKey, tag] = process.argv.slice(2);
const entry = path.join(packageDir, "node_modules", "mem0ai", "dist", "index.mjs");
const { default: MemoryClient } = await import(pathToFileURL(entry).href);

const out = {};
async function step(name, fn) {
  try {
    const value = await fn();
    out[name] = { ok: true, value: value === undefined ? null : value };
    return value;
  } catch (error) {
    out[name] = { ok: false, error: `${error?.name}: ${error?.message}`.slice(0, 2000), code: error?.errorCode ?? null };
    return undefined;
  }
}
function need(value) {
  if (value === undefined || value === null) throw new Error("skipped: a prerequisite step failed");
  return value;
}

const user = `${tag}-jo`;
const other = `${tag}-kim`;
const legacy = `${tag}-legacy`;
const client = new MemoryClient({ apiKey, host });

// The client's add is asynchronous (PENDING + event_id): follow the event, as an application would, and return
// what the add did.
async function add(messages, options) {
  const queued = await client.add(messages, options);
  if (queued?.status !== "PENDING") return queued;
  const eventId = queued.eventId ?? queued.event_id; // the client camel-cases response keys
  for (let attempt = 0; attempt < 1200; attempt++) {
    const response = await fetch(`${host}/v1/event/${eventId}/`, { headers: client.headers });
    if (!response.ok) throw new Error(`event ${eventId}: HTTP ${response.status}`);
    const event = await response.json();
    if (event.status === "SUCCEEDED") return { status: event.status, eventId: event.id, results: event.results };
    if (event.status === "FAILED") throw new Error(`add failed: ${event.error}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`event ${eventId} did not finish`);
}

await step("init", async () => {
  await client.initialized;
  // The JS client keeps these only when the ping said status "ok" with org_id/project_id.
  return { organizationId: client.organizationId, projectId: client.projectId };
});
const added = await step("add_messages", () =>
  add(
    [
      { role: "user", content: "I am moving to Berlin in May." },
      { role: "assistant", content: "Exciting!" },
    ],
    { user_id: user, infer: false, metadata: { fooBar: 1, source: "npm" } },
  ),
);
await step("add_plain_string", () => add("I'm a vegetarian and I love hiking.", { filters: { user_id: user } }));
await step("add_camel_case_options", () =>
  add([{ role: "user", content: "I drive a red bike." }], { userId: user, infer: false }),
);
const berlinId = added?.results?.find((r) => r.memory === "I am moving to Berlin in May.")?.id;
const excitingId = added?.results?.find((r) => r.memory === "Exciting!")?.id;

await step("search", () => client.search("where is jo moving?", { filters: { user_id: user }, topK: 5 }));
await step("search_threshold_keyword", () =>
  client.search("hiking", { filters: { user_id: user }, threshold: 0.2, keywordSearch: true }),
);
await step("get_all_page1", () => client.getAll({ filters: { user_id: user }, page: 1, pageSize: 2 }));
await step("get_all_page2", () => client.getAll({ filters: { user_id: user }, page: 2, pageSize: 2 }));
await step("get_all_show_expired", () => client.getAll({ filters: { user_id: user }, showExpired: true }));
await step("get", () => client.get(need(berlinId)));
await step("update", () => client.update(need(berlinId), { text: "I am moving to Munich in May." }));
await step("update_clear_expiration", () => client.update(need(berlinId), { expirationDate: null }));
await step("history", () => client.history(need(berlinId)));
await step("delete", () => client.delete(need(excitingId)));
await step("get_deleted", () => client.get(need(excitingId)));

await step("add_other", () => add("I like tea.", { user_id: other, infer: false }));
await step("delete_all", () => client.deleteAll({ userId: other }));
await step("get_all_after_delete_all", () => client.getAll({ filters: { user_id: other } }));

await step("users", () => client.users({ page: 1, pageSize: 10 }));
await step("add_legacy", () => add("I like coffee.", { user_id: legacy, infer: false }));
await step("delete_user_legacy", () => client.deleteUser({ entity_type: "user", entity_id: legacy }));
await step("get_all_after_delete_user_legacy", () => client.getAll({ filters: { user_id: legacy } }));

const batch = await step("batch_seed", () =>
  add(
    [0, 1, 2].map((i) => ({ role: "user", content: `Batch note ${i}.` })),
    { user_id: user, infer: false },
  ),
);
const batchIds = batch?.results?.map((r) => r.id);
await step("batch_update", () =>
  client.batchUpdate(need(batchIds).map((memoryId, i) => ({ memoryId, text: `Batch note ${i} (edited).` }))),
);
await step("get_batch_first", () => client.get(need(batchIds)[0]));
await step("batch_delete", () => client.batchDelete(need(batchIds)));
await step("get_all_after_batch", () => client.getAll({ filters: { user_id: user } }));

await step("delete_users", () => client.deleteUsers({ userId: user }));
await step("get_all_after_delete_users", () => client.getAll({ filters: { user_id: user } }));
await step("users_after", () => client.users());

console.log(JSON.stringify(out));
