import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { ApiClient} from "../harness/client.js";
import { registeredClients } from "../harness/client.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { DATABASE_KINDS, isPostgresAvailable, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";

const V1 = "/_matrix/client/v1";
const V3 = "/_matrix/client/v3";

type Event = { event_id: string; type: string; sender: string; content: Record<string, unknown>; unsigned?: Record<string, unknown> };
type Page = { chunk: Event[]; next_batch?: string; prev_batch?: string; recursion_depth?: number };
type Relations = {
  "m.thread"?: { latest_event: Event; count: number; current_user_participated: boolean };
  "m.replace"?: Event;
  "m.reference"?: { chunk: { event_id: string }[] };
};
type Sync = { next_batch: string; rooms: { join: Record<string, { timeline: { events: Event[] } }> } };

const relationsOf = (event: Event | undefined): Relations | undefined => event?.unsigned?.["m.relations"] as Relations | undefined;
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const q = encodeURIComponent;

let txn = 0;

for (const database of DATABASE_KINDS) {
describe(`relations and threads over HTTP on ${database}`, { skip: database === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false }, () => {
  let hs: TestServer;
  let alice: ApiClient;
  let bob: ApiClient;
  let carol: ApiClient;

  before(async () => {
    hs = await startTestServer({ database });
    [alice, bob, carol] = await registeredClients(hs.url, "alice", "bob", "carol");
  });
  after(async () => hs.destroy());

  /** A public room alice created and bob joined. */
  async function room(): Promise<string> {
    const created = await alice.post<{ room_id: string }>(`${V3}/createRoom`, { preset: "public_chat" });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const joined = await bob.post(`${V3}/rooms/${q(created.body.room_id)}/join`, {});
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    return created.body.room_id;
  }

  async function send(client: ApiClient, roomId: string, content: Record<string, unknown>, type = "m.room.message"): Promise<string> {
    const sent = await client.put<{ event_id: string }>(`${V3}/rooms/${q(roomId)}/send/${q(type)}/t${++txn}`, content);
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    // Edits are ordered by origin_server_ts: keep each event in its own millisecond.
    await pause(3);
    return sent.body.event_id;
  }

  async function redact(client: ApiClient, roomId: string, eventId: string): Promise<void> {
    const done = await client.put(`${V3}/rooms/${q(roomId)}/redact/${q(eventId)}/r${++txn}`, {});
    assert.equal(done.status, 200, JSON.stringify(done.body));
  }

  const text = (body: string, relates?: Record<string, unknown>): Record<string, unknown> => ({ msgtype: "m.text", body, ...(relates ? { "m.relates_to": relates } : {}) });
  const edit = (target: string, body: string): Record<string, unknown> => ({
    msgtype: "m.text",
    body: `* ${body}`,
    "m.new_content": { msgtype: "m.text", body },
    "m.relates_to": { rel_type: "m.replace", event_id: target },
  });
  const thread = (root: string, body: string): Record<string, unknown> => text(body, { rel_type: "m.thread", event_id: root });
  const reaction = (target: string, key: string): Record<string, unknown> => ({ "m.relates_to": { rel_type: "m.annotation", event_id: target, key } });

  async function getEvent(client: ApiClient, roomId: string, eventId: string): Promise<Event> {
    const got = await client.get<Event>(`${V3}/rooms/${q(roomId)}/event/${q(eventId)}`);
    assert.equal(got.status, 200, JSON.stringify(got.body));
    return got.body;
  }

  async function relations(client: ApiClient, roomId: string, eventId: string, suffix = "", query = ""): Promise<Page> {
    const got = await client.get<Page>(`${V1}/rooms/${q(roomId)}/relations/${q(eventId)}${suffix}${query ? `?${query}` : ""}`);
    assert.equal(got.status, 200, JSON.stringify(got.body));
    return got.body;
  }

  async function threads(client: ApiClient, roomId: string, query = ""): Promise<Page> {
    const got = await client.get<Page>(`${V1}/rooms/${q(roomId)}/threads${query ? `?${query}` : ""}`);
    assert.equal(got.status, 200, JSON.stringify(got.body));
    return got.body;
  }

  it("bundles the most recent valid edit and ignores invalid ones", async () => {
    const roomId = await room();
    const original = await send(alice, roomId, text("I really like cake"));
    const edit1 = await send(alice, roomId, edit(original, "I really like chocolate cake"));
    const edit2 = await send(alice, roomId, edit(original, "I really like cheese cake"));
    // Newer, but invalid: another sender, another type, no m.new_content, a state event.
    await send(bob, roomId, edit(original, "bob was here"));
    await send(alice, roomId, edit(original, "a sticker now"), "m.sticker");
    await send(alice, roomId, { msgtype: "m.text", body: "* nothing new", "m.relates_to": { rel_type: "m.replace", event_id: original } });
    const stateEdit = await alice.put(`${V3}/rooms/${q(roomId)}/state/m.room.message/x`, edit(original, "from a state event"));
    assert.equal(stateEdit.status, 200);
    // An edit of an edit does not count for either.
    await send(alice, roomId, edit(edit2, "edit of an edit"));

    const event = await getEvent(alice, roomId, original);
    const replace = relationsOf(event)?.["m.replace"];
    assert.equal(replace?.event_id, edit2, "the latest valid edit is bundled");
    assert.equal(replace?.sender, "@alice:localhost");
    assert.deepEqual(replace?.content["m.new_content"], { msgtype: "m.text", body: "I really like cheese cake" });
    assert.equal(event.content["body"], "I really like cake", "the original content is left intact");
    assert.equal(relationsOf(await getEvent(alice, roomId, edit2)), undefined, "edits get no aggregations of their own");

    // /messages and /context bundle too; bob sees the same edit.
    const messages = await bob.get<{ chunk: Event[] }>(`${V3}/rooms/${q(roomId)}/messages?dir=b&limit=50`);
    assert.equal(relationsOf(messages.body.chunk.find((e) => e.event_id === original))?.["m.replace"]?.event_id, edit2);
    const context = await bob.get<{ event: Event }>(`${V3}/rooms/${q(roomId)}/context/${q(original)}?limit=2`);
    assert.equal(relationsOf(context.body.event)?.["m.replace"]?.event_id, edit2);

    // /relations lists every m.replace child, valid or not (the spec filters aggregations only).
    const listed = await relations(alice, roomId, original, "/m.replace");
    assert.equal(listed.chunk.length, 5);
    assert.ok(listed.chunk.every((e) => (e.content["m.relates_to"] as { rel_type: string }).rel_type === "m.replace"));

    // Redacting the latest edit falls back to the one before it.
    await redact(alice, roomId, edit2);
    assert.equal(relationsOf(await getEvent(alice, roomId, original))?.["m.replace"]?.event_id, edit1);
    await redact(alice, roomId, edit1);
    assert.equal(relationsOf(await getEvent(alice, roomId, original))?.["m.replace"], undefined);

    // A redacted original bundles no edit, and /relations no longer lists its edits.
    const edit3 = await send(alice, roomId, edit(original, "again"));
    assert.equal(relationsOf(await getEvent(alice, roomId, original))?.["m.replace"]?.event_id, edit3);
    await redact(alice, roomId, original);
    const redacted = await getEvent(alice, roomId, original);
    assert.deepEqual(redacted.content, {});
    assert.equal(relationsOf(redacted)?.["m.replace"], undefined);
    assert.deepEqual((await relations(alice, roomId, original, "/m.replace")).chunk, []);
  });

  it("lists reactions by relation and event type, page by page in both directions", async () => {
    const roomId = await room();
    const target = await send(alice, roomId, text("react to me"));
    const keys = ["👍", "👎", "🎉", "❤️", "🚀"];
    const ids: string[] = [];
    for (const [i, key] of keys.entries()) ids.push(await send(i % 2 === 0 ? alice : bob, roomId, reaction(target, key), "m.reaction"));
    const custom = await send(bob, roomId, reaction(target, "custom"), "org.example.annotation");
    const reply = await send(bob, roomId, text("a reply is not a relation", { "m.in_reply_to": { event_id: target } }));

    const all = await relations(alice, roomId, target, "", "limit=50");
    assert.deepEqual(all.chunk.map((e) => e.event_id), [...ids, custom].reverse(), "newest first, replies left out");
    assert.equal(all.next_batch, undefined);
    assert.equal(all.prev_batch, undefined);
    assert.equal(all.recursion_depth, undefined, "absent when recurse was not sent");
    assert.ok(!all.chunk.some((e) => e.event_id === reply));

    const annotations = await relations(alice, roomId, target, "/m.annotation", "limit=50");
    assert.equal(annotations.chunk.length, 6);
    const reactions = await relations(alice, roomId, target, "/m.annotation/m.reaction", "limit=50");
    assert.deepEqual(reactions.chunk.map((e) => e.event_id), [...ids].reverse());
    assert.deepEqual((await relations(alice, roomId, target, "/m.thread")).chunk, []);

    // Backwards, two at a time.
    const seen: string[] = [];
    const tokens: string[] = [];
    let from: string | undefined;
    do {
      const page = await relations(bob, roomId, target, "/m.annotation/m.reaction", `limit=2${from ? `&from=${q(from)}` : ""}`);
      assert.ok(page.chunk.length <= 2);
      if (from) assert.equal(page.prev_batch, from);
      seen.push(...page.chunk.map((e) => e.event_id));
      from = page.next_batch;
      if (from) tokens.push(from);
    } while (from);
    assert.deepEqual(seen, [...ids].reverse());
    assert.equal(tokens.length, 2, "5 reactions make 3 pages");

    // `from` page 1's token `to` page 2's token covers page 2 again; the reverse order is empty.
    const again = await relations(bob, roomId, target, "/m.annotation/m.reaction", `from=${q(tokens[0]!)}&to=${q(tokens[1]!)}`);
    assert.deepEqual(again.chunk.map((e) => e.event_id), [ids[2], ids[1]]);
    const empty = await relations(bob, roomId, target, "/m.annotation/m.reaction", `from=${q(tokens[1]!)}&to=${q(tokens[0]!)}`);
    assert.deepEqual(empty.chunk, []);

    // Forwards: oldest first.
    const forward = await relations(bob, roomId, target, "/m.annotation/m.reaction", "dir=f&limit=3");
    assert.deepEqual(forward.chunk.map((e) => e.event_id), ids.slice(0, 3));
    const rest = await relations(bob, roomId, target, "/m.annotation/m.reaction", `dir=f&limit=3&from=${q(forward.next_batch!)}`);
    assert.deepEqual(rest.chunk.map((e) => e.event_id), ids.slice(3));
    assert.equal(rest.next_batch, undefined);

    // A sync token works as `from`: everything up to it.
    const sync = await alice.get<Sync>(`${V3}/sync?filter=${q(JSON.stringify({ room: { timeline: { limit: 1 } } }))}`);
    const later = await send(alice, roomId, reaction(target, "later"), "m.reaction");
    const upToSync = await relations(alice, roomId, target, "/m.annotation", `limit=50&from=${q(sync.body.next_batch)}`);
    assert.ok(!upToSync.chunk.some((e) => e.event_id === later));
    assert.equal(upToSync.chunk.length, 6);

    // Annotations are not aggregated; a reply does not relate through rel_type.
    assert.equal(relationsOf(await getEvent(alice, roomId, target)), undefined);
    const replyEvent = await getEvent(alice, roomId, reply);
    assert.deepEqual(replyEvent.content["m.relates_to"], { "m.in_reply_to": { event_id: target } });

    // Redacting a reaction removes it from the list.
    await redact(bob, roomId, ids[1]!);
    const afterRedaction = await relations(alice, roomId, target, "/m.annotation/m.reaction", "limit=50");
    assert.deepEqual(afterRedaction.chunk.map((e) => e.event_id), [later, ids[4], ids[3], ids[2], ids[0]]);
  });

  it("follows relations of relations with recurse", async () => {
    const roomId = await room();
    const root = await send(alice, roomId, text("root"));
    const inThread = await send(bob, roomId, thread(root, "in the thread"));
    const onReply = await send(alice, roomId, reaction(inThread, "👀"), "m.reaction");
    const editOfReply = await send(bob, roomId, edit(inThread, "in the thread, edited"));
    const reactionOnEdit = await send(alice, roomId, reaction(editOfReply, "x"), "m.reaction");

    const direct = await relations(alice, roomId, root, "", "recurse=false");
    assert.deepEqual(direct.chunk.map((e) => e.event_id), [inThread]);
    assert.equal(direct.recursion_depth, 1);
    const deep = await relations(alice, roomId, root, "", "recurse=true&limit=10");
    assert.deepEqual(deep.chunk.map((e) => e.event_id), [reactionOnEdit, editOfReply, onReply, inThread]);
    assert.equal(deep.recursion_depth, 3);
    const reactionsOnly = await relations(alice, roomId, root, "/m.annotation/m.reaction", "recurse=true");
    assert.deepEqual(reactionsOnly.chunk.map((e) => e.event_id), [reactionOnEdit, onReply]);
    // The thread event in the chunk carries its own bundled edit.
    assert.equal(relationsOf(deep.chunk.find((e) => e.event_id === inThread))?.["m.replace"]?.event_id, editOfReply);
  });

  it("lists threads, filters the ones a user took part in, and bundles summaries", async () => {
    const roomId = await room();
    const rootA = await send(alice, roomId, text("thread A"));
    const a1 = await send(bob, roomId, thread(rootA, "A1"));
    const rootB = await send(bob, roomId, text("thread B"));
    const b1 = await send(bob, roomId, thread(rootB, "B1"));
    const rootC = await send(bob, roomId, text("thread C"));
    const c1 = await send(bob, roomId, thread(rootC, "C1"));
    // Reacting to a threaded message is not taking part in the thread (spec: sender of m.thread events).
    await send(alice, roomId, reaction(c1, "👍"), "m.reaction");
    await send(alice, roomId, text("not in a thread"));

    assert.deepEqual((await threads(alice, roomId)).chunk.map((e) => e.event_id), [rootC, rootB, rootA]);
    const a2 = await send(alice, roomId, {
      ...thread(rootA, "A2"),
      "m.relates_to": { rel_type: "m.thread", event_id: rootA, is_falling_back: true, "m.in_reply_to": { event_id: a1 } },
    });
    const listed = await threads(alice, roomId);
    assert.deepEqual(listed.chunk.map((e) => e.event_id), [rootA, rootC, rootB], "ordered by latest event");
    const summaryA = relationsOf(listed.chunk[0])?.["m.thread"];
    assert.equal(summaryA?.count, 2);
    assert.equal(summaryA?.latest_event.event_id, a2);
    assert.equal(summaryA?.current_user_participated, true);
    assert.equal(relationsOf(listed.chunk[1])?.["m.thread"]?.current_user_participated, false, "alice only reacted in C");

    assert.deepEqual((await threads(alice, roomId, "include=participated")).chunk.map((e) => e.event_id), [rootA]);
    assert.deepEqual((await threads(bob, roomId, "include=participated")).chunk.map((e) => e.event_id), [rootA, rootC, rootB]);
    assert.deepEqual((await threads(bob, roomId, "include=all")).chunk.length, 3);

    // One at a time.
    const pages: string[][] = [];
    let from: string | undefined;
    do {
      const page = await threads(bob, roomId, `limit=1${from ? `&from=${q(from)}` : ""}`);
      pages.push(page.chunk.map((e) => e.event_id));
      from = page.next_batch;
    } while (from && pages.length < 10);
    assert.deepEqual(pages, [[rootA], [rootC], [rootB]]);

    // The thread's events, oldest first, through /relations.
    const inThread = await relations(bob, roomId, rootA, "/m.thread", "dir=f");
    assert.deepEqual(inThread.chunk.map((e) => e.event_id), [a1, a2]);

    // latest_event carries its own aggregations (its edit).
    const a2edit = await send(alice, roomId, { ...edit(a2, "A2 edited"), "m.relates_to": { rel_type: "m.replace", event_id: a2 } });
    const root = await getEvent(bob, roomId, rootA);
    const summary = relationsOf(root)?.["m.thread"];
    assert.equal(summary?.latest_event.event_id, a2, "an edit is not a thread event");
    assert.equal(relationsOf(summary?.latest_event)?.["m.replace"]?.event_id, a2edit);
    assert.equal(summary?.current_user_participated, true, "bob replied in A");

    // Sync and /messages bundle the summary.
    const sync = await carol.get<Sync>(`${V3}/sync`);
    assert.equal(sync.status, 200);
    await carol.post(`${V3}/rooms/${q(roomId)}/join`, {});
    const synced = await carol.get<Sync>(`${V3}/sync?filter=${q(JSON.stringify({ room: { timeline: { limit: 50 } } }))}`);
    const timeline = synced.body.rooms.join[roomId]!.timeline.events;
    const syncedA = relationsOf(timeline.find((e) => e.event_id === rootA))?.["m.thread"];
    assert.equal(syncedA?.count, 2);
    assert.equal(syncedA?.latest_event.event_id, a2);
    assert.equal(syncedA?.current_user_participated, false);
    assert.equal(relationsOf(timeline.find((e) => e.event_id === rootB))?.["m.thread"]?.latest_event.event_id, b1);
    const messages = await carol.get<{ chunk: Event[] }>(`${V3}/rooms/${q(roomId)}/messages?dir=b&limit=50`);
    assert.equal(relationsOf(messages.body.chunk.find((e) => e.event_id === rootC))?.["m.thread"]?.latest_event.event_id, c1);
    assert.equal(relationsOf(messages.body.chunk.find((e) => e.event_id === a1)), undefined, "thread events are not roots");
    assert.deepEqual((await threads(carol, roomId, "include=participated")).chunk, []);
  });

  it("drops redacted relations from threads and references", async () => {
    const roomId = await room();
    const root = await send(alice, roomId, text("root"));
    const r1 = await send(bob, roomId, thread(root, "one"));
    const r2 = await send(bob, roomId, thread(root, "two"));
    const other = await send(alice, roomId, text("other root"));
    const o1 = await send(alice, roomId, thread(other, "other one"));
    assert.deepEqual((await threads(alice, roomId)).chunk.map((e) => e.event_id), [other, root]);

    assert.deepEqual((await threads(bob, roomId, "include=participated")).chunk.map((e) => e.event_id), [root]);

    // Redacting the latest threaded event falls back to the one before it and moves the thread back.
    await redact(bob, roomId, r2);
    const summary = relationsOf(await getEvent(alice, roomId, root))?.["m.thread"];
    assert.equal(summary?.count, 1);
    assert.equal(summary?.latest_event.event_id, r1);
    assert.equal(summary?.current_user_participated, true, "alice sent the root");
    assert.deepEqual((await relations(alice, roomId, root, "/m.thread")).chunk.map((e) => e.event_id), [r1]);
    const moreOther = await send(alice, roomId, thread(other, "other two"));
    const reply3 = await send(bob, roomId, thread(root, "three"));
    assert.deepEqual((await threads(alice, roomId)).chunk.map((e) => e.event_id), [root, other]);
    await redact(bob, roomId, reply3);
    assert.deepEqual((await threads(alice, roomId)).chunk.map((e) => e.event_id), [other, root], "the thread's latest event is r1 again");

    // Without any threaded event left, the thread is gone, and so is bob's participation.
    await redact(bob, roomId, r1);
    assert.equal(relationsOf(await getEvent(alice, roomId, root)), undefined);
    assert.deepEqual((await threads(alice, roomId)).chunk.map((e) => e.event_id), [other]);
    assert.deepEqual((await threads(bob, roomId, "include=participated")).chunk, []);

    // References are bundled as a chunk of event IDs, without the redacted ones.
    const ref1 = await send(bob, roomId, { "m.relates_to": { rel_type: "m.reference", event_id: other } }, "org.example.ref");
    const ref2 = await send(alice, roomId, { "m.relates_to": { rel_type: "m.reference", event_id: other } }, "org.example.ref");
    assert.deepEqual(relationsOf(await getEvent(bob, roomId, other))?.["m.reference"], { chunk: [{ event_id: ref1 }, { event_id: ref2 }] });
    await redact(bob, roomId, ref1);
    assert.deepEqual(relationsOf(await getEvent(bob, roomId, other))?.["m.reference"], { chunk: [{ event_id: ref2 }] });

    // A redacted thread root keeps its children: the thread stays listed with its summary.
    await redact(alice, roomId, other);
    const redactedRoot = await getEvent(bob, roomId, other);
    assert.deepEqual(redactedRoot.content, {});
    assert.equal(relationsOf(redactedRoot)?.["m.thread"]?.latest_event.event_id, moreOther);
    assert.equal(relationsOf(redactedRoot)?.["m.thread"]?.count, 2);
    assert.deepEqual((await threads(bob, roomId)).chunk.map((e) => e.event_id), [other]);
    assert.ok((await relations(bob, roomId, other, "/m.thread")).chunk.some((e) => e.event_id === o1));
  });

  it("answers bad requests with spec errors", async () => {
    const roomId = await room();
    const target = await send(alice, roomId, text("target"));
    const unknownRoom = "!nowhere:localhost";
    const expect = async (path: string, status: number, errcode: string, client = alice): Promise<void> => {
      const res = await client.get(path);
      assert.equal(res.status, status, `${path}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body["errcode"], errcode, path);
    };
    await expect(`${V1}/rooms/${q(unknownRoom)}/relations/${q(target)}`, 404, "M_NOT_FOUND");
    await expect(`${V1}/rooms/${q(roomId)}/relations/${q("$unknown")}`, 404, "M_NOT_FOUND");
    await expect(`${V1}/rooms/${q(unknownRoom)}/threads`, 403, "M_FORBIDDEN");
    for (const query of ["dir=x", "dir=", "limit=-1", "limit=abc", "limit=0", "recurse=maybe", "from=garbage", "to=garbage", "limit=1&limit=2"]) {
      await expect(`${V1}/rooms/${q(roomId)}/relations/${q(target)}?${query}`, 400, "M_INVALID_PARAM");
    }
    for (const query of ["include=mine", "limit=0", "limit=x", "from=garbage", "from=s1_2_3"]) {
      await expect(`${V1}/rooms/${q(roomId)}/threads?${query}`, 400, "M_INVALID_PARAM");
    }
    // A private room carol was never in: she cannot list its threads or relations.
    const priv = await alice.post<{ room_id: string }>(`${V3}/createRoom`, { preset: "private_chat" });
    const secret = await send(alice, priv.body.room_id, text("secret"));
    await send(alice, priv.body.room_id, reaction(secret, "🤫"), "m.reaction");
    await expect(`${V1}/rooms/${q(priv.body.room_id)}/relations/${q(secret)}`, 404, "M_NOT_FOUND", carol);
    await expect(`${V1}/rooms/${q(priv.body.room_id)}/threads`, 403, "M_FORBIDDEN", carol);
    // The event exists but in another room.
    await expect(`${V1}/rooms/${q(roomId)}/relations/${q(secret)}`, 404, "M_NOT_FOUND");
    // Without a token.
    const anonymous = await alice.get(`${V1}/rooms/${q(roomId)}/relations/${q(target)}`, { token: null });
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body["errcode"], "M_MISSING_TOKEN");
  });
});
}
