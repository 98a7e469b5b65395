/**
 * History visibility for a member who joined late (client-server API "History visibility"): what a
 * user now joined sees of the room's past through /messages, /sync and /context, for each of the four
 * visibilities, and across a change of visibility in the middle of the history (each event is judged
 * by the visibility in force at it; the change itself by the one before it). Members of shared and
 * world-readable rooms are answered from the room's visibility alone, kept per state snapshot
 * (services/rooms/visibility.ts): these cases hold that shortcut to the full rules. On both databases.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { registeredClients, type ApiClient } from "../harness/client.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { DATABASE_KINDS, isPostgresAvailable, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";

const V3 = "/_matrix/client/v3";

type ClientEvent = { type: string; event_id: string; state_key?: string; content: Record<string, unknown> };

const postgresAvailable = await isPostgresAvailable();

for (const database of DATABASE_KINDS) {
  describe(`history visibility for a late member on ${database}`, { skip: database === "postgres" && !postgresAvailable ? POSTGRES_SKIP_MESSAGE : false }, () => {
    let hs: TestServer;
    let alice: ApiClient;
    let bob: ApiClient;

    before(async () => {
      hs = await startTestServer({ database });
      [alice, bob] = await registeredClients(hs.url, "alice", "bob");
    });
    after(async () => hs.destroy());

    const bodiesOf = (events: readonly ClientEvent[]): unknown[] => events.filter((e) => e.type === "m.room.message").map((e) => e.content["body"]);

    /** A room alice creates with this history visibility: its ID and its client API path. */
    async function roomWith(visibility: string, preset: "private_chat" | "public_chat"): Promise<{ roomId: string; path: string }> {
      const { body } = await alice.post<{ room_id: string }>(`${V3}/createRoom`, {
        preset,
        initial_state: [{ type: "m.room.history_visibility", state_key: "", content: { history_visibility: visibility } }],
      });
      return { roomId: body.room_id, path: `${V3}/rooms/${encodeURIComponent(body.room_id)}` };
    }

    async function messagesSeenByBob(roomId: string): Promise<unknown[]> {
      const history = await bob.get<{ chunk: ClientEvent[] }>(`${V3}/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=100`);
      assert.equal(history.status, 200, JSON.stringify(history.body));
      return bodiesOf(history.body.chunk).reverse();
    }

    const expected: Record<string, string[]> = {
      world_readable: ["before the invite", "while invited", "after the join"],
      shared: ["before the invite", "while invited", "after the join"],
      invited: ["while invited", "after the join"],
      joined: ["after the join"],
    };

    for (const [visibility, seen] of Object.entries(expected)) {
      it(`${visibility}: a member sees ${seen.length} of 3 messages`, async () => {
        const { roomId, path } = await roomWith(visibility, "private_chat");
        await alice.put(`${path}/send/m.room.message/before-${visibility}`, { msgtype: "m.text", body: "before the invite" });
        await alice.post(`${path}/invite`, { user_id: "@bob:localhost" });
        const whileInvited = await alice.put<{ event_id: string }>(`${path}/send/m.room.message/invited-${visibility}`, { msgtype: "m.text", body: "while invited" });
        assert.equal((await bob.post(`${V3}/join/${encodeURIComponent(roomId)}`, {})).status, 200);
        await alice.put(`${path}/send/m.room.message/after-${visibility}`, { msgtype: "m.text", body: "after the join" });

        assert.deepEqual(await messagesSeenByBob(roomId), seen);
        // The same rules for a single event's context.
        const context = await bob.get(`${path}/context/${encodeURIComponent(whileInvited.body.event_id)}?limit=0`);
        assert.equal(context.status, seen.includes("while invited") ? 200 : 404, JSON.stringify(context.body));
        // And for /sync: a full sync's timeline (limited to the newest events) shows what is visible.
        const sync = await bob.get<{ rooms: { join: Record<string, { timeline: { events: ClientEvent[] } }> } }>(`${V3}/sync?filter=${encodeURIComponent(JSON.stringify({ room: { timeline: { limit: 50 } } }))}`);
        assert.deepEqual(bodiesOf(sync.body.rooms.join[roomId]?.timeline.events ?? []), seen);
      });
    }

    it("judges each event by the visibility in force at it, and the change by the one before", async () => {
      const { roomId, path } = await roomWith("shared", "private_chat");
      await alice.put(`${path}/send/m.room.message/m1`, { msgtype: "m.text", body: "shared then" });
      const change = await alice.put<{ event_id: string }>(`${path}/state/m.room.history_visibility/`, { history_visibility: "joined" });
      await alice.put(`${path}/send/m.room.message/m2`, { msgtype: "m.text", body: "joined-only then" });
      await alice.put(`${path}/state/m.room.history_visibility/`, { history_visibility: "world_readable" });
      await alice.put(`${path}/send/m.room.message/m3`, { msgtype: "m.text", body: "world-readable then" });
      await alice.post(`${path}/invite`, { user_id: "@bob:localhost" });
      await bob.post(`${V3}/join/${encodeURIComponent(roomId)}`, {});
      await alice.put(`${path}/send/m.room.message/m4`, { msgtype: "m.text", body: "after the join" });

      assert.deepEqual(await messagesSeenByBob(roomId), ["shared then", "world-readable then", "after the join"]);
      const history = await bob.get<{ chunk: ClientEvent[] }>(`${path}/messages?dir=b&limit=100`);
      const changes = history.body.chunk.filter((e) => e.type === "m.room.history_visibility").map((e) => e.content["history_visibility"]);
      // Newest first: the change to world_readable was made under joined (not visible), the change to
      // joined under shared (visible), the first setting under none (shared by default: visible).
      assert.deepEqual(changes, ["joined", "shared"]);
      assert.equal(history.body.chunk.find((e) => e.type === "m.room.history_visibility")?.event_id, change.body.event_id);
    });

    it("shows a member who left only what they could see, and nothing of a shared room's later events", async () => {
      const { roomId, path } = await roomWith("shared", "public_chat");
      await alice.put(`${path}/send/m.room.message/l1`, { msgtype: "m.text", body: "before bob" });
      await bob.post(`${V3}/join/${encodeURIComponent(roomId)}`, {});
      await alice.put(`${path}/send/m.room.message/l2`, { msgtype: "m.text", body: "with bob" });
      await bob.post(`${path}/leave`, {});
      await alice.put(`${path}/send/m.room.message/l3`, { msgtype: "m.text", body: "after bob" });
      // No longer joined: a shared room's history is his only where he was joined.
      assert.deepEqual(await messagesSeenByBob(roomId), ["with bob"]);
    });
  });
}
