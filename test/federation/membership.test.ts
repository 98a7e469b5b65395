import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { registeredClients, type ApiClient } from "../harness/client.js";
import { FAST_RETRIES, startFederatedServer, startTwoServers, type FederatedServer } from "../harness/federation.js";
import { bodies, signedRequest, syncPosition, syncUntil, type Json, type SyncEvent } from "../harness/federated-rooms.js";
import { computeEventId } from "../../src/protocol/event-id.js";
import { hashAndSignEvent } from "../../src/protocol/event-signing.js";
import { getRoomVersion } from "../../src/protocol/room-versions.js";
import { generateSigningKey } from "../../src/protocol/signing-key.js";

const V3 = "/_matrix/client/v3";
/** The password the harness registers users with. */
const PASSWORD = "correct horse battery";

type Rooms = { invite?: Record<string, { invite_state: { events: SyncEvent[] } }>; knock?: Record<string, { knock_state: { events: SyncEvent[] } }>; leave?: Record<string, { timeline: { events: SyncEvent[] } }>; join?: Record<string, unknown> };
type SyncBody = { next_batch: string; rooms?: Rooms };

const membershipOf = (userId: string, membership: string) => (e: SyncEvent) => e.type === "m.room.member" && e.state_key === userId && e.content["membership"] === membership;
const room = (roomId: string) => encodeURIComponent(roomId);

