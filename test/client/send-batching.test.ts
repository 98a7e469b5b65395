/**
 * Messages that reach one room's writer together are built one on the other and persisted in one
 * transaction (services/rooms/event-sender.ts). Each sender must still get its own answer: its own
 * event, its transaction ID honoured, its own refusal; and the room's graph must stay one line.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ApiClient } from "../harness/client.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import type { Db } from "../../src/storage/db.js";
import { DATABASE_KINDS, isPostgresAvailable, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";

const V3 = "/_matrix/client/v3";
const q = encodeURIComponent;

/**
 * Counts the transactions the database runs until stop() (which returns the count), the background
 * writers' as well (the test keeps them quiet meanwhile). The first one waits a moment before it
 * writes: it is the first message to reach the room's writer, and meanwhile the rest of a burst is sure
 * to queue for the writer, however the requests trickle in on a busy machine.
 */
function holdFirstTransaction(db: Db): { stop(): number } {
  let transactions = 0;
  let release = (): void => undefined;
  const firstMayWrite = new Promise<void>((resolve) => (release = resolve));
  const transaction = db.transaction.bind(db);
  db.transaction = ((work: Parameters<typeof transaction>[0]) => {
    transactions++;
    return transactions > 1 ? transaction(work) : firstMayWrite.then(() => transaction(work));
  }) as typeof db.transaction;
  const timer = setTimeout(release, 1000);
  return {
    stop: () => {
      clearTimeout(timer);
      release();
      db.transaction = transaction;
      return transactions;
    },
  };
}

type TimelineEvent = { event_id: string; type: string; sender: string; content: { body?: string }; unsigned?: { transaction_id?: string } };

