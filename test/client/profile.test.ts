import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ApiClient, registeredClients } from "../harness/client.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { DATABASE_KINDS, isPostgresAvailable, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";

const V3 = "/_matrix/client/v3";
const enc = encodeURIComponent;
type MemberEvent = { type: string; state_key: string; sender: string; content: Record<string, unknown>; event_id: string };
type Sync = { next_batch: string; rooms: { join: Record<string, { timeline: { events: MemberEvent[] } }> } };

for (const database of DATABASE_KINDS) {
  describe(`profiles on ${database}`, { skip: database === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false }, () => {
    let hs: TestServer;
    let alice: ApiClient;
    let bob: ApiClient;
    const aliceId = "@alice:localhost";
    const profile = (userId: string, key?: string): string => `${V3}/profile/${enc(userId)}${key !== undefined ? `/${enc(key)}` : ""}`;

    before(async () => {
      hs = await startTestServer({ database, config: { registration: { allow_guests: true } } });
      [alice, bob] = await registeredClients(hs.url, "alice", "bob");
    });
    after(async () => hs.destroy());

    it("reads profiles without a token, 404 for unknown users and fields, 400 for bad IDs", async () => {
      const anonymous = new ApiClient(hs.url);
      const full = await anonymous.get(profile(aliceId));
      assert.equal(full.status, 200);
      assert.deepEqual(full.body, { displayname: "alice" }, "registration set the localpart as display name");
      assert.deepEqual((await anonymous.get(profile(aliceId, "displayname"))).body, { displayname: "alice" });
      const noField = await anonymous.get(profile(aliceId, "avatar_url"));
      assert.equal(noField.status, 404);
      assert.equal(noField.body["errcode"], "M_NOT_FOUND");
      const unknown = await anonymous.get(profile("@nobody:localhost"));
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body["errcode"], "M_NOT_FOUND");
      assert.equal((await anonymous.get(profile("@nobody:localhost", "displayname"))).status, 404);
      const bad = await anonymous.get(profile("not-a-user-id"));
      assert.equal(bad.status, 400);
      assert.equal(bad.body["errcode"], "M_INVALID_PARAM");
    });

    it("sets, reads and deletes displayname, avatar_url, m.tz and custom fields", async () => {
      assert.equal((await alice.put(profile(aliceId, "displayname"), { displayname: "Alice Margatroid" })).status, 200);
      assert.equal((await alice.put(profile(aliceId, "avatar_url"), { avatar_url: "mxc://matrix.org/SDGdghriugerRg" })).status, 200);
      assert.equal((await alice.put(profile(aliceId, "m.tz"), { "m.tz": "Europe/London" })).status, 200);
      assert.equal((await alice.put(profile(aliceId, "m.example_field"), { "m.example_field": "custom_value" })).status, 200);
      // The spec's example response of GET /profile/{userId}.
      assert.deepEqual((await alice.get(profile(aliceId))).body, {
        avatar_url: "mxc://matrix.org/SDGdghriugerRg",
        displayname: "Alice Margatroid",
        "m.tz": "Europe/London",
        "m.example_field": "custom_value",
      });
      const structured = { level: 3, ratio: 0.5, tags: ["a", "b"], nested: { ok: true } };
      assert.equal((await alice.put(profile(aliceId, "org.example.job"), { "org.example.job": structured })).status, 200);
      assert.deepEqual((await alice.get(profile(aliceId, "org.example.job"))).body, { "org.example.job": structured });
      assert.equal((await alice.delete(profile(aliceId, "org.example.job"))).status, 200);
      assert.equal((await alice.get(profile(aliceId, "org.example.job"))).status, 404);
      assert.equal((await alice.delete(profile(aliceId, "org.example.never"))).status, 200, "deleting an absent field succeeds");
      assert.equal((await alice.delete(profile(aliceId, "m.example_field"))).status, 200);
      // An empty display name removes it (as Synapse).
      assert.equal((await bob.put(profile("@bob:localhost", "displayname"), { displayname: "" })).status, 200);
      assert.equal((await bob.get(profile("@bob:localhost", "displayname"))).status, 404);
      assert.equal((await bob.put(profile("@bob:localhost", "displayname"), { displayname: "  Bob  " })).status, 200);
      assert.deepEqual((await bob.get(profile("@bob:localhost", "displayname"))).body, { displayname: "Bob" });
    });

    it("refuses bad keys, values and bodies with the spec's errors", async () => {
      const cases: [string, unknown, number, string][] = [
        ["Not.Valid", { "Not.Valid": 1 }, 400, "M_INVALID_PARAM"],
        ["9starts.with.digit", { "9starts.with.digit": 1 }, 400, "M_INVALID_PARAM"],
        [`org.${"x".repeat(252)}`, { [`org.${"x".repeat(252)}`]: 1 }, 400, "M_KEY_TOO_LARGE"],
        ["displayname", { avatar_url: "mxc://a/b" }, 400, "M_MISSING_PARAM"],
        ["displayname", { displayname: 42 }, 400, "M_INVALID_PARAM"],
        ["displayname", { displayname: "x".repeat(257) }, 400, "M_INVALID_PARAM"],
        ["avatar_url", { avatar_url: "https://example.org/me.png" }, 400, "M_INVALID_PARAM"],
        ["m.tz", { "m.tz": 1 }, 400, "M_INVALID_PARAM"],
        ["org.example.nothing", { "org.example.nothing": null }, 400, "M_INVALID_PARAM"],
      ];
      for (const [key, body, status, errcode] of cases) {
        const response = await alice.put(profile(aliceId, key), body);
        assert.equal(response.status, status, `${key} ${JSON.stringify(body).slice(0, 60)}`);
        assert.equal(response.body["errcode"], errcode, `${key} ${JSON.stringify(body).slice(0, 60)}`);
      }
      const notJson = await alice.request("PUT", profile(aliceId, "displayname"), undefined, { rawBody: "{" });
      assert.equal(notJson.status, 400);
      assert.equal(notJson.body["errcode"], "M_NOT_JSON");
      const badKeyGet = await alice.get(profile(aliceId, "Bad Key"));
      assert.equal(badKeyGet.status, 400);
      assert.equal(badKeyGet.body["errcode"], "M_INVALID_PARAM");
    });

    it("keeps the whole profile under 64 KiB (M_PROFILE_TOO_LARGE)", async () => {
      const big = "x".repeat(40_000);
      assert.equal((await bob.put(profile("@bob:localhost", "org.example.one"), { "org.example.one": big })).status, 200);
      const second = await bob.put(profile("@bob:localhost", "org.example.two"), { "org.example.two": big });
      assert.equal(second.status, 400);
      assert.equal(second.body["errcode"], "M_PROFILE_TOO_LARGE");
      assert.equal((await bob.get(profile("@bob:localhost", "org.example.two"))).status, 404, "nothing was stored");
      // Replacing a field counts its new size, not both.
      assert.equal((await bob.put(profile("@bob:localhost", "org.example.one"), { "org.example.one": big + "y" })).status, 200);
      assert.equal((await bob.delete(profile("@bob:localhost", "org.example.one"))).status, 200);
      assert.equal((await bob.put(profile("@bob:localhost", "org.example.two"), { "org.example.two": big })).status, 200);
      assert.equal((await bob.delete(profile("@bob:localhost", "org.example.two"))).status, 200);
    });

    it("refuses changing others' profiles, remote users' and unauthenticated changes", async () => {
      const other = await bob.put(profile(aliceId, "displayname"), { displayname: "hijacked" });
      assert.equal(other.status, 403);
      assert.equal(other.body["errcode"], "M_FORBIDDEN");
      const otherDelete = await bob.delete(profile(aliceId, "displayname"));
      assert.equal(otherDelete.status, 403);
      assert.equal(otherDelete.body["errcode"], "M_FORBIDDEN");
      assert.notEqual((await alice.get(profile(aliceId, "displayname"))).body["displayname"], "hijacked");
      const anonymous = await new ApiClient(hs.url).put(profile(aliceId, "displayname"), { displayname: "anon" });
      assert.equal(anonymous.status, 401);
      assert.equal(anonymous.body["errcode"], "M_MISSING_TOKEN");
      const remote = await alice.get(profile("@someone:elsewhere.example"));
      assert.equal(remote.status, 404);
    });

    it("lets guests set their display name and nothing else", async () => {
      const guest = new ApiClient(hs.url);
      const registered = await guest.post<{ user_id: string; access_token: string }>(`${V3}/register?kind=guest`, {}, { token: null });
      assert.equal(registered.status, 200, JSON.stringify(registered.body));
      guest.accessToken = registered.body.access_token;
      assert.equal((await guest.put(profile(registered.body.user_id, "displayname"), { displayname: "Visitor" })).status, 200);
      const avatar = await guest.put(profile(registered.body.user_id, "avatar_url"), { avatar_url: "mxc://a/b" });
      assert.equal(avatar.status, 403);
      assert.equal(avatar.body["errcode"], "M_GUEST_ACCESS_FORBIDDEN");
      assert.equal((await guest.delete(profile(registered.body.user_id, "displayname"))).status, 200);
    });

    it("sends a new member event into every joined room when the display name or avatar changes", async () => {
      const shared = await alice.post<{ room_id: string }>(`${V3}/createRoom`, { preset: "public_chat" });
      const own = await alice.post<{ room_id: string }>(`${V3}/createRoom`, {});
      const left = await alice.post<{ room_id: string }>(`${V3}/createRoom`, {});
      assert.equal((await bob.post(`${V3}/join/${enc(shared.body.room_id)}`, {})).status, 200);
      assert.equal((await alice.post(`${V3}/rooms/${enc(left.body.room_id)}/leave`, {})).status, 200);
      assert.equal((await alice.put(profile(aliceId, "avatar_url"), { avatar_url: "mxc://localhost/before" })).status, 200);
      const bobStart = await bob.get<Sync>(`${V3}/sync`);

      assert.equal((await alice.put(profile(aliceId, "displayname"), { displayname: "Alice Liddell" })).status, 200);
      assert.equal((await alice.put(profile(aliceId, "avatar_url"), { avatar_url: "mxc://localhost/rabbit" })).status, 200);
      for (const roomId of [shared.body.room_id, own.body.room_id]) {
        const member = await alice.get(`${V3}/rooms/${enc(roomId)}/state/m.room.member/${enc(aliceId)}`);
        assert.deepEqual(member.body, { membership: "join", displayname: "Alice Liddell", avatar_url: "mxc://localhost/rabbit" }, roomId);
      }
      const leftMember = await alice.get<{ membership: string }>(`${V3}/rooms/${enc(left.body.room_id)}/state/m.room.member/${enc(aliceId)}`);
      assert.equal(leftMember.body.membership, "leave", "rooms the user left are not rejoined");

      const seen = await bob.get<Sync>(`${V3}/sync?since=${bobStart.body.next_batch}&timeout=0`);
      const updates = seen.body.rooms.join[shared.body.room_id]!.timeline.events.filter((e) => e.type === "m.room.member" && e.state_key === aliceId);
      assert.deepEqual(updates.map((e) => [e.content["membership"], e.content["displayname"], e.content["avatar_url"]]), [
        ["join", "Alice Liddell", "mxc://localhost/before"],
        ["join", "Alice Liddell", "mxc://localhost/rabbit"],
      ]);

      // Setting the same value again sends nothing; custom fields never propagate.
      const quietStart = await bob.get<Sync>(`${V3}/sync?since=${seen.body.next_batch}&timeout=0`);
      assert.equal((await alice.put(profile(aliceId, "displayname"), { displayname: "Alice Liddell" })).status, 200);
      assert.equal((await alice.put(profile(aliceId, "org.example.pet"), { "org.example.pet": "cat" })).status, 200);
      const quiet = await bob.get<Sync>(`${V3}/sync?since=${quietStart.body.next_batch}&timeout=0`);
      assert.equal(quiet.body.rooms.join[shared.body.room_id], undefined);

      // Removing the display name propagates too.
      assert.equal((await alice.delete(profile(aliceId, "displayname"))).status, 200);
      const member = await alice.get(`${V3}/rooms/${enc(shared.body.room_id)}/state/m.room.member/${enc(aliceId)}`);
      assert.deepEqual(member.body, { membership: "join", avatar_url: "mxc://localhost/rabbit" });
    });
  });
}
