import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ApiClient } from "../harness/client.js";
import { DATABASE_KINDS, isPostgresAvailable, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { validateConfig } from "../../src/config/load-config.js";

const V3 = "/_matrix/client/v3";

for (const database of DATABASE_KINDS) {
  const skip = database === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false;
  describe(`registration.auto_join_rooms on ${database}`, { skip }, () => {
    let hs: TestServer;

    before(async () => {
      hs = await startTestServer({
        database,
        config: { registration: { auto_join_rooms: ["#lobby:localhost", "#nowhere:localhost", "#private:localhost"] } },
      });
    });
    after(async () => hs.destroy());

    it("joins each new account to the rooms it can join and still registers it when one cannot be joined", async () => {
      const admin = new ApiClient(hs.url);
      await admin.register("founder");
      const lobby = await admin.post<{ room_id: string }>(`${V3}/createRoom`, { preset: "public_chat", room_alias_name: "lobby" });
      assert.equal(lobby.status, 200, JSON.stringify(lobby.body));
      const closed = await admin.post<{ room_id: string }>(`${V3}/createRoom`, { preset: "private_chat", room_alias_name: "private" });
      assert.equal(closed.status, 200, JSON.stringify(closed.body));

      const newcomer = new ApiClient(hs.url);
      const registered = await newcomer.register("newcomer");
      assert.equal(registered.user_id, "@newcomer:localhost");
      const joined = await newcomer.get<{ joined_rooms: string[] }>(`${V3}/joined_rooms`);
      assert.deepEqual(joined.body.joined_rooms, [lobby.body.room_id], "the public lobby only: the alias that does not exist and the invite-only room are skipped");
      const members = await admin.get<{ joined: Record<string, unknown> }>(`${V3}/rooms/${encodeURIComponent(lobby.body.room_id)}/joined_members`);
      assert.ok(members.body.joined["@newcomer:localhost"], "the founder sees the newcomer in the lobby");
    });
  });
}

describe("registration.auto_join_rooms validation", () => {
  it("names an entry that is neither a room alias nor a room ID", () => {
    assert.throws(
      () => validateConfig({ server_name: "example.org", registration: { auto_join_rooms: ["lobby"] } }, "test config"),
      /registration\.auto_join_rooms\.0.*room alias/s,
    );
  });
});
