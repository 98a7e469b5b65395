/**
 * Rooms whose graph forks between servers: concurrent state changes while two servers cannot reach
 * each other converge to one current state on both after the partition heals (state resolution);
 * an event that passes against its own branch but not against the current state is soft-failed
 * (stored, never shown); an event that fails the auth rules is rejected but kept, and its children
 * are still accepted.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ApiClient } from "../harness/client.js";
import { startTwoServers, type FederatedServer } from "../harness/federation.js";
import { bodies, signedRequest, syncPosition, syncUntil, type Json, type SyncEvent } from "../harness/federated-rooms.js";
import { computeEventId } from "../../src/protocol/event-id.js";
import { hashAndSignEvent } from "../../src/protocol/event-signing.js";
import { getRoomVersion } from "../../src/protocol/room-versions.js";

const V3 = "/_matrix/client/v3";
const fast = { federation: { retry_initial_ms: 100, retry_max_ms: 500 } };
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("federation: forks of a room's graph between servers", () => {
  let one: FederatedServer;
  let two: FederatedServer;
  let alice: ApiClient;
  let bob: ApiClient;
  let aliceId: string;
  let bobId: string;

  before(async () => {
    ({ one, two, alice, bob, aliceId, bobId } = await startTwoServers(fast));
  });
  after(async () => {
    await Promise.all([one?.destroy(), two?.destroy()]);
  });

  const path = (roomId: string, rest: string) => `${V3}/rooms/${encodeURIComponent(roomId)}/${rest}`;
  const stateOf = async (client: ApiClient, roomId: string) =>
    (await client.get<(SyncEvent & Json)[]>(path(roomId, "state"))).body.map((e) => `${e.type}|${e.state_key}|${e.event_id}`).sort();

  async function sharedRoom(bobLevel: number): Promise<string> {
    const created = await alice.post(`${V3}/createRoom`, { preset: "public_chat", power_level_content_override: { users: { [bobId]: bobLevel } } });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const roomId = created.body["room_id"] as string;
    const aliceSince = await syncPosition(alice);
    assert.equal((await bob.post(`${V3}/join/${encodeURIComponent(roomId)}?server_name=${encodeURIComponent(one.serverName)}`, {})).status, 200);
    await syncUntil(alice, roomId, (v) => v.timeline.some((e) => e.type === "m.room.member" && e.state_key === bobId), aliceSince);
    return roomId;
  }

  /**
   * A partition: while one is down, bob acts on two (queued for one); then two goes down and one
   * comes back, and alice acts (queued for two); then two comes back and both outboxes deliver.
   */
  async function partitioned(onTwo: () => Promise<void>, onOne: () => Promise<void>): Promise<void> {
    await one.stop();
    await onTwo();
    await two.stop();
    one = Object.assign(await one.restart(), { federationPort: one.federationPort });
    alice = new ApiClient(one.url, alice.accessToken);
    await onOne();
    two = Object.assign(await two.restart(), { federationPort: two.federationPort });
    bob = new ApiClient(two.url, bob.accessToken);
  }

  async function converged(roomId: string, done: (state: string[]) => boolean): Promise<string[]> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const [atOne, atTwo] = [await stateOf(alice, roomId), await stateOf(bob, roomId)];
      if (done(atOne) && JSON.stringify(atOne) === JSON.stringify(atTwo)) return atOne;
      if (Date.now() > deadline) assert.deepEqual(atTwo, atOne, "both servers end with the same current state");
      await wait(200);
    }
  }

  it("resolves concurrent power-level and topic changes made on both sides of a partition to the same state on both servers", async () => {
    const roomId = await sharedRoom(100);
    const putState = (client: ApiClient, type: string, content: Json) => client.put(path(roomId, `state/${type}`), content);
    const levels = (await alice.get<Json>(path(roomId, "state/m.room.power_levels"))).body;
    let bobTopic = "";
    let aliceTopic = "";
    await partitioned(
      async () => {
        const topic = await putState(bob, "m.room.topic", { topic: "bob's topic" });
        assert.equal(topic.status, 200);
        bobTopic = topic.body["event_id"] as string;
        assert.equal((await putState(bob, "m.room.power_levels", { ...levels, events_default: 10 })).status, 200);
      },
      async () => {
        const topic = await putState(alice, "m.room.topic", { topic: "alice's topic" });
        assert.equal(topic.status, 200);
        aliceTopic = topic.body["event_id"] as string;
        assert.equal((await putState(alice, "m.room.power_levels", { ...levels, state_default: 75 })).status, 200);
      },
    );
    // Each server has seen both branches once both topics are known to it and the states agree.
    const state = await converged(roomId, () => true);
    const topicEntry = state.find((s) => s.startsWith("m.room.topic|"));
    assert.ok(topicEntry?.endsWith(bobTopic) || topicEntry?.endsWith(aliceTopic), "the topic is one of the two concurrent ones");
    const [atOne, atTwo] = await Promise.all([alice.get<Json>(path(roomId, "state/m.room.topic")), bob.get<Json>(path(roomId, "state/m.room.topic"))]);
    assert.deepEqual(atOne.body, atTwo.body);

    // The room goes on from the merged state on both sides.
    const bobSince = await syncPosition(bob);
    assert.equal((await alice.put(path(roomId, "send/m.room.message/healed"), { msgtype: "m.text", body: "after the heal" })).status, 200);
    await syncUntil(bob, roomId, (v) => bodies(v).includes("after the heal"), bobSince);
    await converged(roomId, () => true);
  });

  it("soft-fails a message bob sent on his side of a partition after alice banned him: one stores it but never shows it", async () => {
    const roomId = await sharedRoom(0);
    let sneakyId = "";
    await partitioned(
      async () => {
        const sent = await bob.put(path(roomId, "send/m.room.message/sneaky"), { msgtype: "m.text", body: "sent after the ban" });
        assert.equal(sent.status, 200);
        sneakyId = sent.body["event_id"] as string;
      },
      async () => {
        assert.equal((await alice.post(path(roomId, "ban"), { user_id: bobId, reason: "partition test" })).status, 200);
      },
    );
    // two learns of the ban; bob ends banned on both servers.
    await converged(roomId, (state) => state.some((s) => s.startsWith(`m.room.member|${bobId}|`)));
    const bobMember = (await alice.get<Json>(path(roomId, `state/m.room.member/${encodeURIComponent(bobId)}`))).body;
    assert.equal(bobMember["membership"], "ban");
    assert.equal((await bob.get<Json>(path(roomId, `state/m.room.member/${encodeURIComponent(bobId)}`))).body["membership"], "ban");

    // one received bob's message (stored, soft-failed) but alice never sees it.
    const deadline = Date.now() + 10_000;
    while (!(await one.server.context.stores.events.getById(sneakyId))) {
      if (Date.now() > deadline) assert.fail("one never received bob's message");
      await wait(200);
    }
    const stored = await one.server.context.stores.events.getById(sneakyId);
    assert.equal(stored?.softFailed, true);
    const history = await alice.get<{ chunk: SyncEvent[] }>(path(roomId, "messages?dir=b&limit=50"));
    assert.ok(!history.body.chunk.some((e) => e.event_id === sneakyId), "a soft-failed event is not in /messages");
    const initial = await syncUntil(alice, roomId, () => true);
    assert.ok(!initial.timeline.some((e) => e.event_id === sneakyId), "nor in /sync");
    // New events on one do not build on it.
    const next = await alice.put(path(roomId, "send/m.room.message/after-ban"), { msgtype: "m.text", body: "after the ban" });
    const nextEvent = await one.server.context.stores.events.getById(next.body["event_id"] as string);
    assert.ok(!(nextEvent?.pdu.prev_events as string[]).includes(sneakyId));
  });

  it("keeps a PDU that fails the auth rules as rejected, answers its error, and still accepts an event built on it", async () => {
    const roomId = await sharedRoom(0);
    const version = getRoomVersion("12");
    const state = (await bob.get<(SyncEvent & Json)[]>(path(roomId, "state"))).body;
    const idOf = (type: string, key = "") => state.find((e) => e.type === type && e.state_key === key)?.event_id as string;
    const latest = (await bob.get<{ chunk: SyncEvent[] }>(path(roomId, "messages?dir=b&limit=1"))).body.chunk[0]!.event_id;
    const key = one.server.context.secrets.signingKey;
    // mallory@one never joined: her message fails the auth rules.
    const mallory = `@mallory:${one.serverName}`;
    const rejected = hashAndSignEvent(
      { room_id: roomId, sender: mallory, type: "m.room.message", content: { msgtype: "m.text", body: "not a member" }, origin_server_ts: Date.now(), depth: 900, prev_events: [latest], auth_events: [idOf("m.room.power_levels")] },
      version,
      one.serverName,
      key,
    );
    const rejectedId = computeEventId(rejected, version);
    const child = hashAndSignEvent(
      { room_id: roomId, sender: aliceId, type: "m.room.message", content: { msgtype: "m.text", body: "child of a rejected event" }, origin_server_ts: Date.now(), depth: 901, prev_events: [rejectedId], auth_events: [idOf("m.room.power_levels"), idOf("m.room.member", aliceId)] },
      version,
      one.serverName,
      key,
    );
    const childId = computeEventId(child, version);
    const bobSince = await syncPosition(bob);
    const answer = await signedRequest(one, two, "PUT", "/_matrix/federation/v1/send/rejected-1", { origin: one.serverName, origin_server_ts: Date.now(), pdus: [rejected, child] as never });
    assert.equal(answer.status, 200);
    const pdus = answer.body["pdus"] as Record<string, Json>;
    assert.match(String(pdus[rejectedId]?.["error"]), /auth rules/);
    assert.deepEqual(pdus[childId], {});
    const view = await syncUntil(bob, roomId, (v) => bodies(v).includes("child of a rejected event"), bobSince);
    assert.ok(!bodies(view).includes("not a member"));
    const stored = await two.server.context.stores.events.getById(rejectedId);
    assert.match(String(stored?.rejectedReason), /auth rules/);

    // Sent again, the rejected event is not processed twice.
    const again = await signedRequest(one, two, "PUT", "/_matrix/federation/v1/send/rejected-2", { origin: one.serverName, origin_server_ts: Date.now(), pdus: [rejected] as never });
    assert.equal(again.status, 200);
  });
});
