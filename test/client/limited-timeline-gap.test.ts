/**
 * A burst of events between two incremental syncs comes as a limited timeline; a client fills the gap
 * by paging back from the timeline's prev_batch to its previous sync token (/messages `to`): it must get
 * exactly the events left out, once each and in order (the event at the token itself was seen already),
 * on SQLite and PostgreSQL.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ApiClient } from "../harness/client.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { DATABASE_KINDS, isPostgresAvailable, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";
import { bodies, syncPosition, syncUntil } from "../harness/federated-rooms.js";

const V3 = "/_matrix/client/v3";

for (const database of DATABASE_KINDS) {
  describe(`a limited timeline's gap, paged back to the previous token, on ${database}`, { skip: database === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false }, () => {
    let hs: TestServer;
    before(async () => {
      hs = await startTestServer({ database, config: { presence: { enabled: false } } });
    });
    after(async () => hs.destroy());

    it("holds every message once, in order", async () => {
      const alice = new ApiClient(hs.url);
      await alice.register("alice");
      const roomId = (await alice.post<{ room_id: string }>(`${V3}/createRoom`, { preset: "private_chat" })).body.room_id;
      await alice.put(`${V3}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/before`, { msgtype: "m.text", body: "before" });
      const since = await syncPosition(alice);
      const expected = Array.from({ length: 45 }, (_, i) => `burst ${i}`);
      for (const [i, body] of expected.entries()) {
        assert.equal((await alice.put(`${V3}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/b${i}`, { msgtype: "m.text", body })).status, 200);
      }
      const limited = await alice.get<{ rooms: { join: Record<string, { timeline: { limited?: boolean; events: unknown[] } }> } }>(`${V3}/sync?timeout=0&since=${encodeURIComponent(since)}`);
      assert.equal(limited.body.rooms.join[roomId]?.timeline.limited, true, "the burst is more than one timeline holds");
      assert.ok((limited.body.rooms.join[roomId]?.timeline.events.length ?? 0) < expected.length);

      const prevBatch = (limited.body.rooms.join[roomId]?.timeline as { prev_batch?: string }).prev_batch as string;
      const shown = (limited.body.rooms.join[roomId]?.timeline.events ?? []) as { content: { body?: string } }[];
      const leftOut: string[] = [];
      for (let from: string | undefined = prevBatch; from !== undefined; ) {
        const page: { status: number; body: { chunk: { content: { body?: string } }[]; end?: string } } = await alice.get(`${V3}/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=7&from=${encodeURIComponent(from)}&to=${encodeURIComponent(since)}`);
        assert.equal(page.status, 200);
        leftOut.unshift(...page.body.chunk.map((e) => String(e.content.body)).reverse());
        from = page.body.chunk.length > 0 ? page.body.end : undefined;
      }
      assert.deepEqual([...leftOut, ...shown.map((e) => String(e.content.body))], expected, "what /messages gave back to the token, then what sync showed");

      // The test harness fills such gaps the same way (test/harness/federated-rooms.ts).
      const view = await syncUntil(alice, roomId, (v) => bodies(v).includes("burst 44"), since, 20_000, { fillGaps: true });
      assert.deepEqual(bodies(view).filter((b) => String(b).startsWith("burst")), expected);
    });
  });
}
