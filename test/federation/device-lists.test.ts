import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { ApiClient } from "../harness/client.js";
import { FAST_RETRIES, startTwoServers, type FederatedServer } from "../harness/federation.js";
import { syncPosition } from "../harness/federated-rooms.js";
import { TestCrossSigning, TestDevice } from "../harness/e2e-keys.js";

const V3 = "/_matrix/client/v3";
type Sync = { next_batch: string; device_lists?: { changed: string[]; left: string[] } };

/** Syncs from `since` until `userId` is in device_lists.changed; returns the token after it. */
async function changedSeen(client: ApiClient, since: string, userId: string, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let token = since;
  for (;;) {
    const response = await client.get<Sync>(`${V3}/sync?timeout=1000&since=${token}`);
    assert.equal(response.status, 200);
    token = response.body.next_batch;
    if (response.body.device_lists?.changed.includes(userId)) return token;
    if (Date.now() > deadline) assert.fail(`${userId} never appeared in device_lists.changed`);
  }
}

describe("federation: device-list and cross-signing changes reach users of other servers who share a room", () => {
  let one: FederatedServer;
  let two: FederatedServer;
  let alice: ApiClient;
  let bob: ApiClient;
  let aliceId: string;
  let bobId: string;

  before(async () => {
    ({ one, two, alice, bob, aliceId, bobId } = await startTwoServers(FAST_RETRIES));
    const roomId = (await alice.post(`${V3}/createRoom`, { preset: "public_chat" })).body["room_id"] as string;
    const joined = await bob.post(`${V3}/join/${encodeURIComponent(roomId)}?server_name=${encodeURIComponent(one.serverName)}`, {});
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
  });
  after(async () => {
    await Promise.all([one?.destroy(), two?.destroy()]);
  });

  it("announces new device keys, cross-signing keys and deleted devices both ways (m.device_list_update, m.signing_key_update)", async () => {
    let bobSince = await syncPosition(bob);
    const aliceDevice = new TestDevice(aliceId, (await alice.get(`${V3}/account/whoami`)).body["device_id"] as string);
    assert.equal((await alice.post(`${V3}/keys/upload`, { device_keys: aliceDevice.deviceKeys() })).status, 200);
    bobSince = await changedSeen(bob, bobSince, aliceId);
    // bob's client then asks alice's server for the keys.
    const query = await bob.post(`${V3}/keys/query`, { device_keys: { [aliceId]: [] } });
    assert.deepEqual(Object.keys((query.body["device_keys"] as Record<string, object>)[aliceId]!), [aliceDevice.deviceId]);

    assert.equal((await alice.post(`${V3}/keys/device_signing/upload`, new TestCrossSigning(aliceId).uploadBody())).status, 200);
    bobSince = await changedSeen(bob, bobSince, aliceId);

    const aliceSince = await syncPosition(alice);
    const bobDevice = new TestDevice(bobId, (await bob.get(`${V3}/account/whoami`)).body["device_id"] as string);
    await bob.post(`${V3}/keys/upload`, { device_keys: bobDevice.deviceKeys() });
    await changedSeen(alice, aliceSince, bobId);

    // A second device of alice's is logged out: bob hears of it.
    const login = await fetch(`${one.url}${V3}/login`, { method: "POST", body: JSON.stringify({ type: "m.login.password", identifier: { type: "m.id.user", user: "alice" }, password: "correct horse battery", device_id: "SECOND" }) });
    const token = ((await login.json()) as Record<string, string>)["access_token"];
    bobSince = await syncPosition(bob);
    await fetch(`${one.url}${V3}/logout`, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: "{}" });
    await changedSeen(bob, bobSince, aliceId);
  });
});