/** Syncs (incrementally from `since`, or from the start) until `done` holds for a response's rooms. */
async function syncRoomsUntil(client: ApiClient, done: (rooms: Rooms) => boolean, since?: string, what = "a sync"): Promise<{ rooms: Rooms; since: string }> {
  const deadline = Date.now() + 20_000;
  let token = since;
  for (;;) {
    const response = await client.get<SyncBody>(`${V3}/sync${token ? `?timeout=1000&since=${token}` : "?timeout=0"}`);
    assert.equal(response.status, 200);
    const rooms = response.body.rooms ?? {};
    token = response.body.next_batch;
    if (done(rooms)) return { rooms, since: token };
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}: last rooms ${JSON.stringify(rooms)}`);
  }
}

describe("federation: invites, leaves and knocks between servers", () => {
  let one: FederatedServer;
  let two: FederatedServer;
  let alice: ApiClient;
  let bob: ApiClient;
  let aliceId: string;
  let bobId: string;
  let roomId: string;

  before(async () => {
    ({ one, two, alice, bob, aliceId, bobId } = await startTwoServers(FAST_RETRIES));
  });
  after(async () => {
    await Promise.all([one?.destroy(), two?.destroy()]);
  });

  async function createRoom(name: string, extra: Json = {}): Promise<string> {
    const created = await alice.post(`${V3}/createRoom`, { preset: "private_chat", name, ...extra });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    return created.body["room_id"] as string;
  }

  it("shows a remote invite in the invitee's sync with the room's name; joining through the inviter's server lets messages flow", async () => {
    roomId = await createRoom("Invited across");
    const bobSince = await syncPosition(bob);
    const invited = await alice.post(`${V3}/rooms/${room(roomId)}/invite`, { user_id: bobId });
    assert.equal(invited.status, 200, JSON.stringify(invited.body));

    const seen = await syncRoomsUntil(bob, (r) => r.invite?.[roomId] !== undefined, bobSince, "bob's invite");
    const inviteState = seen.rooms.invite![roomId]!.invite_state.events;
    assert.ok(inviteState.some((e) => e.type === "m.room.name" && e.content["name"] === "Invited across"), "the room's name is in invite_state");
    assert.ok(inviteState.some((e) => e.type === "m.room.create"), "the create event is in invite_state");
    assert.ok(inviteState.some(membershipOf(bobId, "invite")), "the invite itself is in invite_state");
    // An initial sync shows it too (not only the incremental one that saw it arrive).
    const initial = await bob.get<SyncBody>(`${V3}/sync?timeout=0`);
    assert.ok(initial.body.rooms?.invite?.[roomId]);

    // No server named: the invite says where the room is.
    const joined = await bob.post(`${V3}/rooms/${room(roomId)}/join`, {});
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    const afterJoin = await bob.get<SyncBody>(`${V3}/sync?timeout=0`);
    assert.ok(afterJoin.body.rooms?.join?.[roomId], "the room is joined");
    assert.equal(afterJoin.body.rooms?.invite?.[roomId], undefined, "the invite is gone");

    const bobAt = await syncPosition(bob);
    assert.equal((await alice.put(`${V3}/rooms/${room(roomId)}/send/m.room.message/m1`, { msgtype: "m.text", body: "welcome bob" })).status, 200);
    await syncUntil(bob, roomId, (v) => bodies(v).includes("welcome bob"), bobAt);
    const aliceAt = await syncPosition(alice);
    assert.equal((await bob.put(`${V3}/rooms/${room(roomId)}/send/m.room.message/m2`, { msgtype: "m.text", body: "thanks alice" })).status, 200);
    await syncUntil(alice, roomId, (v) => bodies(v).includes("thanks alice"), aliceAt);
  });

  it("an invite to a room this server is in arrives as a room event too and shows once", async () => {
    const [dave] = await registeredClients(two.url, "dave");
    const daveId = `@dave:${two.serverName}`;
    const daveSince = await syncPosition(dave);
    assert.equal((await alice.post(`${V3}/rooms/${room(roomId)}/invite`, { user_id: daveId })).status, 200);
    await syncRoomsUntil(dave, (r) => r.invite?.[roomId] !== undefined, daveSince, "dave's invite");
    // The room's own state on two holds the invite (it came through /send), not a record beside it.
    const bobState = (await bob.get<SyncEvent[]>(`${V3}/rooms/${room(roomId)}/state`)).body;
    const deadline = Date.now() + 10_000;
    let state = bobState;
    while (!state.some(membershipOf(daveId, "invite")) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      state = (await bob.get<SyncEvent[]>(`${V3}/rooms/${room(roomId)}/state`)).body;
    }
    assert.ok(state.some(membershipOf(daveId, "invite")), "bob's server has the invite in the room's state");
    const outOfBand = await two.server.context.db.kysely.selectFrom("out_of_band_memberships").selectAll().where("user_id", "=", daveId).execute();
    assert.equal(outOfBand.length, 0, "no out-of-band copy");
    const initial = await dave.get<SyncBody>(`${V3}/sync?timeout=0`);
    const invites = initial.body.rooms?.invite?.[roomId]?.invite_state.events ?? [];
    assert.equal(invites.filter(membershipOf(daveId, "invite")).length, 1, "the invite event once");
    const aliceSince = await syncPosition(alice);
    assert.equal((await dave.post(`${V3}/rooms/${room(roomId)}/join`, {})).status, 200);
    // Leaving a room shared with other servers is a room event like any other.
    assert.equal((await dave.post(`${V3}/rooms/${room(roomId)}/leave`, {})).status, 200);
    await syncUntil(alice, roomId, (v) => v.timeline.some(membershipOf(daveId, "join")) && v.timeline.some(membershipOf(daveId, "leave")), aliceSince);
  });

  it("rejects an invite over federation: alice sees bob's leave, bob's invite moves to the left rooms", async () => {
    const rejected = await createRoom("Rejected");
    const bobSince = await syncPosition(bob);
    assert.equal((await alice.post(`${V3}/rooms/${room(rejected)}/invite`, { user_id: bobId })).status, 200);
    const invited = await syncRoomsUntil(bob, (r) => r.invite?.[rejected] !== undefined, bobSince, "the invite");

    const aliceSince = await syncPosition(alice);
    const left = await bob.post(`${V3}/rooms/${room(rejected)}/leave`, {});
    assert.equal(left.status, 200, JSON.stringify(left.body));
    await syncUntil(alice, rejected, (v) => v.timeline.some(membershipOf(bobId, "leave")), aliceSince);
    const after = await syncRoomsUntil(bob, (r) => r.leave?.[rejected] !== undefined, invited.since, "the rejection");
    assert.equal(after.rooms.invite?.[rejected], undefined);
    assert.ok(after.rooms.leave![rejected]!.timeline.events.some(membershipOf(bobId, "leave")));
    const initial = await bob.get<SyncBody>(`${V3}/sync?timeout=0`);
    assert.equal(initial.body.rooms?.invite?.[rejected], undefined, "not an invite any more");
  });

  it("rejects an invite locally when the inviting server cannot be reached", async () => {
    const three = await startFederatedServer({ config: FAST_RETRIES });
    const [carol] = await registeredClients(three.url, "carol");
    const created = await carol.post(`${V3}/createRoom`, { preset: "private_chat", name: "Vanishing" });
    const vanishing = created.body["room_id"] as string;
    const bobSince = await syncPosition(bob);
    assert.equal((await carol.post(`${V3}/rooms/${room(vanishing)}/invite`, { user_id: bobId })).status, 200);
    const invited = await syncRoomsUntil(bob, (r) => r.invite?.[vanishing] !== undefined, bobSince, "carol's invite");
    // Let three deliver the invite event it queued for two before it goes away for good.
    const drained = Date.now() + 10_000;
    while ((await three.server.context.db.kysely.selectFrom("federation_outbox").select("id").execute()).length > 0 && Date.now() < drained) await new Promise((r) => setTimeout(r, 50));
    await three.destroy();

    const left = await bob.post(`${V3}/rooms/${room(vanishing)}/leave`, {});
    assert.equal(left.status, 200, JSON.stringify(left.body));
    const after = await syncRoomsUntil(bob, (r) => r.leave?.[vanishing] !== undefined, invited.since, "the local rejection");
    assert.equal(after.rooms.invite?.[vanishing], undefined);
    const initial = await bob.get<SyncBody>(`${V3}/sync?timeout=0`);
    assert.equal(initial.body.rooms?.invite?.[vanishing], undefined, "the invite is cleared");
  });

  it("knocks on a remote room: alice sees the knock and invites, bob's knock becomes an invite, bob joins", async () => {
    const knocked = await createRoom("Knock here", { room_version: "10", initial_state: [{ type: "m.room.join_rules", state_key: "", content: { join_rule: "knock" } }] });
    const aliceSince = await syncPosition(alice);
    const bobSince = await syncPosition(bob);
    const knock = await bob.post(`${V3}/knock/${room(knocked)}?via=${encodeURIComponent(one.serverName)}`, { reason: "let me in" });
    assert.equal(knock.status, 200, JSON.stringify(knock.body));
    const pending = await syncRoomsUntil(bob, (r) => r.knock?.[knocked] !== undefined, bobSince, "bob's knock");
    const knockState = pending.rooms.knock![knocked]!.knock_state.events;
    assert.ok(knockState.some((e) => e.type === "m.room.name" && e.content["name"] === "Knock here"));
    assert.ok(knockState.some(membershipOf(bobId, "knock")));

    await syncUntil(alice, knocked, (v) => v.timeline.some(membershipOf(bobId, "knock")), aliceSince);
    assert.equal((await alice.post(`${V3}/rooms/${room(knocked)}/invite`, { user_id: bobId })).status, 200);
    const invited = await syncRoomsUntil(bob, (r) => r.invite?.[knocked] !== undefined, pending.since, "the invite after the knock");
    assert.equal(invited.rooms.knock?.[knocked], undefined);

    const aliceAt = await syncPosition(alice);
    assert.equal((await bob.post(`${V3}/join/${room(knocked)}`, {})).status, 200);
    await syncUntil(alice, knocked, (v) => v.timeline.some(membershipOf(bobId, "join")), aliceAt);
  });

  it("withdraws a knock over federation", async () => {
    const knocked = await createRoom("Knock and go", { initial_state: [{ type: "m.room.join_rules", state_key: "", content: { join_rule: "knock" } }] });
    const bobSince = await syncPosition(bob);
    assert.equal((await bob.post(`${V3}/knock/${room(knocked)}?server_name=${encodeURIComponent(one.serverName)}`, {})).status, 200);
    const pending = await syncRoomsUntil(bob, (r) => r.knock?.[knocked] !== undefined, bobSince, "the knock");
    const aliceSince = await syncPosition(alice);
    assert.equal((await bob.post(`${V3}/rooms/${room(knocked)}/leave`, {})).status, 200);
    await syncUntil(alice, knocked, (v) => v.timeline.some(membershipOf(bobId, "leave")), aliceSince);
    const after = await syncRoomsUntil(bob, (r) => r.leave?.[knocked] !== undefined, pending.since, "the withdrawal");
    assert.equal(after.rooms.knock?.[knocked], undefined);
  });

  it("an invite rescinded and a knock refused by the room's server end them on the user's server", async () => {
    const rescinded = await createRoom("Changed my mind");
    let bobSince = await syncPosition(bob);
    assert.equal((await alice.post(`${V3}/rooms/${room(rescinded)}/invite`, { user_id: bobId })).status, 200);
    bobSince = (await syncRoomsUntil(bob, (r) => r.invite?.[rescinded] !== undefined, bobSince, "the invite")).since;
    assert.equal((await alice.post(`${V3}/rooms/${room(rescinded)}/kick`, { user_id: bobId })).status, 200);
    const gone = await syncRoomsUntil(bob, (r) => r.leave?.[rescinded] !== undefined, bobSince, "the rescinded invite");
    assert.ok(gone.rooms.leave![rescinded]!.timeline.events.some((e) => e.type === "m.room.member" && e.sender === aliceId && e.content["membership"] === "leave"));
    assert.equal((await bob.get<SyncBody>(`${V3}/sync?timeout=0`)).body.rooms?.invite?.[rescinded], undefined);

    const refused = await createRoom("Not you", { initial_state: [{ type: "m.room.join_rules", state_key: "", content: { join_rule: "knock" } }] });
    assert.equal((await bob.post(`${V3}/knock/${room(refused)}?via=${encodeURIComponent(one.serverName)}`, {})).status, 200);
    bobSince = (await syncRoomsUntil(bob, (r) => r.knock?.[refused] !== undefined, gone.since, "the knock")).since;
    assert.equal((await alice.post(`${V3}/rooms/${room(refused)}/kick`, { user_id: bobId })).status, 200);
    await syncRoomsUntil(bob, (r) => r.leave?.[refused] !== undefined, bobSince, "the refused knock");
    assert.equal((await bob.get<SyncBody>(`${V3}/sync?timeout=0`)).body.rooms?.knock?.[refused], undefined);
  });

  it("deactivating an account rejects its pending remote invites", async () => {
    const [erin] = await registeredClients(two.url, "erin");
    const erinId = `@erin:${two.serverName}`;
    const pendingRoom = await createRoom("Before erin leaves");
    const erinSince = await syncPosition(erin);
    assert.equal((await alice.post(`${V3}/rooms/${room(pendingRoom)}/invite`, { user_id: erinId })).status, 200);
    await syncRoomsUntil(erin, (r) => r.invite?.[pendingRoom] !== undefined, erinSince, "erin's invite");
    const aliceSince = await syncPosition(alice);
    const first = await erin.post(`${V3}/account/deactivate`, {});
    const done = await erin.post(`${V3}/account/deactivate`, { auth: { type: "m.login.password", session: first.body["session"], identifier: { type: "m.id.user", user: "erin" }, password: PASSWORD } });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    await syncUntil(alice, pendingRoom, (v) => v.timeline.some(membershipOf(erinId, "leave")), aliceSince);
  });

  it("refuses an invite the invitee's server does not co-sign, and stores nothing", async () => {
    const lonely = await createRoom("Nobody there");
    // Nothing listens on port 1 of loopback: the invitee's server cannot be reached.
    const unreachable = "@x:127.0.0.1:1";
    const answer = await alice.post(`${V3}/rooms/${room(lonely)}/invite`, { user_id: unreachable });
    assert.ok(answer.status >= 400, `answered ${answer.status}`);
    const unknownUser = await alice.post(`${V3}/rooms/${room(lonely)}/invite`, { user_id: `@nobody:${two.serverName}` });
    assert.equal(unknownUser.status, 404, JSON.stringify(unknownUser.body));
    const state = (await alice.get<SyncEvent[]>(`${V3}/rooms/${room(lonely)}/state`)).body;
    assert.ok(!state.some((e) => e.type === "m.room.member" && (e.state_key === unreachable || e.state_key === `@nobody:${two.serverName}`)), "no invite was stored");
  });

  it("a ban of bob by alice reaches bob's server", async () => {
    const bobSince = await syncPosition(bob);
    const banned = await alice.post(`${V3}/rooms/${room(roomId)}/ban`, { user_id: bobId, reason: "enough" });
    assert.equal(banned.status, 200, JSON.stringify(banned.body));
    const seen = await syncRoomsUntil(bob, (r) => r.leave?.[roomId] !== undefined, bobSince, "the ban");
    assert.ok(seen.rooms.leave![roomId]!.timeline.events.some(membershipOf(bobId, "ban")));
  });

  describe("bad requests", () => {
    const version = getRoomVersion("10");
    let badRoom: string;
    let prev: string;
    let auth: string[];
    before(async () => {
      badRoom = await createRoom("Bad invites", { room_version: "10" });
      const state = (await alice.get<(SyncEvent & Json)[]>(`${V3}/rooms/${room(badRoom)}/state`)).body;
      const idOf = (type: string, key = "") => state.find((e) => e.type === type && e.state_key === key)?.event_id as string;
      auth = [idOf("m.room.create"), idOf("m.room.power_levels"), idOf("m.room.member", aliceId), idOf("m.room.join_rules")];
      prev = (await alice.get<{ chunk: SyncEvent[] }>(`${V3}/rooms/${room(badRoom)}/messages?dir=b&limit=1`)).body.chunk[0]!.event_id;
    });
    const inviteOf = (target: string) => ({
      room_id: badRoom,
      sender: aliceId,
      type: "m.room.member",
      state_key: target,
      content: { membership: "invite" },
      origin: one.serverName,
      origin_server_ts: Date.now(),
      depth: 10,
      prev_events: [prev],
      auth_events: auth,
    });
    const put = (event: object, roomVersion = "10") =>
      signedRequest(one, two, "PUT", `/_matrix/federation/v2/invite/${room(badRoom)}/${encodeURIComponent(computeEventId(event, version))}`, { room_version: roomVersion, event: event as Json, invite_room_state: [] });

    it("answers 404 for an invite of a user this server does not have", async () => {
      const answer = await put(hashAndSignEvent(inviteOf(`@nobody:${two.serverName}`), version, one.serverName, one.server.context.secrets.signingKey));
      assert.equal(answer.status, 404, JSON.stringify(answer.body));
      assert.equal(answer.body["errcode"], "M_NOT_FOUND");
    });

    it("answers 403 for an invite not signed by the sender's server", async () => {
      const realKey = one.server.context.secrets.signingKey;
      const answer = await put(hashAndSignEvent(inviteOf(bobId), version, one.serverName, generateSigningKey(realKey.version)));
      assert.equal(answer.status, 403, JSON.stringify(answer.body));
      assert.equal(answer.body["errcode"], "M_FORBIDDEN");
    });

    it("answers 400 M_INCOMPATIBLE_ROOM_VERSION for a room version it does not support", async () => {
      const answer = await put(hashAndSignEvent(inviteOf(bobId), version, one.serverName, one.server.context.secrets.signingKey), "999");
      assert.equal(answer.status, 400);
      assert.equal(answer.body["errcode"], "M_INCOMPATIBLE_ROOM_VERSION");
      assert.equal(answer.body["room_version"], "999");
    });

    it("serves make_leave and make_knock only for the asking server's users and versions", async () => {
      const leave = await signedRequest(two, one, "GET", `/_matrix/federation/v1/make_leave/${room(badRoom)}/${encodeURIComponent(aliceId)}`);
      assert.equal(leave.status, 403, JSON.stringify(leave.body));
      const knock = await signedRequest(two, one, "GET", `/_matrix/federation/v1/make_knock/${room(badRoom)}/${encodeURIComponent(bobId)}?ver=6`);
      assert.equal(knock.status, 400, JSON.stringify(knock.body));
      assert.equal(knock.body["errcode"], "M_INCOMPATIBLE_ROOM_VERSION");
      const unknown = await signedRequest(two, one, "GET", `/_matrix/federation/v1/make_leave/${encodeURIComponent(`!nowhere:${one.serverName}`)}/${encodeURIComponent(bobId)}`);
      assert.equal(unknown.status, 404);
      // Not invited: the auth rules refuse bob's leave template.
      const notMember = await signedRequest(two, one, "GET", `/_matrix/federation/v1/make_leave/${room(badRoom)}/${encodeURIComponent(bobId)}`);
      assert.equal(notMember.status, 403, JSON.stringify(notMember.body));
    });

    it("co-signs a valid invite and answers it", async () => {
      const event = hashAndSignEvent(inviteOf(bobId), version, one.serverName, one.server.context.secrets.signingKey);
      const answer = await put(event);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      const signed = answer.body["event"] as Json;
      assert.ok((signed["signatures"] as Record<string, unknown>)[two.serverName], "two's signature was added");
      assert.ok((signed["signatures"] as Record<string, unknown>)[one.serverName], "one's signature kept");
    });
  });
});
