import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ApiClient, registeredClients } from "../harness/client.js";
import { FAST_RETRIES, startFederatedServer, type FederatedServer } from "../harness/federation.js";
import type { TestServer } from "../harness/server.js";

const V3 = "/_matrix/client/v3";
type Json = Record<string, unknown>;
type Sync = { next_batch: string; to_device: { events: { sender: string; type: string; content: Json }[] } };

/** Syncs until a to-device message arrives (or the deadline passes). */
async function nextToDevice(client: ApiClient, since: string, timeoutMs = 15_000): Promise<Sync> {
  const deadline = Date.now() + timeoutMs;
  let token = since;
  for (;;) {
    const response = await client.get<Sync>(`${V3}/sync?timeout=2000&since=${token}`);
    assert.equal(response.status, 200);
    if (response.body.to_device.events.length > 0 || Date.now() > deadline) return response.body;
    token = response.body.next_batch;
  }
}

describe("federation: to-device messages between servers (m.direct_to_device), through downtime", () => {
  let one: FederatedServer;
  let two: TestServer & { federationPort: number };
  let alice: ApiClient;
  let bob: ApiClient;
  let bobId: string;
  let bobDevice: string;

  before(async () => {
    one = await startFederatedServer({ config: FAST_RETRIES });
    two = await startFederatedServer({ config: FAST_RETRIES });
    [alice] = await registeredClients(one.url, "alice");
    [bob] = await registeredClients(two.url, "bob");
    bobId = `@bob:${two.serverName}`;
    bobDevice = (await bob.get(`${V3}/account/whoami`)).body["device_id"] as string;
  });
  after(async () => {
    await one?.destroy();
    await two?.destroy();
  });

  it("delivers a message to a remote user's device and to all of them with *", async () => {
    const since = ((await bob.get<Sync>(`${V3}/sync?timeout=0`)).body).next_batch;
    assert.equal((await alice.put(`${V3}/sendToDevice/m.test/t1`, { messages: { [bobId]: { [bobDevice]: { n: 1 } } } })).status, 200);
    const got = await nextToDevice(bob, since);
    assert.deepEqual(got.to_device.events, [{ sender: `@alice:${one.serverName}`, type: "m.test", content: { n: 1 } }]);
    await alice.put(`${V3}/sendToDevice/m.test/t2`, { messages: { [bobId]: { "*": { n: 2 } } } });
    const all = await nextToDevice(bob, got.next_batch);
    assert.deepEqual(all.to_device.events.map((e) => e.content), [{ n: 2 }]);
  });

  it("keeps messages for a destination that is down and delivers them when it is back", async () => {
    const since = ((await bob.get<Sync>(`${V3}/sync?timeout=0`)).body).next_batch;
    await two.stop();
    for (let i = 0; i < 3; i++) assert.equal((await alice.put(`${V3}/sendToDevice/m.test/down${i}`, { messages: { [bobId]: { [bobDevice]: { n: 10 + i } } } })).status, 200);
    await new Promise((r) => setTimeout(r, 600)); // a few failed attempts
    const restarted = await two.restart();
    two = Object.assign(restarted, { federationPort: two.federationPort });
    bob = new ApiClient(two.url, bob.accessToken);
    const got = await nextToDevice(bob, since);
    const all = [...got.to_device.events];
    if (all.length < 3) all.push(...(await nextToDevice(bob, got.next_batch)).to_device.events);
    assert.deepEqual(all.map((e) => e.content["n"]), [10, 11, 12], "in order, none lost, none twice");
  });

  it("processes a retried transaction once, and refuses transactions of another origin or too large", async () => {
    const client = one.server.context.services.federationClient;
    const since = ((await bob.get<Sync>(`${V3}/sync?timeout=0`)).body).next_batch;
    const edu = { edu_type: "m.direct_to_device", content: { sender: `@alice:${one.serverName}`, type: "m.retry", message_id: "m1", messages: { [bobId]: { [bobDevice]: { once: true } } } } };
    const txn = { origin: one.serverName, origin_server_ts: Date.now(), pdus: [], edus: [edu] };
    assert.deepEqual(await client.request(two.serverName, "PUT", "/_matrix/federation/v1/send/retry-1", { body: txn }), { pdus: {} });
    await client.request(two.serverName, "PUT", "/_matrix/federation/v1/send/retry-1", { body: txn });
    // The same message ID in another transaction is a duplicate too.
    await client.request(two.serverName, "PUT", "/_matrix/federation/v1/send/retry-2", { body: txn });
    const got = await nextToDevice(bob, since);
    assert.deepEqual(got.to_device.events.map((e) => e.type), ["m.retry"]);

    const spoofed = { ...edu, content: { ...edu.content, sender: "@mallory:elsewhere.example", message_id: "m2" } };
    await client.request(two.serverName, "PUT", "/_matrix/federation/v1/send/spoof", { body: { ...txn, edus: [spoofed, { edu_type: "m.unknown", content: {} }, "not an EDU"] } });
    const after = await bob.get<Sync>(`${V3}/sync?timeout=500&since=${got.next_batch}`);
    assert.deepEqual(after.body.to_device.events, [], "a sender of another server is refused; the rest of the transaction goes on");

    await assert.rejects(client.request(two.serverName, "PUT", "/_matrix/federation/v1/send/other-origin", { body: { ...txn, origin: "elsewhere.example" } }), (e: { status: number }) => e.status === 403);
    // A transaction larger than the client API's body limit (1 MiB) is accepted.
    const big = Array.from({ length: 30 }, (_, i) => ({ edu_type: "m.unknown", content: { filler: "x".repeat(60_000), i } }));
    assert.deepEqual(await client.request(two.serverName, "PUT", "/_matrix/federation/v1/send/big", { body: { ...txn, edus: big } }), { pdus: {} });
    const tooMany = Array.from({ length: 101 }, () => ({ edu_type: "m.typing", content: {} }));
    await assert.rejects(client.request(two.serverName, "PUT", "/_matrix/federation/v1/send/too-many", { body: { ...txn, edus: tooMany } }), (e: { status: number }) => e.status === 400);
  });
});
