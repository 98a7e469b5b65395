import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ApiClient, registeredClients } from "../harness/client.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { DATABASE_KINDS, isPostgresAvailable, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";
import { TestCrossSigning, TestDevice } from "../harness/e2e-keys.js";

const V3 = "/_matrix/client/v3";
type Json = Record<string, unknown>;
type Sync = {
  next_batch: string;
  to_device: { events: { sender: string; type: string; content: Json }[] };
  device_lists?: { changed: string[]; left: string[] };
  device_one_time_keys_count: Record<string, number>;
  device_unused_fallback_key_types: string[];
};

async function whoami(client: ApiClient): Promise<{ userId: string; deviceId: string }> {
  const body = (await client.get(`${V3}/account/whoami`)).body;
  return { userId: body["user_id"] as string, deviceId: body["device_id"] as string };
}

async function device(client: ApiClient): Promise<TestDevice> {
  const { userId, deviceId } = await whoami(client);
  return new TestDevice(userId, deviceId);
}

async function sync(client: ApiClient, since?: string): Promise<Sync> {
  const response = await client.get<Sync>(`${V3}/sync?timeout=0${since ? `&since=${since}` : ""}`);
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body;
}

async function login(hs: TestServer, user: string, deviceId?: string): Promise<ApiClient> {
  const client = new ApiClient(hs.url);
  const response = await client.post(`${V3}/login`, { type: "m.login.password", identifier: { type: "m.id.user", user }, password: "correct horse battery", ...(deviceId ? { device_id: deviceId } : {}) }, { token: null });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  client.accessToken = response.body["access_token"] as string;
  return client;
}

