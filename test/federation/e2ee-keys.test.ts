import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ApiClient, registeredClients } from "../harness/client.js";
import { startFederatedServer, type FederatedServer } from "../harness/federation.js";
import { TestCrossSigning, TestDevice } from "../harness/e2e-keys.js";

const V3 = "/_matrix/client/v3";
type Json = Record<string, unknown>;

describe("federation: end-to-end encryption keys of remote users", () => {
  let one: FederatedServer;
  let two: FederatedServer;
  let alice: ApiClient;
  let bob: ApiClient;
  let aliceId: string;
  let device: TestDevice;
  let crossSigning: TestCrossSigning;

  before(async () => {
    one = await startFederatedServer();
    two = await startFederatedServer();
    [alice] = await registeredClients(one.url, "alice");
    [bob] = await registeredClients(two.url, "bob");
    aliceId = `@alice:${one.serverName}`;
    const deviceId = (await alice.get(`${V3}/account/whoami`)).body["device_id"] as string;
    device = new TestDevice(aliceId, deviceId);
    await alice.put(`${V3}/devices/${deviceId}`, { display_name: "Alice's laptop" });
    assert.equal((await alice.post(`${V3}/keys/upload`, { device_keys: device.deviceKeys(), one_time_keys: device.oneTimeKeys(2), fallback_keys: device.fallbackKey() })).status, 200);
    crossSigning = new TestCrossSigning(aliceId);
    assert.equal((await alice.post(`${V3}/keys/device_signing/upload`, crossSigning.uploadBody())).status, 200);
  });
  after(async () => {
    await one?.destroy();
    await two?.destroy();
  });

  it("answers /keys/query for a remote user from their server (device and cross-signing keys, never the user-signing key)", async () => {
    const answer = await bob.post(`${V3}/keys/query`, { device_keys: { [aliceId]: [] }, timeout: 10_000 });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const keys = (answer.body["device_keys"] as Record<string, Record<string, Json>>)[aliceId]!;
    assert.deepEqual(Object.keys(keys), [device.deviceId]);
    assert.equal((keys[device.deviceId]!["unsigned"] as Json)["device_display_name"], "Alice's laptop");
    assert.deepEqual((answer.body["master_keys"] as Json)[aliceId], crossSigning.masterKey());
    assert.deepEqual((answer.body["self_signing_keys"] as Json)[aliceId], crossSigning.selfSigningKey());
    assert.deepEqual(answer.body["user_signing_keys"], {});
    assert.deepEqual(answer.body["failures"], {});
  });

  it("claims a remote device's one-time keys once each, then its fallback key", async () => {
    const claim = () => bob.post(`${V3}/keys/claim`, { one_time_keys: { [aliceId]: { [device.deviceId]: "signed_curve25519" } } });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const answer = await claim();
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      ids.push(...Object.keys(((answer.body["one_time_keys"] as Record<string, Record<string, Json>>)[aliceId]![device.deviceId]!)));
    }
    assert.equal(new Set(ids.slice(0, 2)).size, 2, "two distinct one-time keys");
    assert.ok(ids[2]!.startsWith("signed_curve25519:FB"), "then the fallback key");
  });

  it("serves a user's devices to other servers and reports unreachable servers as failures", async () => {
    const devices = (await two.server.context.services.federationClient.request(one.serverName, "GET", `/_matrix/federation/v1/user/devices/${encodeURIComponent(aliceId)}`)) as Json;
    assert.equal(devices["user_id"], aliceId);
    assert.ok((devices["stream_id"] as number) > 0);
    const list = devices["devices"] as Json[];
    assert.equal(list.length, 1);
    assert.equal(list[0]!["device_id"], device.deviceId);
    assert.equal(list[0]!["device_display_name"], "Alice's laptop");
    assert.equal(((list[0]!["keys"] as Json)["unsigned"]), undefined);
    assert.deepEqual(devices["master_key"], crossSigning.masterKey());

    const unreachable = await bob.post(`${V3}/keys/query`, { device_keys: { "@carol:127.0.0.1:1": [] }, timeout: 2_000 });
    assert.equal(unreachable.status, 200);
    assert.ok((unreachable.body["failures"] as Json)["127.0.0.1:1"], JSON.stringify(unreachable.body));
    const claim = await bob.post(`${V3}/keys/claim`, { one_time_keys: { "@carol:127.0.0.1:1": { DEV: "signed_curve25519" } } });
    assert.ok((claim.body["failures"] as Json)["127.0.0.1:1"]);
  });
});
