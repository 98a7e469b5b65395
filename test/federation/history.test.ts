/**
 * Room history over federation: a server that joined late pages back through the room's earlier
 * history with /backfill (bob@two through alice@one's 150 messages and state changes), and the
 * history endpoints one serves (/backfill, /state, /state_ids, /event_auth, /timestamp_to_event),
 * which refuse servers outside the room and unknown events.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { ApiClient} from "../harness/client.js";
import { registeredClients } from "../harness/client.js";
import { startFederatedServer, type FederatedServer } from "../harness/federation.js";
import { signedRequest, syncPosition, syncUntil, type Json, type SyncEvent } from "../harness/federated-rooms.js";

const V3 = "/_matrix/client/v3";
const FED = "/_matrix/federation/v1";
const MESSAGES = 150;

type ClientEvent = SyncEvent & { origin_server_ts: number };
type Page = { chunk: ClientEvent[]; start: string; end?: string };

type SyncBody = { next_batch: string; rooms?: { join?: Record<string, { timeline: { events: SyncEvent[] } }> } };

/** A sync position after which nothing more of the room is pending: what comes later is news. */
async function settledSyncPosition(client: ApiClient, roomId: string): Promise<string> {
  let since = await syncPosition(client);
  for (let i = 0; i < 10; i++) {
    const sync = await client.get<SyncBody>(`${V3}/sync?timeout=0&since=${since}`);
    since = sync.body.next_batch;
    if ((sync.body.rooms?.join?.[roomId]?.timeline.events.length ?? 0) === 0) return since;
  }
  assert.fail("the room keeps showing up in /sync");
}

const joinedBy = (userId: string) => (e: SyncEvent) => e.type === "m.room.member" && e.state_key === userId && e.content["membership"] === "join";

