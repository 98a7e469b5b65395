/**
 * Typing notifications, receipts and read markers over HTTP and /sync, on SQLite and PostgreSQL.
 * Presence is off on this server so that no presence update wakes a long-poll early.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { ApiClient} from "../harness/client.js";
import { registeredClients } from "../harness/client.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { DATABASE_KINDS, isPostgresAvailable, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";
import { readFullyReadMarker } from "../../src/storage/fully-read-store.js";

const V3 = "/_matrix/client/v3";
type Ephemeral = { type: string; content: Record<string, unknown> };
type Sync = { next_batch: string; rooms: { join: Record<string, { ephemeral: { events: Ephemeral[] } }> } };

const q = encodeURIComponent;

function ephemeralOf(sync: Sync, roomId: string, type: string): Ephemeral | undefined {
  return sync.rooms.join[roomId]?.ephemeral.events.find((e) => e.type === type);
}

/** Long-polls from `since` until a response satisfies `done` (other wake-ups are skipped) or `ms` pass. */
async function syncUntil(client: ApiClient, since: string, done: (sync: Sync) => boolean, ms = 5000): Promise<{ sync: Sync; elapsed: number }> {
  const start = Date.now();
  let token = since;
  for (;;) {
    const remaining = ms - (Date.now() - start);
    assert.ok(remaining > 0, "the expected sync update did not arrive in time");
    const res = await client.get<Sync>(`${V3}/sync?since=${q(token)}&timeout=${remaining}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    if (done(res.body)) return { sync: res.body, elapsed: Date.now() - start };
    token = res.body.next_batch;
  }
}

for (const database of DATABASE_KINDS) {
  describe(`typing, receipts and read markers on ${database}`, { skip: database === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false }, () => {
    let hs: TestServer;
    let alice: ApiClient;
    let bob: ApiClient;
    let carol: ApiClient;

    before(async () => {
      hs = await startTestServer({ database, config: { presence: { enabled: false } } });
      [alice, bob, carol] = await registeredClients(hs.url, "alice", "bob", "carol");
    });
    after(async () => hs.destroy());

    async function sharedRoom(): Promise<string> {
      const created = await alice.post<{ room_id: string }>(`${V3}/createRoom`, { preset: "public_chat" });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      assert.equal((await bob.post(`${V3}/join/${q(created.body.room_id)}`, {})).status, 200);
      return created.body.room_id;
    }

    async function send(client: ApiClient, roomId: string, content: Record<string, unknown>): Promise<string> {
      const res = await client.put<{ event_id: string }>(`${V3}/rooms/${q(roomId)}/send/m.room.message/${Math.random().toString(36).slice(2)}`, content);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.event_id;
    }

    it("shows typing to room members, wakes their long-polls, and forgets typists when they stop", async () => {
      const roomId = await sharedRoom();
      const start = await bob.get<Sync>(`${V3}/sync`);
      assert.equal(ephemeralOf(start.body, roomId, "m.typing"), undefined, "nobody types yet");

      const typing = await alice.put(`${V3}/rooms/${q(roomId)}/typing/${q("@alice:localhost")}`, { typing: true, timeout: 30000 });
      assert.equal(typing.status, 200, JSON.stringify(typing.body));
      assert.deepEqual(typing.body, {});
      const seen = await bob.get<Sync>(`${V3}/sync?since=${q(start.body.next_batch)}`);
      assert.deepEqual(ephemeralOf(seen.body, roomId, "m.typing")?.content, { user_ids: ["@alice:localhost"] });

      // An initial sync carries the current typists.
      const initial = await bob.get<Sync>(`${V3}/sync`);
      assert.deepEqual(ephemeralOf(initial.body, roomId, "m.typing")?.content, { user_ids: ["@alice:localhost"] });

      // Typing again only extends the period: nothing new for the room.
      await alice.put(`${V3}/rooms/${q(roomId)}/typing/${q("@alice:localhost")}`, { typing: true, timeout: 30000 });
      const quiet = await bob.get<Sync>(`${V3}/sync?since=${q(seen.body.next_batch)}`);
      assert.equal(ephemeralOf(quiet.body, roomId, "m.typing"), undefined);

      // Stopping wakes bob's long-poll with the now empty list.
      const poll = syncUntil(bob, quiet.body.next_batch, (s) => ephemeralOf(s, roomId, "m.typing") !== undefined);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal((await alice.put(`${V3}/rooms/${q(roomId)}/typing/${q("@alice:localhost")}`, { typing: false })).status, 200);
      const woken = await poll;
      assert.ok(woken.elapsed < 4000, "the long-poll returned when typing stopped");
      assert.deepEqual(ephemeralOf(woken.sync, roomId, "m.typing")?.content, { user_ids: [] });
      const after = await bob.get<Sync>(`${V3}/sync`);
      assert.equal(ephemeralOf(after.body, roomId, "m.typing"), undefined, "an empty list is not sent on initial sync");
    });

    it("expires typing after the timeout", async () => {
      const roomId = await sharedRoom();
      await bob.put(`${V3}/rooms/${q(roomId)}/typing/${q("@bob:localhost")}`, { typing: true, timeout: 30000 });
      const start = await alice.get<Sync>(`${V3}/sync`);
      assert.deepEqual(ephemeralOf(start.body, roomId, "m.typing")?.content, { user_ids: ["@bob:localhost"] });
      assert.equal((await alice.put(`${V3}/rooms/${q(roomId)}/typing/${q("@alice:localhost")}`, { typing: true, timeout: 300 })).status, 200);
      const typed = await alice.get<Sync>(`${V3}/sync?since=${q(start.body.next_batch)}`);
      assert.deepEqual(ephemeralOf(typed.body, roomId, "m.typing")?.content, { user_ids: ["@bob:localhost", "@alice:localhost"] });
      const expired = await syncUntil(alice, typed.body.next_batch, (s) => ephemeralOf(s, roomId, "m.typing") !== undefined);
      assert.deepEqual(ephemeralOf(expired.sync, roomId, "m.typing")?.content, { user_ids: ["@bob:localhost"] });
      assert.ok(expired.elapsed >= 150, `expired too early (${expired.elapsed} ms)`);
    });

    it("lets only joined members set their own typing", async () => {
      const roomId = await sharedRoom();
      const forOther = await bob.put(`${V3}/rooms/${q(roomId)}/typing/${q("@alice:localhost")}`, { typing: true, timeout: 1000 });
      assert.equal(forOther.status, 403);
      assert.equal(forOther.body["errcode"], "M_FORBIDDEN");
      const outsider = await carol.put(`${V3}/rooms/${q(roomId)}/typing/${q("@carol:localhost")}`, { typing: true, timeout: 1000 });
      assert.equal(outsider.status, 403);
      assert.equal(outsider.body["errcode"], "M_FORBIDDEN");
      const unknownRoom = await carol.put(`${V3}/rooms/${q("!nowhere:localhost")}/typing/${q("@carol:localhost")}`, { typing: true });
      assert.equal(unknownRoom.status, 403);
      const noFlag = await alice.put(`${V3}/rooms/${q(roomId)}/typing/${q("@alice:localhost")}`, { timeout: 1000 });
      assert.equal(noFlag.status, 400);
      assert.equal(noFlag.body["errcode"], "M_MISSING_PARAM");
      const badTimeout = await alice.put(`${V3}/rooms/${q(roomId)}/typing/${q("@alice:localhost")}`, { typing: true, timeout: "soon" });
      assert.equal(badTimeout.status, 400);
      assert.equal(badTimeout.body["errcode"], "M_BAD_JSON");
      const sync = await carol.get<Sync>(`${V3}/sync`);
      assert.equal(sync.body.rooms.join[roomId], undefined);
    });

    it("sends read receipts to room members and never moves them back", async () => {
      const roomId = await sharedRoom();
      const first = await send(alice, roomId, { msgtype: "m.text", body: "one" });
      const second = await send(alice, roomId, { msgtype: "m.text", body: "two" });
      const start = await alice.get<Sync>(`${V3}/sync`);

      const posted = await bob.post(`${V3}/rooms/${q(roomId)}/receipt/m.read/${q(second)}`, {});
      assert.equal(posted.status, 200, JSON.stringify(posted.body));
      assert.deepEqual(posted.body, {});
      const seen = await alice.get<Sync>(`${V3}/sync?since=${q(start.body.next_batch)}`);
      const receipt = ephemeralOf(seen.body, roomId, "m.receipt");
      assert.ok(receipt, "alice's sync carries bob's receipt");
      const data = (receipt.content[second] as Record<string, Record<string, { ts: number; thread_id?: string }>>)["m.read"]!["@bob:localhost"]!;
      assert.equal(typeof data.ts, "number");
      assert.equal(data.thread_id, undefined, "an unthreaded receipt has no thread_id");

      // A receipt for an earlier event is accepted and ignored.
      assert.equal((await bob.post(`${V3}/rooms/${q(roomId)}/receipt/m.read/${q(first)}`, {})).status, 200);
      const unchanged = await alice.get<Sync>(`${V3}/sync?since=${q(seen.body.next_batch)}`);
      assert.equal(ephemeralOf(unchanged.body, roomId, "m.receipt"), undefined, "a receipt going back is not sent");
      const full = await alice.get<Sync>(`${V3}/sync`);
      const all = ephemeralOf(full.body, roomId, "m.receipt")!.content;
      assert.ok(all[second], "the receipt stays on the later event");
      assert.equal(all[first], undefined);

      // Moving forward is sent again.
      const third = await send(alice, roomId, { msgtype: "m.text", body: "three" });
      const beforeMove = await alice.get<Sync>(`${V3}/sync?since=${q(unchanged.body.next_batch)}`);
      assert.equal((await bob.post(`${V3}/rooms/${q(roomId)}/receipt/m.read/${q(third)}`, {})).status, 200);
      const forward = await alice.get<Sync>(`${V3}/sync?since=${q(beforeMove.body.next_batch)}`);
      assert.deepEqual(Object.keys(ephemeralOf(forward.body, roomId, "m.receipt")!.content), [third]);
    });

    it("wakes long-polls with new receipts", async () => {
      const roomId = await sharedRoom();
      const event = await send(alice, roomId, { msgtype: "m.text", body: "read me" });
      const start = await alice.get<Sync>(`${V3}/sync`);
      const poll = syncUntil(alice, start.body.next_batch, (s) => ephemeralOf(s, roomId, "m.receipt") !== undefined);
      await new Promise((r) => setTimeout(r, 100));
      await bob.post(`${V3}/rooms/${q(roomId)}/receipt/m.read/${q(event)}`, {});
      const woken = await poll;
      assert.ok(woken.elapsed < 4000);
      assert.ok(ephemeralOf(woken.sync, roomId, "m.receipt")!.content[event]);
    });

    it("shows private read receipts only to their owner", async () => {
      const roomId = await sharedRoom();
      const event = await send(alice, roomId, { msgtype: "m.text", body: "private" });
      const aliceStart = await alice.get<Sync>(`${V3}/sync`);
      const bobStart = await bob.get<Sync>(`${V3}/sync`);
      assert.equal((await bob.post(`${V3}/rooms/${q(roomId)}/receipt/m.read.private/${q(event)}`, {})).status, 200);

      const own = await bob.get<Sync>(`${V3}/sync?since=${q(bobStart.body.next_batch)}`);
      const content = ephemeralOf(own.body, roomId, "m.receipt")?.content as Record<string, Record<string, Record<string, unknown>>> | undefined;
      assert.ok(content?.[event]?.["m.read.private"]?.["@bob:localhost"], "bob sees his private receipt");
      assert.equal(content?.[event]?.["m.read"], undefined);

      const other = await alice.get<Sync>(`${V3}/sync?since=${q(aliceStart.body.next_batch)}`);
      assert.equal(other.body.rooms.join[roomId], undefined, "alice hears nothing of it");
      const otherInitial = await alice.get<Sync>(`${V3}/sync`);
      const initialReceipts = ephemeralOf(otherInitial.body, roomId, "m.receipt")?.content as Record<string, Record<string, unknown>> | undefined;
      assert.equal(initialReceipts?.[event]?.["m.read.private"], undefined, "not on alice's initial sync either");
      const ownInitial = await bob.get<Sync>(`${V3}/sync`);
      assert.ok((ephemeralOf(ownInitial.body, roomId, "m.receipt")?.content[event] as Record<string, unknown>)["m.read.private"]);
    });

    it("keeps threaded receipts apart from unthreaded ones and checks the thread", async () => {
      const roomId = await sharedRoom();
      const root = await send(alice, roomId, { msgtype: "m.text", body: "root" });
      const reply = await send(alice, roomId, { msgtype: "m.text", body: "in thread", "m.relates_to": { rel_type: "m.thread", event_id: root } });
      const main = await send(alice, roomId, { msgtype: "m.text", body: "main" });
      const receipt = (eventId: string, body: Record<string, unknown>, type = "m.read") => bob.post(`${V3}/rooms/${q(roomId)}/receipt/${type}/${q(eventId)}`, body);

      assert.equal((await receipt(reply, { thread_id: root })).status, 200);
      assert.equal((await receipt(main, { thread_id: "main" })).status, 200);
      assert.equal((await receipt(root, { thread_id: root })).status, 200, "the root itself may carry its thread's receipt");
      assert.equal((await receipt(root, { thread_id: "main" })).status, 200, "a thread root is in the main timeline");
      // Unthreaded, at an earlier event than the threaded ones: a separate receipt, so it is kept.
      assert.equal((await receipt(root, {})).status, 200);

      const wrongThread = await receipt(main, { thread_id: root });
      assert.equal(wrongThread.status, 400);
      assert.equal(wrongThread.body["errcode"], "M_INVALID_PARAM");
      const notMain = await receipt(reply, { thread_id: "main" });
      assert.equal(notMain.status, 400);
      assert.equal(notMain.body["errcode"], "M_INVALID_PARAM");
      const empty = await receipt(main, { thread_id: "" });
      assert.equal(empty.status, 400);
      assert.equal(empty.body["errcode"], "M_INVALID_PARAM");
      const notString = await receipt(main, { thread_id: 5 });
      assert.equal(notString.status, 400);
      assert.equal(notString.body["errcode"], "M_INVALID_PARAM");
      const onFullyRead = await receipt(main, { thread_id: "main" }, "m.fully_read");
      assert.equal(onFullyRead.status, 400);
      assert.equal(onFullyRead.body["errcode"], "M_INVALID_PARAM");

      const sync = await alice.get<Sync>(`${V3}/sync`);
      const content = ephemeralOf(sync.body, roomId, "m.receipt")!.content as Record<string, Record<string, Record<string, { thread_id?: string }>>>;
      assert.equal(content[reply]?.["m.read"]?.["@bob:localhost"]?.thread_id, root);
      assert.equal(content[main]?.["m.read"]?.["@bob:localhost"]?.thread_id, "main");
      // The root carries the later of bob's receipts on it per thread ID; the "main" one moved on to `main`.
      const onRoot = content[root]?.["m.read"]?.["@bob:localhost"];
      assert.ok(onRoot, "receipts on the root are kept");
    });

    it("refuses bad receipt requests", async () => {
      const roomId = await sharedRoom();
      const event = await send(alice, roomId, { msgtype: "m.text", body: "x" });
      const badType = await bob.post(`${V3}/rooms/${q(roomId)}/receipt/m.seen/${q(event)}`, {});
      assert.equal(badType.status, 400);
      assert.equal(badType.body["errcode"], "M_INVALID_PARAM");
      const unknownEvent = await bob.post(`${V3}/rooms/${q(roomId)}/receipt/m.read/${q("$nope")}`, {});
      assert.equal(unknownEvent.status, 404);
      assert.equal(unknownEvent.body["errcode"], "M_NOT_FOUND");
      const otherRoom = await sharedRoom();
      const elsewhere = await send(alice, otherRoom, { msgtype: "m.text", body: "y" });
      assert.equal((await bob.post(`${V3}/rooms/${q(roomId)}/receipt/m.read/${q(elsewhere)}`, {})).status, 404, "an event of another room");
      const outsider = await carol.post(`${V3}/rooms/${q(roomId)}/receipt/m.read/${q(event)}`, {});
      assert.equal(outsider.status, 403);
      assert.equal(outsider.body["errcode"], "M_FORBIDDEN");
      const notEventId = await bob.post(`${V3}/rooms/${q(roomId)}/receipt/m.read/nope`, {});
      assert.equal(notEventId.status, 400);
      const markerOutsider = await carol.post(`${V3}/rooms/${q(roomId)}/read_markers`, { "m.fully_read": event });
      assert.equal(markerOutsider.status, 403);
      const markerBad = await bob.post(`${V3}/rooms/${q(roomId)}/read_markers`, { "m.fully_read": 12 });
      assert.equal(markerBad.status, 400);
      assert.equal(markerBad.body["errcode"], "M_BAD_JSON");
    });

    it("sets the fully read marker and read receipts through /read_markers", async () => {
      const roomId = await sharedRoom();
      const first = await send(alice, roomId, { msgtype: "m.text", body: "a" });
      const second = await send(alice, roomId, { msgtype: "m.text", body: "b" });
      const start = await alice.get<Sync>(`${V3}/sync`);
      const bobStart = await bob.get<Sync>(`${V3}/sync`);
      const marked = await bob.post(`${V3}/rooms/${q(roomId)}/read_markers`, { "m.fully_read": second, "m.read": second, "m.read.private": second });
      assert.equal(marked.status, 200, JSON.stringify(marked.body));
      const db = hs.server.context.db.kysely;
      assert.equal(await readFullyReadMarker(db, "@bob:localhost", roomId), second);

      const seen = await alice.get<Sync>(`${V3}/sync?since=${q(start.body.next_batch)}`);
      const content = ephemeralOf(seen.body, roomId, "m.receipt")!.content as Record<string, Record<string, Record<string, unknown>>>;
      assert.ok(content[second]?.["m.read"]?.["@bob:localhost"]);
      assert.equal(content[second]?.["m.read.private"], undefined);
      const own = await bob.get<Sync>(`${V3}/sync?since=${q(bobStart.body.next_batch)}`);
      assert.ok((ephemeralOf(own.body, roomId, "m.receipt")!.content[second] as Record<string, unknown>)["m.read.private"]);

      // The marker does not move back, by /read_markers or by the m.fully_read receipt type.
      assert.equal((await bob.post(`${V3}/rooms/${q(roomId)}/read_markers`, { "m.fully_read": first })).status, 200);
      assert.equal((await bob.post(`${V3}/rooms/${q(roomId)}/receipt/m.fully_read/${q(first)}`, {})).status, 200);
      assert.equal(await readFullyReadMarker(db, "@bob:localhost", roomId), second);
      const third = await send(alice, roomId, { msgtype: "m.text", body: "c" });
      assert.equal((await bob.post(`${V3}/rooms/${q(roomId)}/receipt/m.fully_read/${q(third)}`, {})).status, 200);
      assert.equal(await readFullyReadMarker(db, "@bob:localhost", roomId), third);
      // m.fully_read is account data, never a receipt.
      const later = await alice.get<Sync>(`${V3}/sync`);
      const receipts = ephemeralOf(later.body, roomId, "m.receipt")!.content as Record<string, Record<string, unknown>>;
      assert.equal(receipts[third], undefined);
      assert.ok(Object.values(receipts).every((byType) => !("m.fully_read" in byType)));
      const unknown = await bob.post(`${V3}/rooms/${q(roomId)}/read_markers`, { "m.fully_read": "$unknown" });
      assert.equal(unknown.status, 404);
    });

    it("applies the ephemeral filter", async () => {
      const roomId = await sharedRoom();
      const event = await send(alice, roomId, { msgtype: "m.text", body: "filtered" });
      await bob.post(`${V3}/rooms/${q(roomId)}/receipt/m.read/${q(event)}`, {});
      await bob.put(`${V3}/rooms/${q(roomId)}/typing/${q("@bob:localhost")}`, { typing: true, timeout: 30000 });
      const filter = q(JSON.stringify({ room: { ephemeral: { not_types: ["m.receipt"] } } }));
      const sync = await alice.get<Sync>(`${V3}/sync?filter=${filter}`);
      assert.ok(ephemeralOf(sync.body, roomId, "m.typing"));
      assert.equal(ephemeralOf(sync.body, roomId, "m.receipt"), undefined);
    });
  });
}
