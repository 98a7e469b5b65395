/** `default_room_version`: the version of rooms created without one, and what /capabilities tells clients. */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { registeredClients, type ApiClient } from "../harness/client.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { validateConfig } from "../../src/config/load-config.js";

const V3 = "/_matrix/client/v3";

describe("default_room_version", () => {
  let hs: TestServer;
  let alice: ApiClient;

  before(async () => {
    hs = await startTestServer({ config: { default_room_version: "10" } });
    [alice] = await registeredClients(hs.url, "alice");
  });
  after(async () => {
    await hs?.destroy();
  });

  it("creates rooms of the configured version and names it in /capabilities", async () => {
    const caps = await alice.get<{ capabilities: { "m.room_versions": { default: string } } }>(`${V3}/capabilities`);
    assert.equal(caps.body.capabilities["m.room_versions"].default, "10");
    const created = await alice.post(`${V3}/createRoom`, {});
    const roomId = created.body["room_id"] as string;
    const create = await alice.get<Record<string, unknown>>(`${V3}/rooms/${encodeURIComponent(roomId)}/state/m.room.create`);
    assert.equal(create.body["room_version"], "10");
    const explicit = await alice.post(`${V3}/createRoom`, { room_version: "12" });
    const v12 = await alice.get<Record<string, unknown>>(`${V3}/rooms/${encodeURIComponent(explicit.body["room_id"] as string)}/state/m.room.create`);
    assert.equal(v12.body["room_version"], "12");
  });

  it("refuses an unknown version at start, naming the key", () => {
    assert.throws(() => validateConfig({ default_room_version: "99" }, "test"), /default_room_version/);
  });
});
