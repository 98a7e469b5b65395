/**
 * Server ACLs over real federation: three servers on their own loopback addresses (ACLs ignore ports),
 * a room on `one` whose ACL comes to deny `two` after everyone joined. `two` then gets nothing more, its
 * PDUs, joins, event requests and room EDUs are refused, while `three` goes on as before.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ApiClient, registeredClients } from "../harness/client.js";
import { FAST_RETRIES, startFederatedServer, type FederatedServer } from "../harness/federation.js";
import { bodies, signedRequest, syncPosition, syncUntil, type Json } from "../harness/federated-rooms.js";

const V3 = "/_matrix/client/v3";
const q = encodeURIComponent;
const VERSIONS = Array.from({ length: 12 }, (_, k) => `ver=${k + 1}`).join("&");

type Ephemeral = { type: string; content: Record<string, unknown> & { user_ids?: string[] } };
type Sync = { next_batch: string; rooms?: { join?: Record<string, { ephemeral: { events: Ephemeral[] } }> } };

/**
 * From `since` until `done` holds: the typists /sync shows per room, and under `receipts:<roomId>` the
 * users with a read receipt there.
 */
async function typingUntil(client: ApiClient, since: string, done: (typing: Map<string, string[]>) => boolean, timeoutMs = 15_000): Promise<Map<string, string[]>> {
  const deadline = Date.now() + timeoutMs;
  const typing = new Map<string, string[]>();
  let token = since;
  for (;;) {
    const response = await client.get<Sync>(`${V3}/sync?timeout=1000&since=${token}`);
    token = response.body.next_batch;
    for (const [roomId, room] of Object.entries(response.body.rooms?.join ?? {})) {
      for (const event of room.ephemeral.events) {
        if (event.type === "m.typing") typing.set(roomId, event.content.user_ids ?? []);
        if (event.type !== "m.receipt") continue;
        const readers = Object.values(event.content as Record<string, Record<string, Record<string, unknown>>>).flatMap((byType) => Object.keys(byType["m.read"] ?? {}));
        typing.set(`receipts:${roomId}`, [...(typing.get(`receipts:${roomId}`) ?? []), ...readers]);
      }
    }
    if (done(typing)) return typing;
    if (Date.now() > deadline) assert.fail(`typing never as expected: ${JSON.stringify([...typing])}`);
  }
}

