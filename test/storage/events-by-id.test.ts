/**
 * Reading events by ID: from the cache when every one is there (a new event's prev and auth events),
 * from the database otherwise; unknown IDs are left out and an ID asked for twice comes back once.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { startTestServer } from "../harness/server.js";
import { DATABASE_KINDS, isPostgresAvailable, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";
import { EventStore } from "../../src/storage/event-store.js";

async function json(url: string, method: string, token: string | undefined, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(url, { method, headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  return (await res.json()) as Record<string, unknown>;
}

for (const kind of DATABASE_KINDS) {
  describe(`events by ID on ${kind}`, async () => {
    const skip = kind === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false;

    it("answers from the cache or the database alike, without unknown IDs or repeats", { skip }, async () => {
      const server = await startTestServer({ database: kind });
      try {
        const first = await json(`${server.url}/_matrix/client/v3/register`, "POST", undefined, { username: "reader", password: "a-long-password" });
        const registered = await json(`${server.url}/_matrix/client/v3/register`, "POST", undefined, { username: "reader", password: "a-long-password", auth: { type: "m.login.dummy", session: first["session"] } });
        const token = registered["access_token"] as string;
        const room = encodeURIComponent((await json(`${server.url}/_matrix/client/v3/createRoom`, "POST", token, {}))["room_id"] as string);
        const ids: string[] = [];
        for (let i = 0; i < 3; i++) ids.push((await json(`${server.url}/_matrix/client/v3/rooms/${room}/send/m.room.message/t${i}`, "PUT", token, { msgtype: "m.text", body: `m${i}` }))["event_id"] as string);

        // The server's own store has them cached; a fresh store on the same database reads them.
        const cachedStore = server.server.context.stores.events;
        const freshStore = new EventStore(server.server.context.db);
        for (const store of [cachedStore, freshStore]) {
          const all = await store.getByIds(ids);
          assert.deepEqual([...all.keys()].sort(), [...ids].sort());
          for (const id of ids) assert.equal(all.get(id)?.eventId, id);
          const mixed = await store.getByIds([ids[0] as string, "$unknown", ids[0] as string, ids[2] as string]);
          assert.deepEqual([...mixed.keys()].sort(), [ids[0], ids[2]].sort());
          assert.equal((await store.getByIds([])).size, 0);
        }
        // Read once, the fresh store answers from its cache the same.
        assert.deepEqual([...(await freshStore.getByIds(ids)).values()].map((e) => e.nid), [...(await cachedStore.getByIds(ids)).values()].map((e) => e.nid));
      } finally {
        await server.destroy();
      }
    });
  });
}