for (const database of DATABASE_KINDS) {
  describe(`messages sent together into one room on ${database}`, { skip: database === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false }, () => {
    let hs: TestServer;

    before(async () => {
      // Staged push actions are moved by the clock, in transactions of their own: not during the count.
      hs = await startTestServer({ database, config: { presence: { enabled: false }, push: { staged_actions_move_ms: 3_600_000 } } });
    });
    after(async () => hs.destroy());

    it("answers each sender for its own message, in one line of the graph, written in fewer transactions than messages", async () => {
      const owner = new ApiClient(hs.url);
      await owner.register("owner");
      const roomId = (await owner.post<{ room_id: string }>(`${V3}/createRoom`, { preset: "public_chat" })).body.room_id;
      const members: ApiClient[] = [];
      for (const name of ["ann", "ben", "cat", "dan"]) {
        const client = new ApiClient(hs.url);
        await client.register(name);
        assert.equal((await client.post(`${V3}/join/${q(roomId)}`, {})).status, 200);
        members.push(client);
      }
      const outsider = new ApiClient(hs.url);
      await outsider.register("outsider");
      const sendPath = (txnId: string) => `${V3}/rooms/${q(roomId)}/send/m.room.message/${txnId}`;
      const stored = await members[0]?.put<{ event_id: string }>(sendPath("before"), { msgtype: "m.text", body: "before the burst" });
      assert.equal(stored?.status, 200);
      // SQLite indexes a message for search in a transaction of its own, ~100 ms after it: a search
      // writes what is waiting first, so that transaction is not the one held below (the burst's first).
      assert.equal((await members[0]?.post(`${V3}/search`, { search_categories: { room_events: { search_term: "before" } } }))?.status, 200);

      const db = hs.server.context.db;
      const counted = holdFirstTransaction(db);
      const PER_MEMBER = 10;
      const burst = members.flatMap((client, m) =>
        Array.from({ length: PER_MEMBER }, (_, i) => client.put<{ event_id: string }>(sendPath(`burst-${i}`), { msgtype: "m.text", body: `member ${m} message ${i}` })),
      );
      const tooLarge = members[1]?.put(sendPath("big"), { msgtype: "m.text", body: "x".repeat(70_000) });
      const notMember = outsider.put(sendPath("intruder"), { msgtype: "m.text", body: "let me in" });
      const answers = await Promise.all(burst);
      const transactions = counted.stop();

      for (const answer of answers) assert.equal(answer.status, 200, JSON.stringify(answer.body));
      const ids = answers.map((answer) => answer.body.event_id);
      assert.equal(new Set(ids).size, ids.length, "each message is an event of its own");
      const big = await tooLarge;
      assert.equal(big?.status, 413, JSON.stringify(big?.body));
      assert.equal((big?.body as { errcode?: string }).errcode, "M_TOO_LARGE");
      const refused = await notMember;
      assert.equal(refused.status, 403, JSON.stringify(refused.body));
      assert.equal((refused.body as { errcode?: string }).errcode, "M_FORBIDDEN");
      assert.ok(transactions < answers.length, `${answers.length} messages were written in ${transactions} transactions`);

      // Every message is in the room once, and the graph is one line: each event cites one event, no
      // event is cited twice, and one forward extremity is left.
      const page = await members[0]?.get<{ chunk: TimelineEvent[] }>(`${V3}/rooms/${q(roomId)}/messages?dir=b&limit=100`);
      const bodies = (page?.body.chunk ?? []).map((event) => event.content.body).filter((body) => body?.startsWith("member"));
      assert.deepEqual(bodies.sort(), answers.map((_, k) => `member ${Math.floor(k / PER_MEMBER)} message ${k % PER_MEMBER}`).sort());
      const room = { roomNid: Number((await db.kysely.selectFrom("rooms").select("room_nid").where("room_id", "=", roomId).executeTakeFirstOrThrow()).room_nid) };
      const edges = await db.kysely
        .selectFrom("event_edges")
        .innerJoin("events", "events.event_nid", "event_edges.event_nid")
        .select(["event_edges.event_nid", "event_edges.prev_event_nid"])
        .where("events.room_nid", "=", room.roomNid)
        .execute();
      const cited = new Map<number, number>();
      const citing = new Map<number, number>();
      for (const edge of edges) {
        cited.set(Number(edge.prev_event_nid), (cited.get(Number(edge.prev_event_nid)) ?? 0) + 1);
        citing.set(Number(edge.event_nid), (citing.get(Number(edge.event_nid)) ?? 0) + 1);
      }
      assert.deepEqual([...cited.values()].filter((n) => n > 1), [], "no event is cited by two");
      assert.deepEqual([...citing.values()].filter((n) => n > 1), [], "no event cites two");
      const extremities = await db.kysely.selectFrom("forward_extremities").select("event_nid").where("room_nid", "=", room.roomNid).execute();
      assert.equal(extremities.length, 1);

      // Each sender sees its own transaction IDs on its own messages.
      for (const [m, client] of members.entries()) {
        const own = await client.get<{ chunk: TimelineEvent[] }>(`${V3}/rooms/${q(roomId)}/messages?dir=b&limit=100`);
        const mine = own.body.chunk.filter((event) => event.content.body?.startsWith(`member ${m} `));
        assert.equal(mine.length, PER_MEMBER);
        for (const event of mine) assert.equal(event.unsigned?.transaction_id, `burst-${event.content.body?.split(" ")[3]}`);
      }
    });

    it("answers a retried transaction ID inside a burst with the event it stored, and the rest with new ones", async () => {
      const [ann, ben] = [new ApiClient(hs.url), new ApiClient(hs.url)];
      await ann.register("retrier");
      await ben.register("bystander");
      const roomId = (await ann.post<{ room_id: string }>(`${V3}/createRoom`, { preset: "public_chat" })).body.room_id;
      assert.equal((await ben.post(`${V3}/join/${q(roomId)}`, {})).status, 200);
      const sendPath = (txnId: string) => `${V3}/rooms/${q(roomId)}/send/m.room.message/${txnId}`;
      const first = await ann.put<{ event_id: string }>(sendPath("once"), { msgtype: "m.text", body: "once" });
      assert.equal(first.status, 200);
      // The burst waits for the writer together, the retry among the others: their shared transaction
      // fails on its transaction ID, and each is then written on its own.
      const counted = holdFirstTransaction(hs.server.context.db);
      const burst = [
        ...Array.from({ length: 8 }, (_, i) => ben.put<{ event_id: string }>(sendPath(`b-${i}`), { msgtype: "m.text", body: `ben ${i}` })),
        ann.put<{ event_id: string }>(sendPath("once"), { msgtype: "m.text", body: "once" }),
        ...Array.from({ length: 8 }, (_, i) => ann.put<{ event_id: string }>(sendPath(`a-${i}`), { msgtype: "m.text", body: `ann ${i}` })),
      ];
      const answers = await Promise.all(burst);
      counted.stop();
      for (const answer of answers) assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(answers[8]?.body.event_id, first.body.event_id, "the retry answers with the stored event");
      const ids = answers.map((answer) => answer.body.event_id);
      assert.equal(new Set(ids).size, ids.length);
      const page = await ann.get<{ chunk: TimelineEvent[] }>(`${V3}/rooms/${q(roomId)}/messages?dir=b&limit=50`);
      assert.equal(page.body.chunk.filter((event) => event.content.body === "once").length, 1, "the retried message is stored once");
      assert.equal(page.body.chunk.filter((event) => /^(ann|ben) \d$/.test(event.content.body ?? "")).length, 16);
    });
  });
}