describe("federation: server ACLs", () => {
  let one: FederatedServer;
  let two: FederatedServer;
  let three: FederatedServer;
  let alice: ApiClient;
  let bob: ApiClient;
  let carol: ApiClient;
  let bobId: string;
  let roomId: string;
  let openRoomId: string;

  const join = (client: ApiClient, room: string): Promise<{ status: number; body: Json }> => client.post(`${V3}/join/${q(room)}?server_name=${q(one.serverName)}`, {});
  const say = async (client: ApiClient, room: string, body: string): Promise<string> => {
    const response = await client.put<{ event_id: string }>(`${V3}/rooms/${q(room)}/send/m.room.message/${q(body)}`, { msgtype: "m.text", body });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body.event_id;
  };

  before(async () => {
    [one, two, three] = await Promise.all([
      startFederatedServer({ config: FAST_RETRIES }),
      startFederatedServer({ config: FAST_RETRIES, host: "127.0.0.2" }),
      startFederatedServer({ config: FAST_RETRIES, host: "127.0.0.3" }),
    ]);
    [alice] = await registeredClients(one.url, "alice");
    [bob] = await registeredClients(two.url, "bob");
    [carol] = await registeredClients(three.url, "carol");
    bobId = `@bob:${two.serverName}`;
    roomId = (await alice.post(`${V3}/createRoom`, { preset: "public_chat" })).body["room_id"] as string;
    openRoomId = (await alice.post(`${V3}/createRoom`, { preset: "public_chat" })).body["room_id"] as string;
    for (const [client, room] of [[bob, roomId], [carol, roomId], [bob, openRoomId]] as const) assert.equal((await join(client, room)).status, 200);
    const acl = { allow: ["*"], deny: ["127.0.0.2"], allow_ip_literals: true };
    assert.equal((await alice.put(`${V3}/rooms/${q(roomId)}/state/m.room.server_acl/`, acl)).status, 200);
  });
  after(async () => {
    await Promise.all([one?.destroy(), two?.destroy(), three?.destroy()]);
  });

  it("still sends the room's events to a denied server that is resident (as the spec says), and goes on with the others", async () => {
    const bobSince = await syncPosition(bob);
    await say(alice, roomId, "after the acl");
    await syncUntil(carol, roomId, (view) => bodies(view).includes("after the acl"));
    await syncUntil(bob, roomId, (view) => bodies(view).includes("after the acl"), bobSince);

    // An allowed server still sends to the room.
    const aliceSince = await syncPosition(alice);
    await say(carol, roomId, "from three");
    await syncUntil(alice, roomId, (view) => bodies(view).includes("from three"), aliceSince);
  });

  it("refuses an ACL that would deny this server itself (as Synapse), with 400 and nothing sent", async () => {
    for (const acl of [
      { allow: ["*"], deny: ["127.0.0.1"], allow_ip_literals: true },
      { allow: ["*"], deny: [], allow_ip_literals: false },
      { allow: ["example.org"], deny: [] },
    ]) {
      const answer = await alice.put(`${V3}/rooms/${q(roomId)}/state/m.room.server_acl/`, acl);
      assert.equal(answer.status, 400, JSON.stringify(acl));
      assert.equal(answer.body["errcode"], "M_INVALID_PARAM");
    }
    const current = await alice.get(`${V3}/rooms/${q(roomId)}/state/m.room.server_acl/`);
    assert.deepEqual(current.body["deny"], ["127.0.0.2"], "the room's ACL is unchanged");
  });

  it("refuses the denied server's PDUs in /send, with an error for each, but answers the transaction", async () => {
    // Two's user sends anyway (the ACL binds servers, not what a server lets its users write): one refuses it.
    const eventId = await say(bob, roomId, "from the denied server");
    const fetched = await signedRequest(one, two, "GET", `/_matrix/federation/v1/event/${q(eventId)}`);
    assert.equal(fetched.status, 200);
    const pdu = (fetched.body["pdus"] as Json[])[0] as Json;
    const answer = await signedRequest(two, one, "PUT", "/_matrix/federation/v1/send/acl-pdu", { origin: two.serverName, origin_server_ts: Date.now(), pdus: [pdu] });
    assert.equal(answer.status, 200);
    const result = (answer.body["pdus"] as Record<string, Json>)[eventId];
    assert.equal(typeof result?.["error"], "string", JSON.stringify(answer.body));
    const aliceView = await syncUntil(alice, roomId, () => true);
    assert.ok(!bodies(aliceView).includes("from the denied server"));
  });

  it("answers the denied server's joins and room requests with 403 M_FORBIDDEN, and serves allowed servers", async () => {
    const daveId = `@dave:${two.serverName}`;
    const denied: [string, string, Json?][] = [
      ["GET", `/_matrix/federation/v1/make_join/${q(roomId)}/${q(daveId)}?${VERSIONS}`],
      ["PUT", `/_matrix/federation/v2/send_join/${q(roomId)}/${q("$whatever")}`, { type: "m.room.member" }],
      ["POST", `/_matrix/federation/v1/get_missing_events/${q(roomId)}`, { earliest_events: [], latest_events: [] }],
    ];
    const anEvent = (await syncUntil(alice, roomId, () => true)).timeline.at(-1)?.event_id as string;
    denied.push(["GET", `/_matrix/federation/v1/event/${q(anEvent)}`]);
    for (const [method, path, body] of denied) {
      const response = await signedRequest(two, one, method, path, body);
      assert.equal(response.status, 403, `${method} ${path}: ${JSON.stringify(response.body)}`);
      assert.equal(response.body["errcode"], "M_FORBIDDEN");
    }
    const carolProbe = `@probe:${three.serverName}`;
    assert.equal((await signedRequest(three, one, "GET", `/_matrix/federation/v1/make_join/${q(roomId)}/${q(carolProbe)}?${VERSIONS}`)).status, 200);
    assert.equal((await signedRequest(three, one, "GET", `/_matrix/federation/v1/event/${q(anEvent)}`)).status, 200);
    // The denied server is still served in rooms whose ACL allows it.
    assert.equal((await signedRequest(two, one, "GET", `/_matrix/federation/v1/make_join/${q(openRoomId)}/${q(daveId)}?${VERSIONS}`)).status, 200);
  });

  it("drops typing and receipt EDUs of the denied server for the room, not for other rooms", async () => {
    const inRoom = await say(alice, roomId, "read me, denied");
    const inOpenRoom = await say(alice, openRoomId, "read me, allowed");
    const aliceSince = await syncPosition(alice);
    const read = (eventId: string): Json => ({ [bobId]: { event_ids: [eventId], data: { ts: Date.now() } } });
    const edus = [
      { edu_type: "m.typing", content: { room_id: roomId, user_id: bobId, typing: true } },
      { edu_type: "m.receipt", content: { [roomId]: { "m.read": read(inRoom) }, [openRoomId]: { "m.read": read(inOpenRoom) } } },
      { edu_type: "m.typing", content: { room_id: openRoomId, user_id: bobId, typing: true } },
    ];
    const answer = await signedRequest(two, one, "PUT", "/_matrix/federation/v1/send/acl-edus", { origin: two.serverName, origin_server_ts: Date.now(), pdus: [], edus });
    assert.equal(answer.status, 200);
    const typing = await typingUntil(alice, aliceSince, (t) => (t.get(openRoomId) ?? []).includes(bobId) && (t.get(`receipts:${openRoomId}`) ?? []).includes(bobId));
    assert.ok(!(typing.get(roomId) ?? []).includes(bobId), "typing in the room that denies the server was shown");
    assert.ok(!(typing.get(`receipts:${roomId}`) ?? []).includes(bobId), "a receipt in the room that denies the server was stored");

    // Our typing in the room goes to three, not to two.
    const bobSince = await syncPosition(bob);
    const carolSince = await syncPosition(carol);
    const aliceId = `@alice:${one.serverName}`;
    assert.equal((await alice.put(`${V3}/rooms/${q(roomId)}/typing/${q(aliceId)}`, { typing: true, timeout: 30_000 })).status, 200);
    assert.equal((await alice.put(`${V3}/rooms/${q(openRoomId)}/typing/${q(aliceId)}`, { typing: true, timeout: 30_000 })).status, 200);
    await typingUntil(carol, carolSince, (t) => (t.get(roomId) ?? []).includes(aliceId));
    const bobTyping = await typingUntil(bob, bobSince, (t) => (t.get(openRoomId) ?? []).includes(aliceId));
    assert.ok(!(bobTyping.get(roomId) ?? []).includes(aliceId), "our typing went to the denied server");
  });
});