describe("federation: room history (backfill, state at events, auth chains)", () => {
  let one: FederatedServer;
  let two: FederatedServer;
  let outsider: FederatedServer;
  let alice: ApiClient;
  let carol: ApiClient;
  let bob: ApiClient;
  let bobId: string;
  let roomId: string;
  let room: string;
  /** alice's messages by body, as one stored them. */
  const sent = new Map<string, { eventId: string }>();
  let bobJoinId: string;
  let createId: string;

  before(async () => {
    [one, two, outsider] = await Promise.all([startFederatedServer(), startFederatedServer(), startFederatedServer()]);
    [alice, carol] = await registeredClients(one.url, "alice", "carol");
    [bob] = await registeredClients(two.url, "bob");
    bobId = `@bob:${two.serverName}`;
    const created = await alice.post(`${V3}/createRoom`, { preset: "public_chat", name: "History" });
    assert.equal(created.status, 200);
    roomId = created.body["room_id"] as string;
    room = encodeURIComponent(roomId);
    // 150 messages with state changes among them: topics, a member who joins and leaves (whose old
    // membership events two will have to fetch), and a name change.
    for (let i = 1; i <= MESSAGES; i++) {
      const put = await alice.put(`${V3}/rooms/${room}/send/m.room.message/m${i}`, { msgtype: "m.text", body: `message ${i}` });
      assert.equal(put.status, 200);
      sent.set(`message ${i}`, { eventId: put.body["event_id"] as string });
      if (i % 40 === 0) assert.equal((await alice.put(`${V3}/rooms/${room}/state/m.room.topic/`, { topic: `topic ${i}` })).status, 200);
      if (i === 50) assert.equal((await carol.post(`${V3}/rooms/${room}/join`, {})).status, 200);
      if (i === 60) assert.equal((await carol.put(`${V3}/rooms/${room}/send/m.room.message/c1`, { msgtype: "m.text", body: "carol was here" })).status, 200);
      if (i === 70) assert.equal((await carol.post(`${V3}/rooms/${room}/leave`, {})).status, 200);
      if (i === 100) assert.equal((await alice.put(`${V3}/rooms/${room}/state/m.room.name/`, { name: "History, renamed" })).status, 200);
    }
    const joined = await bob.post(`${V3}/join/${room}?server_name=${encodeURIComponent(one.serverName)}`, {});
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    const view = await syncUntil(bob, roomId, (v) => v.timeline.some(joinedBy(bobId)));
    bobJoinId = (view.timeline.find(joinedBy(bobId)) as SyncEvent).event_id;
    createId = (view.state.find((e) => e.type === "m.room.create") as SyncEvent).event_id;
  });
  after(async () => {
    await Promise.all([one?.destroy(), two?.destroy(), outsider?.destroy()]);
  });

  it("bob@two pages back through all 150 messages in order, without gaps or duplicates, to the room's creation; /sync and the current state do not change", async () => {
    const since = await settledSyncPosition(bob, roomId);
    const seen: ClientEvent[] = [];
    let from: string | undefined;
    for (let page = 0; page < 40; page++) {
      const query = `dir=b&limit=25${from === undefined ? "" : `&from=${encodeURIComponent(from)}`}`;
      const answer = await bob.get<Page>(`${V3}/rooms/${room}/messages?${query}`);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      seen.push(...answer.body.chunk);
      if (answer.body.end === undefined) break;
      from = answer.body.end;
    }
    const ids = seen.map((e) => e.event_id);
    assert.equal(new Set(ids).size, ids.length, "no event twice");
    assert.equal(seen[0]?.event_id, bobJoinId, "newest first: bob's own join");
    assert.equal(seen[seen.length - 1]?.type, "m.room.create", "the oldest event is the room's creation");
    assert.equal(seen[seen.length - 1]?.event_id, createId);
    const messages = seen.filter((e) => e.type === "m.room.message" && e.sender.startsWith("@alice:")).map((e) => e.content["body"]);
    assert.deepEqual(messages, Array.from({ length: MESSAGES }, (_, i) => `message ${MESSAGES - i}`), "every message once, newest first");
    for (const [body, { eventId }] of sent) assert.ok(ids.includes(eventId), `${body} has the event ID one gave it`);
    assert.ok(seen.some((e) => e.content["body"] === "carol was here"), "carol's message, authorised by her fetched membership");
    assert.deepEqual(
      seen.filter((e) => e.type === "m.room.topic").map((e) => e.content["topic"]),
      ["topic 120", "topic 80", "topic 40"],
    );
    assert.ok(seen.some((e) => e.type === "m.room.member" && e.state_key?.startsWith("@carol:") && e.content["membership"] === "leave"));
    // Topological order: every event comes before (is not newer than) the one listed ahead of it.
    for (let i = 1; i < seen.length; i++) assert.ok((seen[i] as ClientEvent).origin_server_ts <= (seen[i - 1] as ClientEvent).origin_server_ts, `order at ${i}`);

    // Paging back again reads what is stored now: the same events, without asking anyone.
    const again: string[] = [];
    from = undefined;
    for (let page = 0; page < 40; page++) {
      const answer: { body: Page } = await bob.get<Page>(`${V3}/rooms/${room}/messages?dir=b&limit=100${from === undefined ? "" : `&from=${encodeURIComponent(from)}`}`);
      again.push(...answer.body.chunk.map((e) => e.event_id));
      if (answer.body.end === undefined) break;
      from = answer.body.end;
    }
    assert.deepEqual(again, ids, "idempotent");

    // Forwards from the start: the same history in the other direction.
    const forwards = await bob.get<Page>(`${V3}/rooms/${room}/messages?dir=f&limit=1000`);
    assert.deepEqual(forwards.body.chunk.map((e) => e.event_id), [...ids].reverse());

    const sync = await bob.get<SyncBody>(`${V3}/sync?timeout=0&since=${since}`);
    const news = sync.body.rooms?.join?.[roomId]?.timeline.events ?? [];
    assert.deepEqual(news.map((e) => [e.type, e.state_key, e.content["body"] ?? e.content["membership"]]), [], "backfilled events are not news for /sync");
    const name = await bob.get(`${V3}/rooms/${room}/state/m.room.name/`);
    assert.equal(name.body["name"], "History, renamed", "the current state is unchanged");
    const topic = await bob.get(`${V3}/rooms/${room}/state/m.room.topic/`);
    assert.equal(topic.body["topic"], "topic 120");

    // Backfilled messages are in two's search index.
    const found = await bob.post<{ search_categories: { room_events: { results: { result: ClientEvent }[] } } }>(`${V3}/search`, { search_categories: { room_events: { search_term: "message 42", filter: { rooms: [roomId] } } } });
    assert.equal(found.status, 200, JSON.stringify(found.body));
    assert.ok(
      found.body.search_categories.room_events.results.some((r) => r.result.content["body"] === "message 42"),
      "a backfilled message is found by search",
    );
  });

  it("serves /backfill newest first from the given events, and state, auth chains and timestamps at past events", async () => {
    const m100 = sent.get("message 100")?.eventId as string;
    const m99 = sent.get("message 99")?.eventId as string;
    const backfill = await signedRequest(two, one, "GET", `${FED}/backfill/${room}?v=${encodeURIComponent(m100)}&limit=5`);
    assert.equal(backfill.status, 200, JSON.stringify(backfill.body));
    assert.equal(backfill.body["origin"], one.serverName);
    const pdus = backfill.body["pdus"] as Json[];
    assert.equal(pdus.length, 5);
    assert.deepEqual(pdus.slice(0, 2).map((p) => (p["content"] as Json)["body"]), ["message 100", "message 99"]);

    const big = await signedRequest(two, one, "GET", `${FED}/backfill/${room}?v=${encodeURIComponent(m100)}&limit=100000`);
    assert.equal((big.body["pdus"] as Json[]).length, 100, "the limit is capped");

    const ids = await signedRequest(two, one, "GET", `${FED}/state_ids/${room}?event_id=${encodeURIComponent(m99)}`);
    assert.equal(ids.status, 200, JSON.stringify(ids.body));
    const pduIds = ids.body["pdu_ids"] as string[];
    assert.ok(pduIds.includes(createId));
    assert.ok((ids.body["auth_chain_ids"] as string[]).includes(createId));
    const state = await signedRequest(two, one, "GET", `${FED}/state/${room}?event_id=${encodeURIComponent(m99)}`);
    assert.equal(state.status, 200);
    const statePdus = state.body["pdus"] as Json[];
    assert.equal(statePdus.length, pduIds.length);
    const name = statePdus.find((p) => p["type"] === "m.room.name");
    assert.equal((name?.["content"] as Json)["name"], "History", "the state at message 99 has the name before the rename");
    assert.ok((state.body["auth_chain"] as Json[]).some((p) => p["type"] === "m.room.create"));

    // The state *before* a state event: the rename is not in the state at itself.
    const renameId = await renameEventId();
    const atRename = await signedRequest(two, one, "GET", `${FED}/state/${room}?event_id=${encodeURIComponent(renameId)}`);
    assert.equal(((atRename.body["pdus"] as Json[]).find((p) => p["type"] === "m.room.name")?.["content"] as Json)["name"], "History");

    const auth = await signedRequest(two, one, "GET", `${FED}/event_auth/${room}/${encodeURIComponent(m99)}`);
    assert.equal(auth.status, 200);
    const chainTypes = (auth.body["auth_chain"] as Json[]).map((p) => p["type"]);
    assert.ok(chainTypes.includes("m.room.create") && chainTypes.includes("m.room.power_levels") && chainTypes.includes("m.room.member"));

    const ts = await signedRequest(two, one, "GET", `${FED}/timestamp_to_event/${room}?ts=0&dir=f`);
    assert.equal(ts.status, 200);
    assert.equal(ts.body["event_id"], createId);
    const latest = await signedRequest(two, one, "GET", `${FED}/timestamp_to_event/${room}?ts=${Date.now() + 60_000}&dir=b`);
    assert.equal(latest.status, 200);
    assert.equal(typeof latest.body["origin_server_ts"], "number");
    const none = await signedRequest(two, one, "GET", `${FED}/timestamp_to_event/${room}?ts=${Date.now() + 60_000}&dir=f`);
    assert.equal(none.status, 404);
    assert.equal(none.body["errcode"], "M_NOT_FOUND");

    async function renameEventId(): Promise<string> {
      const messages = await alice.get<Page>(`${V3}/rooms/${room}/messages?dir=b&limit=200&filter=${encodeURIComponent(JSON.stringify({ types: ["m.room.name"] }))}`);
      return (messages.body.chunk.find((e) => e.content["name"] === "History, renamed") as ClientEvent).event_id;
    }
  });

  it("sends redacted what a server may not see: under `joined`, events from before its users joined", async () => {
    const created = await alice.post(`${V3}/createRoom`, {
      preset: "public_chat",
      initial_state: [{ type: "m.room.history_visibility", state_key: "", content: { history_visibility: "joined" } }],
    });
    const privateRoom = encodeURIComponent(created.body["room_id"] as string);
    const before = (await alice.put(`${V3}/rooms/${privateRoom}/send/m.room.message/s1`, { msgtype: "m.text", body: "before bob" })).body["event_id"] as string;
    assert.equal((await bob.post(`${V3}/join/${privateRoom}?server_name=${encodeURIComponent(one.serverName)}`, {})).status, 200);
    const afterJoin = (await alice.put(`${V3}/rooms/${privateRoom}/send/m.room.message/s2`, { msgtype: "m.text", body: "after bob" })).body["event_id"] as string;

    const answer = await signedRequest(two, one, "GET", `${FED}/backfill/${privateRoom}?v=${encodeURIComponent(afterJoin)}&v=${encodeURIComponent(before)}&limit=2`);
    assert.equal(answer.status, 200);
    const byBody = (answer.body["pdus"] as Json[]).map((p) => (p["content"] as Json)["body"]);
    assert.deepEqual(byBody, ["after bob", undefined], "the message from before bob joined comes redacted");
    const state = await signedRequest(two, one, "GET", `${FED}/state_ids/${privateRoom}?event_id=${encodeURIComponent(before)}`);
    assert.equal(state.status, 403, "nor may two read the state at it");
  });

  it("jump to date on two asks one for events from before two joined, and fetches them", async () => {
    const created = await alice.post(`${V3}/createRoom`, { preset: "public_chat" });
    const jumpRoom = encodeURIComponent(created.body["room_id"] as string);
    const events: { id: string; ts: number }[] = [];
    for (let i = 1; i <= 5; i++) {
      const id = (await alice.put(`${V3}/rooms/${jumpRoom}/send/m.room.message/j${i}`, { msgtype: "m.text", body: `jump ${i}` })).body["event_id"] as string;
      const ts = (await alice.get(`${V3}/rooms/${jumpRoom}/event/${encodeURIComponent(id)}`)).body["origin_server_ts"] as number;
      events.push({ id, ts });
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.equal((await bob.post(`${V3}/join/${jumpRoom}?server_name=${encodeURIComponent(one.serverName)}`, {})).status, 200);
    const [, second, third] = events as [{ id: string; ts: number }, { id: string; ts: number }, { id: string; ts: number }];

    // Two holds nothing that old but its join: looking forwards from message 2's time, one knows better.
    const forwards = await bob.get(`/_matrix/client/v1/rooms/${jumpRoom}/timestamp_to_event?ts=${second.ts}&dir=f`);
    assert.equal(forwards.status, 200, JSON.stringify(forwards.body));
    assert.deepEqual(forwards.body, { event_id: second.id, origin_server_ts: second.ts });
    const fetched = await bob.get(`${V3}/rooms/${jumpRoom}/event/${encodeURIComponent(second.id)}`);
    assert.equal(fetched.status, 200, "the event is stored on two");
    assert.equal((fetched.body["content"] as Json)["body"], "jump 2");

    // Backwards from message 3's time, two now holds message 2, with a gap after it: one is asked again.
    const backwards = await bob.get(`/_matrix/client/v1/rooms/${jumpRoom}/timestamp_to_event?ts=${third.ts}&dir=b`);
    assert.deepEqual(backwards.body, { event_id: third.id, origin_server_ts: third.ts });

    // And pagination fills in the rest around them, in order.
    const page = await bob.get<Page>(`${V3}/rooms/${jumpRoom}/messages?dir=b&limit=100`);
    const bodiesSeen = page.body.chunk.filter((e) => e.type === "m.room.message").map((e) => e.content["body"]);
    assert.deepEqual(bodiesSeen, ["jump 5", "jump 4", "jump 3", "jump 2", "jump 1"]);
  });

  it("refuses servers with no member in the room (403) and unknown events (404)", async () => {
    const m1 = sent.get("message 1")?.eventId as string;
    const paths = [
      `${FED}/backfill/${room}?v=${encodeURIComponent(m1)}&limit=10`,
      `${FED}/state/${room}?event_id=${encodeURIComponent(m1)}`,
      `${FED}/state_ids/${room}?event_id=${encodeURIComponent(m1)}`,
      `${FED}/event_auth/${room}/${encodeURIComponent(m1)}`,
      `${FED}/timestamp_to_event/${room}?ts=0&dir=f`,
    ];
    for (const path of paths) {
      const refused = await signedRequest(outsider, one, "GET", path);
      assert.equal(refused.status, 403, path);
      assert.equal(refused.body["errcode"], "M_FORBIDDEN", path);
    }
    const unknown = encodeURIComponent("$unknownunknownunknownunknownunknownunknown00");
    for (const path of [`${FED}/state/${room}?event_id=${unknown}`, `${FED}/state_ids/${room}?event_id=${unknown}`, `${FED}/event_auth/${room}/${unknown}`]) {
      const missing = await signedRequest(two, one, "GET", path);
      assert.equal(missing.status, 404, path);
      assert.equal(missing.body["errcode"], "M_NOT_FOUND", path);
    }
    const noRoom = await signedRequest(two, one, "GET", `${FED}/state_ids/${encodeURIComponent("!nowhere:example.org")}?event_id=${encodeURIComponent(m1)}`);
    assert.equal(noRoom.status, 404);
    const noV = await signedRequest(two, one, "GET", `${FED}/backfill/${room}?limit=10`);
    assert.equal(noV.status, 400);
  });
});
