/**
 * Partial-state joins (send_join with `omit_members`, MSC3706/MSC3902), both ends: the resident server
 * answers without member events (but with the heroes of an unnamed room, and the servers in the
 * room); the joining server lets its user send at once, accepts other members' events (fetching
 * their member events), and completes the room's state in the background, after which it knows every
 * member and the state at events sent meanwhile is whole.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ApiClient, registeredClients } from "../harness/client.js";
import { FAST_RETRIES, startFederatedServer, type FederatedServer } from "../harness/federation.js";
import { bodies, signedRequest, syncPosition, syncUntil, type Json } from "../harness/federated-rooms.js";
import { computeEventId } from "../../src/protocol/event-id.js";
import { hashAndSignEvent } from "../../src/protocol/event-signing.js";
import { getRoomVersion } from "../../src/protocol/room-versions.js";

const V3 = "/_matrix/client/v3";
const MEMBERS = 12;

describe("federation: joins with partial state", () => {
  let one: FederatedServer;
  let two: FederatedServer;
  let alice: ApiClient;
  let bob: ApiClient;
  let members: ApiClient[];
  let aliceId: string;
  let bobId: string;

  before(async () => {
    [one, two] = await Promise.all([startFederatedServer({ config: FAST_RETRIES }), startFederatedServer({ config: FAST_RETRIES })]);
    [alice, ...members] = await registeredClients(one.url, "alice", ...Array.from({ length: MEMBERS }, (_, i) => `member${i}`));
    [bob] = await registeredClients(two.url, "bob");
    aliceId = `@alice:${one.serverName}`;
    bobId = `@bob:${two.serverName}`;
  });
  after(async () => {
    await Promise.all([one?.destroy(), two?.destroy()]);
  });

  async function roomWithMembers(options: Json): Promise<string> {
    const created = await alice.post(`${V3}/createRoom`, { preset: "public_chat", ...options });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const roomId = created.body["room_id"] as string;
    for (const member of members) assert.equal((await member.post(`${V3}/join/${encodeURIComponent(roomId)}`, {})).status, 200);
    return roomId;
  }

  it("answers send_join with omit_members without member events, naming the heroes of an unnamed room and the servers in it", async () => {
    const roomId = await roomWithMembers({});
    const version = getRoomVersion("12");
    const made = await signedRequest(two, one, "GET", `/_matrix/federation/v1/make_join/${encodeURIComponent(roomId)}/${encodeURIComponent(bobId)}?ver=12`);
    assert.equal(made.status, 200, JSON.stringify(made.body));
    const template = made.body["event"] as Json;
    const signed = hashAndSignEvent({ ...template, origin_server_ts: Date.now() } as never, version, two.serverName, two.server.context.secrets.signingKey);
    const eventId = computeEventId(signed, version);
    const answer = await signedRequest(two, one, "PUT", `/_matrix/federation/v2/send_join/${encodeURIComponent(roomId)}/${encodeURIComponent(eventId)}?omit_members=true`, signed as never);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body["members_omitted"], true);
    assert.deepEqual(answer.body["servers_in_room"], [one.serverName]);
    const state = answer.body["state"] as Json[];
    const memberKeys = state.filter((e) => e["type"] === "m.room.member").map((e) => e["state_key"] as string);
    // No name and no canonical alias: the first five joined members by user ID come along.
    const everyone = [aliceId, ...Array.from({ length: MEMBERS }, (_, i) => `@member${i}:${one.serverName}`)].sort();
    assert.deepEqual(memberKeys.sort(), everyone.slice(0, 5));
    assert.ok(state.some((e) => e["type"] === "m.room.power_levels"));
    assert.ok(state.length < MEMBERS, "far fewer events than the full state");
    // The auth chain still holds what the state's events need (alice's membership authorises the power levels).
    const chain = answer.body["auth_chain"] as Json[];
    assert.ok([...state, ...chain].some((e) => e["type"] === "m.room.member" && e["state_key"] === aliceId));
  });

  it("joins a named room with partial state: bob sends at once, others' messages arrive, and every member is known once complete", async () => {
    const roomId = await roomWithMembers({ name: "a busy room" });
    const completer = two.server.context.services.federationRooms.partialState;
    const completedBefore = completer.stats.completed;
    const aliceSince = await syncPosition(alice);

    const joined = await bob.post(`${V3}/join/${encodeURIComponent(roomId)}?server_name=${encodeURIComponent(one.serverName)}`, {});
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    const bobSince = await syncPosition(bob);
    const sent = await bob.put(`${V3}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/early`, { msgtype: "m.text", body: "sent right after joining" });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    assert.equal((await members[3]!.put(`${V3}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/m3`, { msgtype: "m.text", body: "from member3" })).status, 200);
    await syncUntil(alice, roomId, (v) => bodies(v).includes("sent right after joining"), aliceSince);
    await syncUntil(bob, roomId, (v) => bodies(v).includes("from member3"), bobSince);

    // /members waits for the omitted members rather than answering a partial list.
    const memberList = await bob.get<{ chunk: Json[] }>(`${V3}/rooms/${encodeURIComponent(roomId)}/members?membership=join`);
    assert.equal(memberList.status, 200);
    assert.equal(memberList.body.chunk.length, MEMBERS + 2);
    await completer.settled(roomId);
    assert.equal(completer.stats.completed, completedBefore + 1, "the join took the partial-state path and was completed");
    const joinedMembers = await bob.get<{ joined: Json }>(`${V3}/rooms/${encodeURIComponent(roomId)}/joined_members`);
    assert.equal(Object.keys(joinedMembers.body.joined).length, MEMBERS + 2, "alice, every member and bob");
    const room = await two.server.context.stores.rooms.get(roomId);
    assert.equal(room?.partialState, false);

    // The state at bob's early message, served by two, is whole now.
    const early = sent.body["event_id"] as string;
    const stateIds = await signedRequest(one, two, "GET", `/_matrix/federation/v1/state_ids/${encodeURIComponent(roomId)}?event_id=${encodeURIComponent(early)}`);
    assert.equal(stateIds.status, 200, JSON.stringify(stateIds.body));
    const two_state = await two.server.context.stores.events.getByIds(stateIds.body["pdu_ids"] as string[]);
    const memberCount = [...two_state.values()].filter((e) => e.pdu.type === "m.room.member").length;
    assert.equal(memberCount, MEMBERS + 2);

    // And the room goes on.
    const later = await syncPosition(bob);
    assert.equal((await members[7]!.put(`${V3}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/m7`, { msgtype: "m.text", body: "after completion" })).status, 200);
    await syncUntil(bob, roomId, (v) => bodies(v).includes("after completion"), later);
  });

  it("completes a room left partial by a crash when the server starts again", async () => {
    const roomId = await roomWithMembers({ name: "interrupted" });
    assert.equal((await bob.post(`${V3}/join/${encodeURIComponent(roomId)}?server_name=${encodeURIComponent(one.serverName)}`, {})).status, 200);
    await two.server.context.services.federationRooms.partialState.settled(roomId);
    // The state two had before its completion ran: the room marked partial, the omitted members gone.
    const db = two.server.context.db.kysely;
    const room = (await two.server.context.stores.rooms.get(roomId))!;
    const join = (await bob.get<Json>(`${V3}/rooms/${encodeURIComponent(roomId)}/state/m.room.member/${encodeURIComponent(bobId)}`)).status;
    assert.equal(join, 200);
    const bobJoin = await db.selectFrom("room_memberships").innerJoin("event_ids", "event_ids.event_nid", "room_memberships.event_nid").select("event_ids.event_id").where("room_nid", "=", room.roomNid).where("user_id", "=", bobId).executeTakeFirstOrThrow();
    const omitted = (await db.selectFrom("room_memberships").select(["user_id", "event_nid"]).where("room_nid", "=", room.roomNid).where("user_id", "like", "@member%").execute());
    assert.equal(omitted.length, MEMBERS);
    await db.updateTable("rooms").set({ partial_state: 1 }).where("room_nid", "=", room.roomNid).execute();
    await db.insertInto("partial_state_rooms").values({ room_nid: room.roomNid, join_event_id: bobJoin.event_id, servers: JSON.stringify([one.serverName]), joined_ts: Date.now() }).execute();
    await db.deleteFrom("current_state").where("room_nid", "=", room.roomNid).where("event_nid", "in", omitted.map((m) => m.event_nid)).execute();
    await db.deleteFrom("room_memberships").where("room_nid", "=", room.roomNid).where("user_id", "like", "@member%").execute();

    two = Object.assign(await two.restart(), { federationPort: two.federationPort });
    bob = new ApiClient(two.url, bob.accessToken);
    const completer = two.server.context.services.federationRooms.partialState;
    await completer.settled(roomId);
    assert.equal(completer.stats.completed, 1, "resumed and completed at start");
    const joinedMembers = await bob.get<{ joined: Json }>(`${V3}/rooms/${encodeURIComponent(roomId)}/joined_members`);
    assert.equal(Object.keys(joinedMembers.body.joined).length, MEMBERS + 2);
    assert.equal((await two.server.context.stores.rooms.get(roomId))?.partialState, false);
  });

  it("joins with the whole state when partial_state_joins is off", async () => {
    const three = await startFederatedServer({ config: { federation: { partial_state_joins: false } } });
    try {
      const [carol] = await registeredClients(three.url, "carol");
      const roomId = await roomWithMembers({ name: "full join" });
      const joined = await carol!.post(`${V3}/join/${encodeURIComponent(roomId)}?server_name=${encodeURIComponent(one.serverName)}`, {});
      assert.equal(joined.status, 200, JSON.stringify(joined.body));
      assert.equal(three.server.context.services.federationRooms.partialState.stats.completed, 0);
      const joinedMembers = await carol!.get<{ joined: Json }>(`${V3}/rooms/${encodeURIComponent(roomId)}/joined_members`);
      assert.equal(Object.keys(joinedMembers.body.joined).length, MEMBERS + 2);
    } finally {
      await three.destroy();
    }
  });
});
