/**
 * Strings with the NUL character (U+0000) are valid JSON, and PostgreSQL refuses them in text columns.
 * Wherever a request puts one, the answer is never a 500: a relation to a "$..." that holds one relates
 * to nothing; a value that would be stored as text is refused with 400 M_BAD_JSON where the database
 * cannot hold it (PostgreSQL), and the request leaves nothing behind.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ApiClient } from "../harness/client.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { DATABASE_KINDS, isPostgresAvailable, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";

const V3 = "/_matrix/client/v3";
const q = encodeURIComponent;
const NUL = "nul\u0000inside";

for (const database of DATABASE_KINDS) {
  describe(`NUL characters in requests on ${database}`, { skip: database === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false }, () => {
    let hs: TestServer;
    let alice: ApiClient;
    let aliceId: string;
    let roomId: string;
    let target: string;

    before(async () => {
      hs = await startTestServer({ database });
      alice = new ApiClient(hs.url);
      aliceId = (await alice.register("alice")).user_id;
      roomId = (await alice.post<{ room_id: string }>(`${V3}/createRoom`, {})).body.room_id;
      target = (await alice.put<{ event_id: string }>(`${V3}/rooms/${q(roomId)}/send/m.room.message/target`, { msgtype: "m.text", body: "target" })).body.event_id;
    });
    after(async () => hs.destroy());

    /** 200, or where the database cannot store the text 400 M_BAD_JSON; never anything else. */
    function storedOrRefused(res: { status: number; body: Record<string, unknown> }, what: string): boolean {
      if (res.status === 200) return true;
      assert.equal(res.status, 400, `${what}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body["errcode"], "M_BAD_JSON", what);
      return false;
    }

    it("takes an event whose relation names an impossible event ID as one without a relation", async () => {
      for (const [txn, relation] of [
        ["thread", { rel_type: "m.thread", event_id: `$${NUL}`, is_falling_back: true, "m.in_reply_to": { event_id: `$${NUL}` } }],
        ["annotation", { rel_type: "m.annotation", event_id: `$${NUL}`, key: NUL }],
        ["type", { rel_type: `m.${NUL}`, event_id: target }],
      ] as const) {
        const res = await alice.put<{ event_id: string }>(`${V3}/rooms/${q(roomId)}/send/m.room.message/${txn}`, { msgtype: "m.text", body: txn, "m.relates_to": relation });
        assert.equal(res.status, 200, `${txn}: ${JSON.stringify(res.body)}`);
        const fetched = await alice.get<{ content: Record<string, unknown> }>(`${V3}/rooms/${q(roomId)}/event/${q(res.body.event_id)}`);
        assert.equal(fetched.status, 200);
        assert.deepEqual(fetched.body.content["m.relates_to"], relation, "the content is kept as sent");
      }
      const related = await alice.get<{ chunk: unknown[] }>(`/_matrix/client/v1/rooms/${q(roomId)}/relations/${q(target)}`);
      assert.equal(related.status, 200);
      assert.deepEqual(related.body.chunk, [], "a relation type with a NUL in it relates nothing");
      // A reaction with a NUL in its key, to a real event, is a reaction like any other.
      const reaction = await alice.put(`${V3}/rooms/${q(roomId)}/send/m.reaction/nul-key`, { "m.relates_to": { rel_type: "m.annotation", event_id: target, key: NUL } });
      assert.equal(reaction.status, 200, JSON.stringify(reaction.body));
    });

    it("stores or refuses text with a NUL character, whole, and never fails", async () => {
      assert.equal((await alice.put(`${V3}/profile/${q(aliceId)}/displayname`, { displayname: "Alice" })).status, 200);
      const renamed = await alice.put(`${V3}/profile/${q(aliceId)}/displayname`, { displayname: NUL });
      const stored = storedOrRefused(renamed, "display name");
      const now = await alice.get<{ displayname: string }>(`${V3}/profile/${q(aliceId)}/displayname`);
      assert.equal(now.body.displayname, stored ? NUL : "Alice", "a refused change leaves the old name");
      const member = await alice.get<{ displayname?: string }>(`${V3}/rooms/${q(roomId)}/state/m.room.member/${q(aliceId)}`);
      assert.equal(member.body.displayname, stored ? NUL : "Alice", "and the member event agrees with the profile");

      storedOrRefused(await alice.post(`${V3}/keys/claim`, { one_time_keys: { [aliceId]: { [NUL]: "signed_curve25519" } } }), "claim for a device");
      // No device has that ID (SQLite finds none; PostgreSQL cannot even look).
      const rename = await alice.put(`${V3}/devices/${q(NUL)}`, { display_name: "x" });
      assert.ok(rename.status === 404 || (rename.status === 400 && rename.body["errcode"] === "M_BAD_JSON"), `device rename: ${rename.status} ${JSON.stringify(rename.body)}`);
      storedOrRefused(await alice.put(`${V3}/user/${q(aliceId)}/account_data/${q(NUL)}`, { a: 1 }), "account data type");

      // The server is unharmed.
      const after = await alice.put(`${V3}/rooms/${q(roomId)}/send/m.room.message/after`, { msgtype: "m.text", body: "still here" });
      assert.equal(after.status, 200);
    });
  });
}
