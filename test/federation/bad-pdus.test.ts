/**
 * What the spec says to do with bad input in /send, each next to a valid PDU of the same transaction
 * that must not be lost: a tampered event (content changed after signing: the content hash fails) is
 * kept in its redacted form; a transaction signed with a key its origin does not publish is refused
 * whole with 401 M_UNAUTHORIZED. (Forged signatures: rooms.test.ts; events failing the auth rules:
 * state-conflicts.test.ts.)
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { ApiClient } from "../harness/client.js";
import { startTwoServers, type FederatedServer } from "../harness/federation.js";
import { bodies, signedRequest, syncPosition, syncUntil, type Json, type SyncEvent } from "../harness/federated-rooms.js";
import { computeEventId } from "../../src/protocol/event-id.js";
import { hashAndSignEvent } from "../../src/protocol/event-signing.js";
import { getRoomVersion } from "../../src/protocol/room-versions.js";
import { generateSigningKey } from "../../src/protocol/signing-key.js";

const V3 = "/_matrix/client/v3";

describe("federation: tampered PDUs and unknown keys in /send", () => {
  let one: FederatedServer;
  let two: FederatedServer;
  let alice: ApiClient;
  let bob: ApiClient;
  let aliceId: string;
  let roomId: string;

  before(async () => {
    ({ one, two, alice, bob, aliceId } = await startTwoServers({ federation: { retry_initial_ms: 200, retry_max_ms: 1_000 } }));
    roomId = (await alice.post(`${V3}/createRoom`, { preset: "public_chat" })).body["room_id"] as string;
    assert.equal((await bob.post(`${V3}/join/${encodeURIComponent(roomId)}?server_name=${encodeURIComponent(one.serverName)}`, {})).status, 200);
  });
  after(async () => {
    await Promise.all([one?.destroy(), two?.destroy()]);
  });

  /** Two messages of alice's signed by one, built on the room's latest event as two sees it. */
  async function aliceMessages(...texts: string[]): Promise<Json[]> {
    const version = getRoomVersion("12");
    const state = (await bob.get<(SyncEvent & Json)[]>(`${V3}/rooms/${encodeURIComponent(roomId)}/state`)).body;
    const idOf = (type: string, key = "") => state.find((e) => e.type === type && e.state_key === key)?.event_id as string;
    let prev = (await bob.get<{ chunk: SyncEvent[] }>(`${V3}/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=1`)).body.chunk[0]!.event_id;
    const out: Json[] = [];
    for (const [i, body] of texts.entries()) {
      const draft = { room_id: roomId, sender: aliceId, type: "m.room.message", content: { msgtype: "m.text", body }, origin_server_ts: Date.now(), depth: 500 + i, prev_events: [prev], auth_events: [idOf("m.room.power_levels"), idOf("m.room.member", aliceId)] };
      const signed = hashAndSignEvent(draft, version, one.serverName, one.server.context.secrets.signingKey) as unknown as Json;
      prev = computeEventId(signed as never, version);
      out.push(signed);
    }
    return out;
  }

  it("keeps a tampered event redacted and the rest of the transaction whole", async () => {
    const version = getRoomVersion("12");
    const [tampered, valid] = await aliceMessages("the original words", "a genuine follow-up");
    // The content changes after signing: the signature (over the redacted form) still holds, the content hash does not.
    (tampered!["content"] as Json)["body"] = "words put in alice's mouth";
    const tamperedId = computeEventId(tampered as never, version);
    const bobSince = await syncPosition(bob);
    const answer = await signedRequest(one, two, "PUT", "/_matrix/federation/v1/send/tampered-1", { origin: one.serverName, origin_server_ts: Date.now(), pdus: [tampered, valid] });
    assert.equal(answer.status, 200);
    const results = answer.body["pdus"] as Record<string, Json>;
    assert.deepEqual(results[tamperedId], {}, "accepted, in its redacted form");
    const view = await syncUntil(bob, roomId, (v) => bodies(v).includes("a genuine follow-up"), bobSince);
    assert.ok(!bodies(view).includes("words put in alice's mouth"));
    const stored = await bob.get<SyncEvent>(`${V3}/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(tamperedId)}`);
    assert.equal(stored.status, 200);
    assert.deepEqual(stored.body.content, {}, "only the redacted form is kept");
  });

  it("refuses a transaction signed with a key its origin does not publish, with 401 M_UNAUTHORIZED, and processes nothing of it", async () => {
    const [message] = await aliceMessages("signed request, unknown key");
    const stranger = generateSigningKey("unpublished");
    const answer = await signedRequest(one, two, "PUT", "/_matrix/federation/v1/send/unknown-key-1", { origin: one.serverName, origin_server_ts: Date.now(), pdus: [message!] }, stranger);
    assert.equal(answer.status, 401, JSON.stringify(answer.body));
    assert.equal(answer.body["errcode"], "M_UNAUTHORIZED");
    const version = getRoomVersion("12");
    assert.equal(await two.server.context.stores.events.getById(computeEventId(message as never, version)), undefined);
  });
});