for (const database of DATABASE_KINDS) {
  describe(`end-to-end encryption keys on ${database}`, { skip: database === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false }, () => {
    let hs: TestServer;
    let alice: ApiClient;
    let bob: ApiClient;
    let carol: ApiClient;

    before(async () => {
      hs = await startTestServer({ database });
      [alice, bob, carol] = await registeredClients(hs.url, "alice", "bob", "carol");
    });
    after(async () => hs.destroy());

    it("uploads device, one-time and fallback keys, and reports them in /keys/query and /sync", async () => {
      const d = await device(alice);
      await alice.put(`${V3}/devices/${d.deviceId}`, { display_name: "Alice's laptop" });
      const upload = await alice.post(`${V3}/keys/upload`, { device_keys: d.deviceKeys(), one_time_keys: d.oneTimeKeys(5), fallback_keys: d.fallbackKey() });
      assert.equal(upload.status, 200, JSON.stringify(upload.body));
      assert.deepEqual(upload.body, { one_time_key_counts: { signed_curve25519: 5 } });

      const query = await bob.post(`${V3}/keys/query`, { device_keys: { "@alice:localhost": [] } });
      assert.equal(query.status, 200);
      const keys = (query.body["device_keys"] as Record<string, Record<string, Json>>)["@alice:localhost"]!;
      assert.deepEqual(Object.keys(keys), [d.deviceId]);
      assert.deepEqual(keys[d.deviceId]!["unsigned"], { device_display_name: "Alice's laptop" });
      assert.deepEqual({ ...keys[d.deviceId]!, unsigned: undefined }, { ...d.deviceKeys(), keys: keys[d.deviceId]!["keys"], signatures: keys[d.deviceId]!["signatures"], unsigned: undefined });

      const filtered = await bob.post(`${V3}/keys/query`, { device_keys: { "@alice:localhost": ["NOSUCHDEVICE"], "@nobody:localhost": [] } });
      assert.deepEqual(filtered.body["device_keys"], { "@alice:localhost": {}, "@nobody:localhost": {} });

      const s = await sync(alice);
      assert.deepEqual(s.device_one_time_keys_count, { signed_curve25519: 5 });
      assert.deepEqual(s.device_unused_fallback_key_types, ["signed_curve25519"]);
      // device_keys: null is accepted (the spec's "may be absent"; clients send null).
      const nullKeys = await alice.post(`${V3}/keys/upload`, { device_keys: null });
      assert.equal(nullKeys.status, 200);
    });

    it("refuses bad key uploads with the spec's errors and stores nothing of them", async () => {
      const d = await device(carol);
      const other = new TestDevice("@alice:localhost", d.deviceId);
      const wrongDevice = new TestDevice(d.userId, "OTHERDEVICE");
      const forged = { ...d.deviceKeys(), signatures: wrongDevice.deviceKeys()["signatures"] };
      const cases: [string, Json, number, string][] = [
        ["keys of another user", { device_keys: other.deviceKeys() }, 400, "M_INVALID_PARAM"],
        ["keys of another device", { device_keys: wrongDevice.deviceKeys() }, 400, "M_INVALID_PARAM"],
        ["a bad self-signature", { device_keys: { ...forged, one_time_keys: undefined }, one_time_keys: d.oneTimeKeys(3) }, 400, "M_INVALID_SIGNATURE"],
        ["device keys that are not an object", { device_keys: "nope" }, 400, "M_BAD_JSON"],
        ["keys without algorithms", { device_keys: d.ed25519.sign({ user_id: d.userId, device_id: d.deviceId, keys: {} }, d.userId, d.deviceId) }, 400, "M_BAD_JSON"],
        ["a one-time key ID without algorithm", { device_keys: d.deviceKeys(), one_time_keys: { nocolon: "abc" } }, 400, "M_BAD_JSON"],
        ["a one-time key signed by someone else", { device_keys: d.deviceKeys(), one_time_keys: wrongDevice.oneTimeKeys(1) }, 400, "M_INVALID_SIGNATURE"],
        ["two fallback keys of one algorithm", { device_keys: d.deviceKeys(), fallback_keys: { ...d.fallbackKey(), ...d.fallbackKey() } }, 400, "M_INVALID_PARAM"],
        ["a body that is not an object", [] as unknown as Json, 400, "M_BAD_JSON"],
      ];
      for (const [name, body, status, errcode] of cases) {
        const response = await carol.post(`${V3}/keys/upload`, body);
        assert.equal(response.status, status, `${name}: ${JSON.stringify(response.body)}`);
        assert.equal(response.body["errcode"], errcode, name);
      }
      const query = await alice.post(`${V3}/keys/query`, { device_keys: { [d.userId]: [] } });
      assert.deepEqual(query.body["device_keys"], { [d.userId]: {} }, "no device keys were stored");
      assert.deepEqual((await sync(carol)).device_one_time_keys_count, { signed_curve25519: 0 }, "no one-time keys were stored");

      // The same key ID again with another key is refused; with the same key it is accepted and counted once.
      const keys = d.oneTimeKeys(2);
      assert.equal((await carol.post(`${V3}/keys/upload`, { device_keys: d.deviceKeys(), one_time_keys: keys })).status, 200);
      const again = await carol.post(`${V3}/keys/upload`, { one_time_keys: keys });
      assert.deepEqual(again.body, { one_time_key_counts: { signed_curve25519: 2 } });
      assert.deepEqual((await sync(carol)).device_one_time_keys_count, { signed_curve25519: 2 }, "the upload shows in /sync, which counted 0 before");
      const clash = Object.fromEntries(Object.keys(keys).map((id) => [id, Object.values(d.oneTimeKeys(1))[0]]));
      const refused = await carol.post(`${V3}/keys/upload`, { one_time_keys: clash });
      assert.equal(refused.status, 400);
      assert.equal(refused.body["errcode"], "M_INVALID_PARAM");
    });

    it("hands out each one-time key once under concurrent claims, then the fallback key", async () => {
      const dave = (await registeredClients(hs.url, "dave"))[0];
      const d = await device(dave);
      const oneTime = d.oneTimeKeys(10);
      const fallback = d.fallbackKey();
      assert.equal((await dave.post(`${V3}/keys/upload`, { device_keys: d.deviceKeys(), one_time_keys: oneTime, fallback_keys: fallback })).status, 200);
      // Counts /sync reported are kept between syncs (services/e2ee/key-count-cache.ts): the claims must still show.
      assert.deepEqual((await sync(dave)).device_one_time_keys_count, { signed_curve25519: 10 });
      const claims = await Promise.all(
        Array.from({ length: 20 }, () => alice.post(`${V3}/keys/claim`, { one_time_keys: { [d.userId]: { [d.deviceId]: "signed_curve25519" } } })),
      );
      const handedOut = claims.map((c) => {
        assert.equal(c.status, 200, JSON.stringify(c.body));
        const byDevice = (c.body["one_time_keys"] as Record<string, Record<string, Json>>)[d.userId]![d.deviceId]!;
        return Object.entries(byDevice)[0]!;
      });
      const oneTimeIds = handedOut.map(([id]) => id).filter((id) => id in oneTime);
      assert.equal(oneTimeIds.length, 10, "ten claims got one-time keys");
      assert.equal(new Set(oneTimeIds).size, 10, "all of them distinct");
      const fallbackId = Object.keys(fallback)[0]!;
      assert.equal(handedOut.filter(([id]) => id === fallbackId).length, 10, "the other ten got the fallback key");
      for (const [id, key] of handedOut) assert.deepEqual(key, id === fallbackId ? fallback[id] : oneTime[id]);

      const s = await sync(dave);
      assert.deepEqual(s.device_one_time_keys_count, { signed_curve25519: 0 });
      assert.deepEqual(s.device_unused_fallback_key_types, [], "the fallback key is used");
      // A new fallback key is unused again; an unknown device or algorithm gets nothing.
      await dave.post(`${V3}/keys/upload`, { fallback_keys: d.fallbackKey() });
      assert.deepEqual((await sync(dave)).device_unused_fallback_key_types, ["signed_curve25519"]);
      const none = await alice.post(`${V3}/keys/claim`, { one_time_keys: { [d.userId]: { NOSUCH: "signed_curve25519", [d.deviceId]: "unknown_algorithm" } } });
      assert.deepEqual(none.body, { one_time_keys: {}, failures: {} });
    });

    it("reports device-list changes to users who share a room, in /sync and /keys/changes, and who left", async () => {
      const [erin, frank, gina] = await registeredClients(hs.url, "erin", "frank", "gina");
      const room = (await erin.post(`${V3}/createRoom`, { preset: "public_chat" })).body["room_id"] as string;
      await frank.post(`${V3}/join/${encodeURIComponent(room)}`);
      const start = (await sync(frank)).next_batch;
      const ginaStart = (await sync(gina)).next_batch;

      const e = await device(erin);
      await erin.post(`${V3}/keys/upload`, { device_keys: e.deviceKeys() });
      const after1 = await sync(frank, start);
      assert.deepEqual(after1.device_lists, { changed: ["@erin:localhost"], left: [] });
      assert.deepEqual((await sync(gina, ginaStart)).device_lists ?? { changed: [], left: [] }, { changed: [], left: [] }, "no shared room: not told");
      const changes = await frank.get(`${V3}/keys/changes?from=${start}&to=${after1.next_batch}`);
      assert.deepEqual(changes.body, { changed: ["@erin:localhost"], left: [] });

      // Gina joins: she now shares a room with Erin and Frank (changed for both sides).
      await gina.post(`${V3}/join/${encodeURIComponent(room)}`);
      const ginaAfterJoin = await sync(gina, ginaStart);
      assert.deepEqual(ginaAfterJoin.device_lists?.changed, ["@erin:localhost", "@frank:localhost"]);
      const frankAfterJoin = await sync(frank, after1.next_batch);
      assert.deepEqual(frankAfterJoin.device_lists?.changed, ["@gina:localhost"]);

      // A device's new display name is news too (others show it from /keys/query).
      await erin.put(`${V3}/devices/${e.deviceId}`, { display_name: "Erin's phone" });
      const afterRename = await sync(frank, frankAfterJoin.next_batch);
      assert.deepEqual(afterRename.device_lists?.changed, ["@erin:localhost"]);

      // Erin leaves: no room is shared any more.
      await erin.post(`${V3}/rooms/${encodeURIComponent(room)}/leave`);
      const frankAfterLeave = await sync(frank, afterRename.next_batch);
      assert.deepEqual(frankAfterLeave.device_lists, { changed: [], left: ["@erin:localhost"] });
      const bad = await frank.get(`${V3}/keys/changes?from=nonsense&to=${after1.next_batch}`);
      assert.equal(bad.status, 400);
      assert.equal((await frank.get(`${V3}/keys/changes?from=${start}`)).status, 400);
    });

    it("delivers to-device messages once, in order, until acknowledged; retried transactions once; * to every device", async () => {
      const bob2 = await login(hs, "bob", "BOBTWO");
      const bobDevice = (await whoami(bob)).deviceId;
      const first = await sync(bob);
      await sync(bob2);
      const send = (txn: string, messages: Json) => alice.put(`${V3}/sendToDevice/m.test/${txn}`, { messages });
      assert.equal((await send("t1", { "@bob:localhost": { [bobDevice]: { n: 1 } } })).status, 200);
      assert.equal((await send("t1", { "@bob:localhost": { [bobDevice]: { n: 1 } } })).status, 200, "a retry is accepted");
      assert.equal((await send("t2", { "@bob:localhost": { "*": { n: 2 } } })).status, 200);
      assert.equal((await send("t3", { "@bob:localhost": { NOSUCHDEVICE: { n: 3 } } })).status, 200);

      const got = await sync(bob, first.next_batch);
      assert.deepEqual(got.to_device.events, [
        { sender: "@alice:localhost", type: "m.test", content: { n: 1 } },
        { sender: "@alice:localhost", type: "m.test", content: { n: 2 } },
      ]);
      // The token was not used yet: the same messages again.
      assert.deepEqual((await sync(bob, first.next_batch)).to_device.events.length, 2);
      // Acknowledged by syncing from the new token: gone.
      assert.deepEqual((await sync(bob, got.next_batch)).to_device.events, []);
      // Deletion follows the acknowledgement shortly after (collected off the /sync path).
      const deadline = Date.now() + 5000;
      while ((await sync(bob, first.next_batch)).to_device.events.length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual((await sync(bob, first.next_batch)).to_device.events, [], "deleted once acknowledged");
      const other = await sync(bob2);
      assert.deepEqual(other.to_device.events, [{ sender: "@alice:localhost", type: "m.test", content: { n: 2 } }], "* reached the second device, which never synced since");

      // More than a batch: 100 per response, in order, with the token stopping at the last one delivered.
      const many = Object.fromEntries([[bobDevice, { n: 0 }]]);
      for (let i = 0; i < 150; i++) await send(`m${i}`, { "@bob:localhost": { [bobDevice]: { ...many[bobDevice], n: i } } });
      const s1 = await sync(bob, got.next_batch);
      assert.equal(s1.to_device.events.length, 100);
      const s2 = await sync(bob, s1.next_batch);
      assert.equal(s2.to_device.events.length, 50);
      assert.deepEqual([...s1.to_device.events, ...s2.to_device.events].map((e) => e.content["n"]), Array.from({ length: 150 }, (_, i) => i));

      const big = await send("big", { "@bob:localhost": { [bobDevice]: { blob: "x".repeat(70_000) } } });
      assert.equal(big.status, 413);
      assert.equal(big.body["errcode"], "M_TOO_LARGE");
      const badUser = await send("bad", { "not a user": { [bobDevice]: {} } });
      assert.equal(badUser.status, 400);
      assert.equal(badUser.body["errcode"], "M_INVALID_PARAM");
      const badContent = await send("bad2", { "@bob:localhost": { [bobDevice]: "text" } });
      assert.equal(badContent.body["errcode"], "M_BAD_JSON");
      assert.deepEqual((await sync(bob, s2.next_batch)).to_device.events, [], "refused requests delivered nothing");
    });

    it("wakes a long-polling /sync for a to-device message", async () => {
      const bobDevice = (await whoami(bob)).deviceId;
      const since = (await sync(bob)).next_batch;
      const polling = bob.get<Sync>(`${V3}/sync?timeout=10000&since=${since}`);
      await new Promise((r) => setTimeout(r, 200));
      const started = Date.now();
      await alice.put(`${V3}/sendToDevice/m.wake/w1`, { messages: { "@bob:localhost": { [bobDevice]: { hello: true } } } });
      const woken = await polling;
      assert.ok(Date.now() - started < 5000);
      assert.deepEqual(woken.body.to_device.events, [{ sender: "@alice:localhost", type: "m.wake", content: { hello: true } }]);
    });

    it("stores cross-signing keys with user-interactive auth only when replacing them, and checks them", async () => {
      const [henry] = await registeredClients(hs.url, "henry");
      const cs = new TestCrossSigning("@henry:localhost");
      const path = `${V3}/keys/device_signing/upload`;
      const missingMaster = await henry.post(path, { self_signing_key: cs.selfSigningKey() });
      assert.equal(missingMaster.status, 400);
      assert.equal(missingMaster.body["errcode"], "M_MISSING_PARAM");
      const other = new TestCrossSigning("@henry:localhost");
      const badSignature = await henry.post(path, { master_key: cs.masterKey(), self_signing_key: other.selfSigningKey() });
      assert.equal(badSignature.status, 400);
      assert.equal(badSignature.body["errcode"], "M_INVALID_SIGNATURE");
      const wrongUser = await henry.post(path, { master_key: new TestCrossSigning("@alice:localhost").masterKey() });
      assert.equal(wrongUser.body["errcode"], "M_INVALID_PARAM");

      // The first upload needs no UIA; the same keys again neither; other keys do.
      assert.equal((await henry.post(path, cs.uploadBody())).status, 200);
      assert.equal((await henry.post(path, cs.uploadBody())).status, 200, "identical keys: no UIA");
      const replace = await henry.post(path, other.uploadBody());
      assert.equal(replace.status, 401);
      assert.ok(Array.isArray(replace.body["flows"]));
      const withAuth = await henry.post(path, {
        ...other.uploadBody(),
        auth: { type: "m.login.password", identifier: { type: "m.id.user", user: "henry" }, password: "correct horse battery", session: replace.body["session"] },
      });
      assert.equal(withAuth.status, 200, JSON.stringify(withAuth.body));
      const own = await henry.post(`${V3}/keys/query`, { device_keys: { "@henry:localhost": [] } });
      assert.deepEqual(own.body["master_keys"], { "@henry:localhost": other.masterKey() });
      assert.deepEqual(own.body["self_signing_keys"], { "@henry:localhost": other.selfSigningKey() });
      assert.deepEqual(own.body["user_signing_keys"], { "@henry:localhost": other.userSigningKey() });
      const theirs = await alice.post(`${V3}/keys/query`, { device_keys: { "@henry:localhost": [] } });
      assert.deepEqual(theirs.body["user_signing_keys"], {}, "a user-signing key is shown to its owner only");
    });

    it("stores signatures: a device by the self-signing key, another user's master key by the user-signing key (seen by the signer only)", async () => {
      const [ivan, judy] = await registeredClients(hs.url, "ivan", "judy");
      const ivanDevice = await device(ivan);
      await ivan.post(`${V3}/keys/upload`, { device_keys: ivanDevice.deviceKeys() });
      const ivanCs = new TestCrossSigning("@ivan:localhost");
      const judyCs = new TestCrossSigning("@judy:localhost");
      await ivan.post(`${V3}/keys/device_signing/upload`, ivanCs.uploadBody());
      await judy.post(`${V3}/keys/device_signing/upload`, judyCs.uploadBody());
      const room = (await ivan.post(`${V3}/createRoom`, { invite: ["@judy:localhost"] })).body["room_id"] as string;
      await judy.post(`${V3}/join/${encodeURIComponent(room)}`);
      const judySince = (await sync(judy)).next_batch;

      const stored = ((await ivan.post(`${V3}/keys/query`, { device_keys: { "@ivan:localhost": [] } })).body["device_keys"] as Record<string, Record<string, Json>>)["@ivan:localhost"]![ivanDevice.deviceId]!;
      const { unsigned: _u, ...deviceKey } = stored;
      const signedDevice = ivanCs.selfSigning.sign(deviceKey, "@ivan:localhost", ivanCs.selfSigning.publicKey);
      const signedJudy = ivanCs.userSigning.sign(judyCs.masterKey(), "@ivan:localhost", ivanCs.userSigning.publicKey);
      const forged = new TestCrossSigning("@ivan:localhost").userSigning.sign(judyCs.masterKey(), "@ivan:localhost", ivanCs.userSigning.publicKey);
      const upload = await ivan.post(`${V3}/keys/signatures/upload`, {
        "@ivan:localhost": { [ivanDevice.deviceId]: signedDevice, NOSUCHDEVICE: signedDevice },
        "@judy:localhost": { [judyCs.master.publicKey]: signedJudy },
      });
      assert.equal(upload.status, 200, JSON.stringify(upload.body));
      assert.deepEqual(Object.keys(upload.body["failures"] as Json), ["@ivan:localhost"]);
      assert.equal(((upload.body["failures"] as Record<string, Record<string, Json>>)["@ivan:localhost"]!["NOSUCHDEVICE"]!)["errcode"], "M_NOT_FOUND");
      const refused = await ivan.post(`${V3}/keys/signatures/upload`, { "@judy:localhost": { [judyCs.master.publicKey]: forged } });
      assert.equal(((refused.body["failures"] as Record<string, Record<string, Json>>)["@judy:localhost"]![judyCs.master.publicKey]!)["errcode"], "M_INVALID_SIGNATURE");

      // Everyone sees the device's self-signing signature; only Ivan sees his signature of Judy's key.
      const seenByJudy = await judy.post(`${V3}/keys/query`, { device_keys: { "@ivan:localhost": [], "@judy:localhost": [] } });
      const ivanKeys = (seenByJudy.body["device_keys"] as Record<string, Record<string, Json>>)["@ivan:localhost"]![ivanDevice.deviceId]!;
      assert.equal((ivanKeys["signatures"] as Record<string, Json>)["@ivan:localhost"]![`ed25519:${ivanCs.selfSigning.publicKey}`], (signedDevice["signatures"] as Record<string, Record<string, string>>)["@ivan:localhost"]![`ed25519:${ivanCs.selfSigning.publicKey}`]);
      assert.deepEqual((seenByJudy.body["master_keys"] as Record<string, Json>)["@judy:localhost"], judyCs.masterKey());
      const seenByIvan = await ivan.post(`${V3}/keys/query`, { device_keys: { "@judy:localhost": [] } });
      assert.deepEqual((seenByIvan.body["master_keys"] as Record<string, Json>)["@judy:localhost"], signedJudy);
      assert.deepEqual((await sync(judy, judySince)).device_lists?.changed, ["@ivan:localhost"], "Ivan's device signature is announced");
    });

    it("deletes a device's keys and pending messages with the device and announces it", async () => {
      const kim = await login(hs, "alice", "KIMDEVICE");
      const d = new TestDevice("@alice:localhost", "KIMDEVICE");
      await kim.post(`${V3}/keys/upload`, { device_keys: d.deviceKeys(), one_time_keys: d.oneTimeKeys(3), fallback_keys: d.fallbackKey() });
      assert.deepEqual((await sync(kim)).device_one_time_keys_count, { signed_curve25519: 3 });
      await bob.put(`${V3}/sendToDevice/m.test/del1`, { messages: { "@alice:localhost": { KIMDEVICE: { x: 1 } } } });
      const room = (await alice.post(`${V3}/createRoom`, { invite: ["@bob:localhost"] })).body["room_id"] as string;
      await bob.post(`${V3}/join/${encodeURIComponent(room)}`);
      const bobSince = (await sync(bob)).next_batch;

      const first = await alice.delete(`${V3}/devices/KIMDEVICE`, {});
      assert.equal(first.status, 401);
      const done = await alice.delete(`${V3}/devices/KIMDEVICE`, {
        auth: { type: "m.login.password", identifier: { type: "m.id.user", user: "alice" }, password: "correct horse battery", session: first.body["session"] },
      });
      assert.equal(done.status, 200, JSON.stringify(done.body));
      // The same device ID logged in again is a new device: nothing of the old one shows.
      const kimAgain = await login(hs, "alice", "KIMDEVICE");
      const again = await sync(kimAgain);
      assert.deepEqual(again.to_device.events, [], "the old device's messages went with it");
      assert.deepEqual(again.device_one_time_keys_count, { signed_curve25519: 0 }, "and its keys, counted before, too");
      assert.deepEqual(again.device_unused_fallback_key_types, []);
      const query = await bob.post(`${V3}/keys/query`, { device_keys: { "@alice:localhost": ["KIMDEVICE"] } });
      assert.deepEqual(query.body["device_keys"], { "@alice:localhost": {} });
      const claim = await bob.post(`${V3}/keys/claim`, { one_time_keys: { "@alice:localhost": { KIMDEVICE: "signed_curve25519" } } });
      assert.deepEqual(claim.body["one_time_keys"], {});
      assert.ok((await sync(bob, bobSince)).device_lists?.changed.includes("@alice:localhost"));
    });

    it("deactivation removes the account's keys, cross-signing identity and key backups", async () => {
      const [lena] = await registeredClients(hs.url, "lena");
      const d = await device(lena);
      await lena.post(`${V3}/keys/upload`, { device_keys: d.deviceKeys(), one_time_keys: d.oneTimeKeys(2) });
      await lena.post(`${V3}/keys/device_signing/upload`, new TestCrossSigning("@lena:localhost").uploadBody());
      const backup = await lena.post(`${V3}/room_keys/version`, { algorithm: "m.megolm_backup.v1.curve25519-aes-sha2", auth_data: { public_key: "abc" } });
      assert.equal(backup.status, 200, JSON.stringify(backup.body));
      const first = await lena.post(`${V3}/account/deactivate`, {});
      const done = await lena.post(`${V3}/account/deactivate`, { auth: { type: "m.login.password", session: first.body["session"], identifier: { type: "m.id.user", user: "lena" }, password: "correct horse battery" } });
      assert.equal(done.status, 200, JSON.stringify(done.body));
      const query = await alice.post(`${V3}/keys/query`, { device_keys: { "@lena:localhost": [] } });
      assert.deepEqual(query.body["device_keys"], { "@lena:localhost": {} });
      assert.deepEqual(query.body["master_keys"], {});
      const versions = await hs.server.context.db.kysely.selectFrom("key_backup_versions").selectAll().where("user_id", "=", "@lena:localhost").execute();
      assert.deepEqual(versions, []);
    });
  });
}
