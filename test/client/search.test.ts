import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { ApiClient} from "../harness/client.js";
import { registeredClients } from "../harness/client.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { DATABASE_KINDS, isPostgresAvailable, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";
import { sql } from "../../src/storage/kysely.js";
import { migrate } from "../../src/storage/migrations/index.js";

const V3 = "/_matrix/client/v3";

interface ResultEvent {
  event_id: string;
  room_id: string;
  sender: string;
  type: string;
  content: Record<string, unknown>;
}
interface Context {
  start: string;
  end: string;
  events_before: ResultEvent[];
  events_after: ResultEvent[];
  profile_info?: Record<string, { displayname?: string; avatar_url?: string }>;
}
interface RoomEvents {
  count: number;
  highlights: string[];
  results: { rank: number; result: ResultEvent; context?: Context }[];
  state?: Record<string, ResultEvent[]>;
  groups?: Record<string, Record<string, { results: string[]; order: number; next_batch?: string }>>;
  next_batch?: string;
}
type SearchResponse = { search_categories: { room_events?: RoomEvents } };

const room = (id: string): string => encodeURIComponent(id);

for (const database of DATABASE_KINDS) {
describe(`server-side search on ${database}`, { skip: database === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false }, () => {
  let hs: TestServer;
  let alice: ApiClient;
  let bob: ApiClient;
  let carol: ApiClient;
  let txn = 0;

  const send = async (client: ApiClient, roomId: string, body: string): Promise<string> => {
    const res = await client.put<{ event_id: string }>(`${V3}/rooms/${room(roomId)}/send/m.room.message/s${++txn}`, { msgtype: "m.text", body });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.event_id;
  };
  const search = async (client: ApiClient, criteria: Record<string, unknown>, nextBatch?: string): Promise<RoomEvents> => {
    const path = `${V3}/search${nextBatch !== undefined ? `?next_batch=${encodeURIComponent(nextBatch)}` : ""}`;
    const res = await client.post<SearchResponse>(path, { search_categories: { room_events: criteria } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.search_categories.room_events as RoomEvents;
  };
  const createRoom = async (client: ApiClient, body: Record<string, unknown> = {}): Promise<string> => {
    const res = await client.post<{ room_id: string }>(`${V3}/createRoom`, body);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.room_id;
  };
  const join = async (client: ApiClient, roomId: string): Promise<void> => {
    const res = await client.post(`${V3}/join/${room(roomId)}`, {});
    assert.equal(res.status, 200, JSON.stringify(res.body));
  };

  before(async () => {
    hs = await startTestServer({ database });
    [alice, bob, carol] = await registeredClients(hs.url, "alice", "bob", "carol");
  });
  after(async () => hs.destroy());

  it("finds messages by word prefix, with rank, count and highlights", async () => {
    const roomId = await createRoom(alice, { preset: "public_chat" });
    await join(bob, roomId);
    const first = await send(alice, roomId, "The Martians have landed");
    const second = await send(bob, roomId, "a martian invasion, again");
    await send(alice, roomId, "nothing to see here");
    const found = await search(bob, { search_term: "martian", filter: { rooms: [roomId] } });
    assert.deepEqual(new Set(found.results.map((r) => r.result.event_id)), new Set([first, second]));
    assert.equal(found.count, 2);
    for (const r of found.results) {
      assert.equal(typeof r.rank, "number");
      assert.equal(r.result.room_id, roomId);
      assert.equal(r.result.type, "m.room.message");
    }
    assert.ok(found.highlights.includes("martian"), JSON.stringify(found.highlights));
    assert.ok(found.highlights.includes("martians"), "words matched as prefixes are highlighted");
    assert.equal(found.next_batch, undefined, "everything fits in one page");
  });

  it("matches case- and accent-insensitively, phrases, exclusions and alternatives", async () => {
    const roomId = await createRoom(alice);
    const cafe = await send(alice, roomId, "Meet at the CAFÉ tomorrow");
    const blue = await send(alice, roomId, "the quick blue fox");
    const red = await send(alice, roomId, "a red fox, not quick");
    const ids = async (term: string): Promise<Set<string>> =>
      new Set((await search(alice, { search_term: term, filter: { rooms: [roomId] } })).results.map((r) => r.result.event_id));
    assert.deepEqual(await ids("cafe"), new Set([cafe]));
    assert.deepEqual(await ids("fox"), new Set([blue, red]));
    assert.deepEqual(await ids('"quick blue"'), new Set([blue]));
    assert.deepEqual(await ids("fox -red"), new Set([blue]));
    assert.deepEqual(await ids("cafe OR red"), new Set([cafe, red]));
    assert.deepEqual(await ids("the"), new Set(), "a term of stop words only matches nothing");
    assert.deepEqual(await ids("   "), new Set());
    assert.deepEqual(await ids('"unbalanced quote*) AND (NEAR'), new Set(), "search syntax in the term is never an error");
    for (const nasty of ["NEAR(fox", "fox:*", "fox & !red | (", "'fox'", "\\", "* ^ $", "fox -", "-", "OR", "fox OR", "\u0301", "a".repeat(5000)]) {
      const res = await alice.post(`${V3}/search`, { search_categories: { room_events: { search_term: nasty, filter: { rooms: [roomId] } } } });
      assert.equal(res.status, 200, `${JSON.stringify(nasty)}: ${JSON.stringify(res.body)}`);
    }
    assert.deepEqual(await ids("fox:*"), new Set([blue, red]), "punctuation separates words");
    const tokyo = await send(alice, roomId, "東京タワーに行きました");
    assert.deepEqual(await ids("東京"), new Set([tokyo]), "CJK text is found without spaces");
  });

  it("orders by rank or by recency and pages with next_batch without repeats", async () => {
    const roomId = await createRoom(alice);
    const sent: string[] = [];
    for (let i = 0; i < 7; i++) sent.push(await send(alice, roomId, i === 3 ? "pager pager pager pager" : `pager message number ${i} with several other words in it`));
    for (const order of ["recent", "rank"] as const) {
      const seen: string[] = [];
      let page = await search(alice, { search_term: "pager", order_by: order, filter: { rooms: [roomId], limit: 3 } });
      assert.equal(page.results.length, 3);
      assert.equal(page.count, 7);
      if (order === "recent") assert.deepEqual(page.results.map((r) => r.result.event_id), [sent[6], sent[5], sent[4]]);
      else assert.equal(page.results[0]?.result.event_id, sent[3], "the message repeating the word ranks first");
      const ranks = page.results.map((r) => r.rank);
      if (order === "rank") assert.deepEqual([...ranks].sort((a, b) => b - a), ranks, "ranks descend");
      seen.push(...page.results.map((r) => r.result.event_id));
      let guard = 0;
      while (page.next_batch !== undefined && guard++ < 10) {
        page = await search(alice, { search_term: "pager", order_by: order, filter: { rooms: [roomId], limit: 3 } }, page.next_batch);
        seen.push(...page.results.map((r) => r.result.event_id));
      }
      assert.equal(seen.length, 7, `${order}: ${JSON.stringify(seen)}`);
      assert.deepEqual(new Set(seen), new Set(sent), `${order}: every match once`);
      if (order === "recent") assert.deepEqual(seen, [...sent].reverse());
    }
    const wrongOrder = await search(alice, { search_term: "pager", order_by: "recent", filter: { rooms: [roomId], limit: 3 } });
    const mixed = await alice.post(`${V3}/search?next_batch=${wrongOrder.next_batch}`, { search_categories: { room_events: { search_term: "pager", order_by: "rank" } } });
    assert.equal(mixed.status, 400);
    assert.equal(mixed.body["errcode"], "M_INVALID_PARAM");
  });

  it("pages through many equally ranked results in both orders", async () => {
    const roomId = await createRoom(alice);
    const sent = new Set<string>();
    for (let i = 0; i < 45; i++) sent.add(await send(alice, roomId, "identical heron text"));
    for (const order of ["rank", "recent"] as const) {
      const seen: string[] = [];
      let next: string | undefined;
      let pages = 0;
      do {
        const page = await search(alice, { search_term: "heron", order_by: order, filter: { rooms: [roomId], limit: 10 } }, next);
        seen.push(...page.results.map((r) => r.result.event_id));
        next = page.next_batch;
        pages++;
      } while (next !== undefined && pages < 20);
      assert.equal(seen.length, 45, `${order}: ${seen.length} results in ${pages} pages`);
      assert.deepEqual(new Set(seen), sent);
    }
  });

  it("searches only rooms the user is in, and nothing sent after they left", async () => {
    const secret = await createRoom(alice, { preset: "private_chat" });
    await send(alice, secret, "zebra secret plans");
    assert.deepEqual((await search(carol, { search_term: "zebra" })).results, [], "carol was never in the room");
    const shared = await createRoom(alice, { preset: "public_chat" });
    await join(carol, shared);
    const before = await send(alice, shared, "zebra crossing before");
    const leave = await carol.post(`${V3}/rooms/${room(shared)}/leave`, {});
    assert.equal(leave.status, 200);
    await send(alice, shared, "zebra crossing after");
    const found = await search(carol, { search_term: "zebra" });
    assert.deepEqual(found.results.map((r) => r.result.event_id), [before], "history up to the leave only");
    assert.equal(found.count, 1, "matches after the leave are not even counted");
    const explicit = await search(carol, { search_term: "zebra", filter: { rooms: [secret] } });
    assert.deepEqual(explicit.results, [], "naming a room in the filter grants nothing");
  });

  it("hides history from before a join when history visibility is joined", async () => {
    const roomId = await createRoom(alice, { preset: "public_chat", initial_state: [{ type: "m.room.history_visibility", state_key: "", content: { history_visibility: "joined" } }] });
    await send(alice, roomId, "walrus early");
    await join(bob, roomId);
    const later = await send(alice, roomId, "walrus late");
    const found = await search(bob, { search_term: "walrus", filter: { rooms: [roomId] } });
    assert.deepEqual(found.results.map((r) => r.result.event_id), [later]);
  });

  it("drops redacted events from the index", async () => {
    const roomId = await createRoom(alice);
    const gone = await send(alice, roomId, "platypus to be redacted");
    const kept = await send(alice, roomId, "platypus that stays");
    const redact = await alice.put(`${V3}/rooms/${room(roomId)}/redact/${encodeURIComponent(gone)}/r${++txn}`, { reason: "oops" });
    assert.equal(redact.status, 200, JSON.stringify(redact.body));
    const found = await search(alice, { search_term: "platypus", filter: { rooms: [roomId] } });
    assert.deepEqual(found.results.map((r) => r.result.event_id), [kept]);
    assert.equal(found.count, 1);
    const byReason = await search(alice, { search_term: "oops", filter: { rooms: [roomId] } });
    assert.deepEqual(byReason.results, [], "the redaction itself is not searchable");
  });

  it("applies the filter: senders, not_senders, not_rooms, types", async () => {
    const one = await createRoom(alice, { preset: "public_chat" });
    const two = await createRoom(alice, { preset: "public_chat" });
    await join(bob, one);
    await join(bob, two);
    const a1 = await send(alice, one, "koala from alice");
    const b1 = await send(bob, one, "koala from bob");
    const a2 = await send(alice, two, "koala in two");
    const ids = async (filter: Record<string, unknown>): Promise<Set<string>> =>
      new Set((await search(bob, { search_term: "koala", filter })).results.map((r) => r.result.event_id));
    assert.deepEqual(await ids({ rooms: [one, two] }), new Set([a1, b1, a2]));
    assert.deepEqual(await ids({ rooms: [one, two], senders: ["@bob:localhost"] }), new Set([b1]));
    assert.deepEqual(await ids({ rooms: [one, two], not_senders: ["@bob:localhost"] }), new Set([a1, a2]));
    assert.deepEqual(await ids({ rooms: [one, two], not_rooms: [one] }), new Set([a2]));
    assert.deepEqual(await ids({ rooms: [one, two], types: ["m.room.topic"] }), new Set());
    const bad = await bob.post(`${V3}/search`, { search_categories: { room_events: { search_term: "koala", filter: { limit: "ten" } } } });
    assert.equal(bad.status, 400);
  });

  it("searches room names and topics by key", async () => {
    const roomId = await createRoom(alice, { name: "Capybara club", topic: "All about capybaras" });
    await send(alice, roomId, "capybara sighting");
    const names = await search(alice, { search_term: "capybara", keys: ["content.name"], filter: { rooms: [roomId] } });
    assert.deepEqual(names.results.map((r) => r.result.type), ["m.room.name"]);
    const topics = await search(alice, { search_term: "capybara", keys: ["content.topic"], filter: { rooms: [roomId] } });
    assert.deepEqual(topics.results.map((r) => r.result.type), ["m.room.topic"]);
    const all = await search(alice, { search_term: "capybara", filter: { rooms: [roomId] } });
    assert.deepEqual(new Set(all.results.map((r) => r.result.type)), new Set(["m.room.name", "m.room.topic", "m.room.message"]));
    const bodies = await search(alice, { search_term: "capybara", keys: ["content.body"], filter: { rooms: [roomId] } });
    assert.deepEqual(bodies.results.map((r) => r.result.type), ["m.room.message"]);
  });

  it("returns event context with profiles, and current state with include_state", async () => {
    const roomId = await createRoom(alice, { preset: "public_chat" });
    await join(bob, roomId);
    const named = await bob.put(`${V3}/profile/@bob:localhost/displayname`, { displayname: "Bobby" });
    assert.equal(named.status, 200, JSON.stringify(named.body));
    const b1 = await send(alice, roomId, "context one");
    const b2 = await send(bob, roomId, "context two");
    const hit = await send(alice, roomId, "the wombat result");
    const a1 = await send(bob, roomId, "context three");
    await send(alice, roomId, "context four");
    const found = await search(alice, {
      search_term: "wombat",
      filter: { rooms: [roomId] },
      event_context: { before_limit: 2, after_limit: 1, include_profile: true },
      include_state: true,
    });
    assert.equal(found.results.length, 1);
    const context = found.results[0]?.context as Context;
    assert.ok(context, "context is returned");
    assert.deepEqual(context.events_before.map((e) => e.event_id), [b2, b1], "events before, newest first");
    assert.deepEqual(context.events_after.map((e) => e.event_id), [a1]);
    assert.equal(typeof context.start, "string");
    assert.equal(typeof context.end, "string");
    assert.equal(context.profile_info?.["@bob:localhost"]?.displayname, "Bobby");
    assert.ok(context.profile_info?.["@alice:localhost"], "every sender has a profile entry");
    // The context tokens page /messages on from the edges of the context.
    const older = await alice.get<{ chunk: ResultEvent[] }>(`${V3}/rooms/${room(roomId)}/messages?dir=b&limit=1&from=${encodeURIComponent(context.start)}`);
    assert.equal(older.status, 200, JSON.stringify(older.body));
    assert.ok(!older.body.chunk.some((e) => [b1, b2, hit].includes(e.event_id)), "paging back from start skips the context");
    const state = found.state?.[roomId];
    assert.ok(state, "state of the result's room");
    assert.ok(state.some((e) => e.type === "m.room.create"));
    assert.ok(state.some((e) => e.type === "m.room.member" && (e as unknown as { state_key: string }).state_key === "@bob:localhost"));

    const noContext = await search(alice, { search_term: "wombat", filter: { rooms: [roomId] } });
    assert.equal(noContext.results[0]?.context, undefined);
    assert.equal(noContext.state, undefined);
  });

  it("groups by room and sender, each group paging on by itself", async () => {
    const one = await createRoom(alice, { preset: "public_chat" });
    const two = await createRoom(alice, { preset: "public_chat" });
    await join(bob, one);
    const inOne: string[] = [];
    for (let i = 0; i < 3; i++) inOne.push(await send(i === 1 ? bob : alice, one, `ocelot one ${i}`));
    const inTwo: string[] = [];
    for (let i = 0; i < 3; i++) inTwo.push(await send(alice, two, `ocelot two ${i}`));
    const found = await search(alice, {
      search_term: "ocelot",
      order_by: "recent",
      filter: { rooms: [one, two], limit: 4 },
      groupings: { group_by: [{ key: "room_id" }, { key: "sender" }] },
    });
    const byRoom = found.groups?.["room_id"];
    assert.ok(byRoom, JSON.stringify(found));
    assert.deepEqual(byRoom[two]?.results, [inTwo[2], inTwo[1], inTwo[0]]);
    assert.deepEqual(byRoom[one]?.results, [inOne[2]]);
    assert.equal(byRoom[two]?.order, 1);
    assert.equal(byRoom[one]?.order, 2);
    const bySender = found.groups?.["sender"];
    assert.deepEqual(bySender?.["@alice:localhost"]?.results, [inTwo[2], inTwo[1], inTwo[0], inOne[2]]);
    assert.ok(found.next_batch, "more results remain");
    const roomOneToken = byRoom[one]?.next_batch;
    assert.ok(roomOneToken, "a group with more results has its own next_batch");
    const rest = await search(alice, { search_term: "ocelot", order_by: "recent", filter: { rooms: [one, two], limit: 4 } }, roomOneToken);
    assert.deepEqual(rest.results.map((r) => r.result.event_id), [inOne[1], inOne[0]], "the group's token continues in that room only");
    const senderToken = bySender?.["@alice:localhost"]?.next_batch as string;
    const restOfAlice = await search(alice, { search_term: "ocelot", order_by: "recent", filter: { rooms: [one, two], limit: 4 } }, senderToken);
    assert.deepEqual(restOfAlice.results.map((r) => r.result.event_id), [inOne[0]], "the sender group's token continues with that sender only");
  });

  it("indexes the events stored before migration 015 when it runs", async () => {
    const roomId = await createRoom(alice, { name: "Backfill lagoon" });
    const kept = await send(alice, roomId, "heritage axolotl message");
    const redacted = await send(alice, roomId, "heritage axolotl redacted");
    assert.equal((await alice.put(`${V3}/rooms/${room(roomId)}/redact/${encodeURIComponent(redacted)}/r${++txn}`, {})).status, 200);
    // Forget the index as if these events came from a database older than the search migration.
    const db = hs.server.context.db;
    if (db.dialect === "sqlite") await sql`DROP TABLE event_search_fts`.execute(db.kysely);
    await sql`DROP TABLE event_search`.execute(db.kysely);
    await sql`DELETE FROM tessera_migrations WHERE name = '015-search'`.execute(db.kysely);
    assert.deepEqual(await migrate(db), ["015-search"]);
    const found = await search(alice, { search_term: "axolotl", filter: { rooms: [roomId] } });
    assert.deepEqual(found.results.map((r) => r.result.event_id), [kept], "messages are back, redacted ones are not");
    const names = await search(alice, { search_term: "lagoon", keys: ["content.name"], filter: { rooms: [roomId] } });
    assert.equal(names.results.length, 1, "room names are backfilled too");
  });

  it("rejects bad requests with 400", async () => {
    const missingTerm = await alice.post(`${V3}/search`, { search_categories: { room_events: {} } });
    assert.equal(missingTerm.status, 400);
    const badKey = await alice.post(`${V3}/search`, { search_categories: { room_events: { search_term: "x", keys: ["content.msgtype"] } } });
    assert.equal(badKey.status, 400);
    const badOrder = await alice.post(`${V3}/search`, { search_categories: { room_events: { search_term: "x", order_by: "oldest" } } });
    assert.equal(badOrder.status, 400);
    const badToken = await alice.post(`${V3}/search?next_batch=not-a-token!`, { search_categories: { room_events: { search_term: "x" } } });
    assert.equal(badToken.status, 400);
    assert.equal(badToken.body["errcode"], "M_INVALID_PARAM");
    const garbageToken = await alice.post(`${V3}/search?next_batch=${Buffer.from('{"o":"rank"}').toString("base64url")}`, { search_categories: { room_events: { search_term: "x" } } });
    assert.equal(garbageToken.status, 400);
    const noCategories = await alice.post(`${V3}/search`, {});
    assert.equal(noCategories.status, 400);
    const unauthenticated = await alice.post(`${V3}/search`, { search_categories: { room_events: { search_term: "x" } } }, { token: null });
    assert.equal(unauthenticated.status, 401);
    const empty = await alice.post<SearchResponse>(`${V3}/search`, { search_categories: {} });
    assert.equal(empty.status, 200);
    assert.deepEqual(empty.body.search_categories, {});
  });
});
}
