import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ApiClient, registeredClients } from "../harness/client.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { DATABASE_KINDS, isPostgresAvailable, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";
import { TestDevice } from "../harness/e2e-keys.js";

const V3 = "/_matrix/client/v3";
const MSC3814 = "/_matrix/client/unstable/org.matrix.msc3814.v1";
type Json = Record<string, unknown>;
type Events = { events: { sender: string; type: string; content: Json }[]; next_batch?: string };

for (const database of DATABASE_KINDS) {
  describe(`dehydrated devices (MSC3814) on ${database}`, { skip: database === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false }, () => {
    let hs: TestServer;
    let alice: ApiClient;
    let bob: ApiClient;

    before(async () => {
      hs = await startTestServer({ database });
      [alice, bob] = await registeredClients(hs.url, "alice", "bob");
    });
    after(async () => hs.destroy());

    function putBody(device: TestDevice, extra: Json = {}): Json {
      return {
        device_id: device.deviceId,
        device_data: { algorithm: "org.matrix.msc3814.v2", device_pickle: "encrypted", nonce: "n" },
        initial_device_display_name: "Dehydrated device",
        device_keys: device.deviceKeys({ dehydrated: true }),
        one_time_keys: device.oneTimeKeys(2),
        fallback_keys: device.fallbackKey(),
        ...extra,
      };
    }

    it("is advertised, stores a device others can encrypt to, and hands its messages to a new login", async () => {
      const versions = await alice.get("/_matrix/client/versions");
      assert.equal((versions.body["unstable_features"] as Json)["org.matrix.msc3814"], true);
      const none = await alice.get(`${MSC3814}/dehydrated_device`);
      assert.equal(none.status, 404);
      assert.equal(none.body["errcode"], "M_NOT_FOUND");

      const dehydrated = new TestDevice("@alice:localhost", "DEHYDRATED1");
      const put = await alice.put(`${MSC3814}/dehydrated_device`, putBody(dehydrated));
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.deepEqual(put.body, { device_id: "DEHYDRATED1" });
      assert.deepEqual((await alice.get(`${MSC3814}/dehydrated_device`)).body, { device_id: "DEHYDRATED1", device_data: { algorithm: "org.matrix.msc3814.v2", device_pickle: "encrypted", nonce: "n" } });
      const listed = (await alice.get(`${V3}/devices`)).body["devices"] as Json[];
      assert.ok(!listed.some((d) => d["device_id"] === "DEHYDRATED1"), "not one of the devices the user manages");

      // Bob sees its keys, claims a one-time key and sends it a message while no device of Alice's is online.
      const query = await bob.post(`${V3}/keys/query`, { device_keys: { "@alice:localhost": [] } });
      const keys = (query.body["device_keys"] as Record<string, Record<string, Json>>)["@alice:localhost"]!;
      assert.equal(keys["DEHYDRATED1"]!["dehydrated"], true);
      const claim = await bob.post(`${V3}/keys/claim`, { one_time_keys: { "@alice:localhost": { DEHYDRATED1: "signed_curve25519" } } });
      assert.equal(Object.keys((claim.body["one_time_keys"] as Record<string, Json>)["@alice:localhost"]!).length, 1);
      for (let i = 0; i < 3; i++) await bob.put(`${V3}/sendToDevice/m.room.encrypted/d${i}`, { messages: { "@alice:localhost": { DEHYDRATED1: { n: i } } } });
      await bob.put(`${V3}/sendToDevice/m.room.encrypted/all`, { messages: { "@alice:localhost": { "*": { n: 3 } } } });

      // A new login fetches them page by page; GET omits next_batch once nothing is left.
      const first = await alice.get<Events>(`${MSC3814}/dehydrated_device/DEHYDRATED1/events`);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.deepEqual(first.body.events.map((e) => e.content["n"]), [0, 1, 2, 3]);
      assert.equal(first.body.events[0]!.sender, "@bob:localhost");
      const rest = await alice.get<Events>(`${MSC3814}/dehydrated_device/DEHYDRATED1/events?from=${first.body.next_batch}`);
      assert.deepEqual(rest.body, { events: [] });
      // The older POST form always carries next_batch; messages up to it were deleted.
      const post = await alice.post<Events>(`${MSC3814}/dehydrated_device/DEHYDRATED1/events`, {});
      assert.deepEqual(post.body.events, []);
      assert.equal(typeof post.body.next_batch, "string");

      const other = await alice.get(`${MSC3814}/dehydrated_device/SOMEOTHER/events`);
      assert.equal(other.status, 403);
      assert.equal(other.body["errcode"], "M_FORBIDDEN");
      const badToken = await alice.get(`${MSC3814}/dehydrated_device/DEHYDRATED1/events?from=xyz`);
      assert.equal(badToken.status, 400);
      assert.equal((await bob.get(`${MSC3814}/dehydrated_device/DEHYDRATED1/events`)).status, 403, "another user's device");
    });

    it("replaces the previous dehydrated device with its keys, refuses bad bodies, and deletes", async () => {
      const replacement = new TestDevice("@alice:localhost", "DEHYDRATED2");
      assert.equal((await alice.put(`${MSC3814}/dehydrated_device`, putBody(replacement))).status, 200);
      const query = await bob.post(`${V3}/keys/query`, { device_keys: { "@alice:localhost": [] } });
      const ids = Object.keys((query.body["device_keys"] as Record<string, Json>)["@alice:localhost"] as Json);
      assert.ok(ids.includes("DEHYDRATED2") && !ids.includes("DEHYDRATED1"), `the old device and its keys are gone: ${ids.join(",")}`);

      const aliceDevice = (await alice.get(`${V3}/account/whoami`)).body["device_id"] as string;
      const cases: [string, Json, string][] = [
        ["no device_keys", { ...putBody(new TestDevice("@alice:localhost", "D3")), device_keys: undefined }, "M_MISSING_PARAM"],
        ["no device_data", { ...putBody(new TestDevice("@alice:localhost", "D3")), device_data: undefined }, "M_MISSING_PARAM"],
        ["device_data without algorithm", { ...putBody(new TestDevice("@alice:localhost", "D3")), device_data: { x: 1 } }, "M_BAD_JSON"],
        ["keys of another device", { ...putBody(new TestDevice("@alice:localhost", "D3")), device_keys: new TestDevice("@alice:localhost", "D4").deviceKeys() }, "M_INVALID_PARAM"],
        ["the ID of a real device", putBody(new TestDevice("@alice:localhost", aliceDevice)), "M_INVALID_PARAM"],
      ];
      for (const [name, body, errcode] of cases) {
        const response = await alice.put(`${MSC3814}/dehydrated_device`, body);
        assert.equal(response.status, 400, `${name}: ${JSON.stringify(response.body)}`);
        assert.equal(response.body["errcode"], errcode, name);
      }
      assert.equal(((await alice.get(`${MSC3814}/dehydrated_device`)).body["device_id"]), "DEHYDRATED2", "a refused PUT changed nothing");

      assert.deepEqual((await alice.delete(`${MSC3814}/dehydrated_device`)).body, { device_id: "DEHYDRATED2" });
      assert.equal((await alice.get(`${MSC3814}/dehydrated_device`)).status, 404);
      assert.equal((await alice.delete(`${MSC3814}/dehydrated_device`)).status, 404);
      const after = await bob.post(`${V3}/keys/query`, { device_keys: { "@alice:localhost": ["DEHYDRATED2"] } });
      assert.deepEqual(after.body["device_keys"], { "@alice:localhost": {} });
    });
  });
}
