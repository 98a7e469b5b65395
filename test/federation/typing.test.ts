import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { ApiClient } from "../harness/client.js";
import { FAST_RETRIES, startTwoServers, type FederatedServer } from "../harness/federation.js";
import { signedRequest, syncPosition } from "../harness/federated-rooms.js";

const V3 = "/_matrix/client/v3";
type Sync = { next_batch: string; rooms?: { join?: Record<string, { ephemeral: { events: { type: string; content: { user_ids?: string[] } }[] } }> } };

/** Syncs until the room's typing set is `expected`; returns the token after it. */
async function typingSeen(client: ApiClient, roomId: string, since: string, expected: string[], timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let token = since;
  for (;;) {
    const response = await client.get<Sync>(`${V3}/sync?timeout=1000&since=${token}`);
    assert.equal(response.status, 200);
    token = response.body.next_batch;
    const typing = response.body.rooms?.join?.[roomId]?.ephemeral.events.find((e) => e.type === "m.typing");
    if (typing && JSON.stringify([...(typing.content.user_ids ?? [])].sort()) === JSON.stringify([...expected].sort())) return token;
    if (Date.now() > deadline) assert.fail(`typing never became ${JSON.stringify(expected)}`);
  }
}

describe("federation: typing notifications between servers (m.typing)", () => {
  let one: FederatedServer;
  let two: FederatedServer;
  let alice: ApiClient;
  let bob: ApiClient;
  let aliceId: string;
  let bobId: string;
  let roomId: string;

  before(async () => {
    ({ one, two, alice, bob, aliceId, bobId } = await startTwoServers(FAST_RETRIES));
    roomId = (await alice.post(`${V3}/createRoom`, { preset: "public_chat" })).body["room_id"] as string;
    assert.equal((await bob.post(`${V3}/join/${encodeURIComponent(roomId)}?server_name=${encodeURIComponent(one.serverName)}`, {})).status, 200);
  });
  after(async () => {
    await Promise.all([one?.destroy(), two?.destroy()]);
  });

  it("shows a remote user typing and stopping, both ways", async () => {
    let bobSince = await syncPosition(bob);
    assert.equal((await alice.put(`${V3}/rooms/${encodeURIComponent(roomId)}/typing/${encodeURIComponent(aliceId)}`, { typing: true, timeout: 30_000 })).status, 200);
    bobSince = await typingSeen(bob, roomId, bobSince, [aliceId]);
    await alice.put(`${V3}/rooms/${encodeURIComponent(roomId)}/typing/${encodeURIComponent(aliceId)}`, { typing: false });
    await typingSeen(bob, roomId, bobSince, []);

    const aliceSince = await syncPosition(alice);
    await bob.put(`${V3}/rooms/${encodeURIComponent(roomId)}/typing/${encodeURIComponent(bobId)}`, { typing: true, timeout: 30_000 });
    await typingSeen(alice, roomId, aliceSince, [bobId]);
  });

  it("ignores typing for a user of another server or a room the user is not in", async () => {
    const aliceSince = await syncPosition(alice);
    const edus = [
      { edu_type: "m.typing", content: { room_id: roomId, user_id: "@mallory:elsewhere.example", typing: true } },
      { edu_type: "m.typing", content: { room_id: "!nosuchroom:example.org", user_id: bobId, typing: true } },
    ];
    const answer = await signedRequest(two, one, "PUT", "/_matrix/federation/v1/send/typing-bad", { origin: two.serverName, origin_server_ts: Date.now(), pdus: [], edus });
    assert.equal(answer.status, 200);
    const after = await alice.get<Sync>(`${V3}/sync?timeout=500&since=${aliceSince}`);
    const typing = after.body.rooms?.join?.[roomId]?.ephemeral.events.find((e) => e.type === "m.typing");
    assert.ok(!typing || !(typing.content.user_ids ?? []).includes("@mallory:elsewhere.example"));
  });
});
