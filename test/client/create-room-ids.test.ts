/**
 * In room version 12 a room's ID is the hash of its create event. One user creating several rooms with
 * the same request within one millisecond (a client creating rooms in parallel) must still get as many
 * rooms, each with its own ID, not a 500 for the second. The server's clock is frozen here, so every
 * request is in the same millisecond.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { registeredClients, type ApiClient } from "../harness/client.js";
import { startTestServer, type TestServer } from "../harness/server.js";

const V3 = "/_matrix/client/v3";
const FROZEN = Date.now();

describe("room IDs of version 12 rooms created in the same millisecond", () => {
  let hs: TestServer;
  let alice: ApiClient;

  before(async () => {
    hs = await startTestServer({ overrides: { clock: { now: () => FROZEN } } });
    [alice] = await registeredClients(hs.url, "alice");
  });
  after(async () => {
    await hs?.destroy();
  });

  it("gives each room its own ID, one after another and in parallel", async () => {
    const sequential = [];
    for (let i = 0; i < 3; i++) sequential.push(await alice.post<{ room_id: string }>(`${V3}/createRoom`, { room_version: "12" }));
    const parallel = await Promise.all(Array.from({ length: 10 }, () => alice.post<{ room_id: string }>(`${V3}/createRoom`, { room_version: "12" })));
    const all = [...sequential, ...parallel];
    for (const created of all) assert.equal(created.status, 200, JSON.stringify(created.body));
    const ids = all.map((created) => created.body.room_id);
    assert.equal(new Set(ids).size, ids.length, "every room has an ID of its own");
    const joined = await alice.get<{ joined_rooms: string[] }>(`${V3}/joined_rooms`);
    for (const id of ids) assert.ok(joined.body.joined_rooms.includes(id), `${id} was created and joined`);
  });
});
