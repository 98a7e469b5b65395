/**
 * Long-polls woken by the same message are answered together, their unread counts and one-time key
 * counts read in shared statements (services/read-batcher.ts): each answer must still carry its own
 * user's counts and its own device's keys, with a user whose two devices are woken at once counted once,
 * on SQLite and PostgreSQL.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ApiClient } from "../harness/client.js";
import { TestDevice } from "../harness/e2e-keys.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { DATABASE_KINDS, isPostgresAvailable, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";

const V3 = "/_matrix/client/v3";
const q = encodeURIComponent;

type Sync = {
  next_batch: string;
  rooms?: { join?: Record<string, { timeline: { events: { event_id: string; content?: { body?: string } }[] }; unread_notifications?: { notification_count?: number } }> };
  device_one_time_keys_count?: Record<string, number>;
};

for (const database of DATABASE_KINDS) {
  describe(`long-polls woken together on ${database}`, { skip: database === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false }, () => {
    let hs: TestServer;

    before(async () => {
      hs = await startTestServer({ database, config: { presence: { enabled: false } } });
    });
    after(async () => hs.destroy());

    it("each get their own user's unread counts and their own device's key counts", async () => {
      const sender = new ApiClient(hs.url);
      await sender.register("sender");
      // Five devices: ada has two (a second login), woken side by side; bo, cy and dee one each, and dee
      // read up to the first message. bo long-polls twice at once (two tabs with one session).
      const names = ["ada", "bo", "cy", "dee"];
      const devices: { name: string; client: ApiClient; deviceId: string; keys: number }[] = [];
      for (const name of names) {
        const client = new ApiClient(hs.url);
        const registered = await client.register(name);
        devices.push({ name, client, deviceId: registered.device_id, keys: 0 });
        if (name !== "ada") continue;
        const second = new ApiClient(hs.url);
        const login = await second.post<{ access_token: string; device_id: string }>(`${V3}/login`, { type: "m.login.password", identifier: { type: "m.id.user", user: "ada" }, password: "correct horse battery" });
        assert.equal(login.status, 200, JSON.stringify(login.body));
        second.accessToken = login.body.access_token;
        devices.push({ name, client: second, deviceId: login.body.device_id, keys: 0 });
      }

      // Each device holds a different number of one-time keys.
      for (const [i, device] of devices.entries()) {
        device.keys = i + 2;
        const userId = `@${device.name}:${hs.serverName}`;
        const keys = new TestDevice(userId, device.deviceId);
        const upload = await device.client.post(`${V3}/keys/upload`, { device_keys: keys.deviceKeys(), one_time_keys: keys.oneTimeKeys(device.keys) });
        assert.equal(upload.status, 200, JSON.stringify(upload.body));
      }

      const created = await sender.post<{ room_id: string }>(`${V3}/createRoom`, { preset: "public_chat" });
      const roomId = created.body.room_id;
      for (const name of names) {
        const member = devices.find((d) => d.name === name) as (typeof devices)[number];
        assert.equal((await member.client.post(`${V3}/join/${q(roomId)}`, {})).status, 200);
      }
      const sent: string[] = [];
      for (const body of ["one", "two"]) {
        const res = await sender.put<{ event_id: string }>(`${V3}/rooms/${q(roomId)}/send/m.room.message/${body}`, { msgtype: "m.text", body });
        sent.push(res.body.event_id);
      }
      const dee = devices.find((d) => d.name === "dee") as (typeof devices)[number];
      assert.equal((await dee.client.post(`${V3}/rooms/${q(roomId)}/receipt/m.read/${q(sent[0] as string)}`, {})).status, 200);

      const polls = [...devices.slice(0, 3), devices[2] as (typeof devices)[number], ...devices.slice(3)];
      const since = await Promise.all(polls.map(async (d) => (await d.client.get<Sync>(`${V3}/sync?timeout=0`)).body.next_batch));
      const answers = polls.map(async (d, i) => {
        let token = since[i] as string;
        for (;;) {
          const res = await d.client.get<Sync>(`${V3}/sync?timeout=20000&since=${q(token)}`);
          assert.equal(res.status, 200, JSON.stringify(res.body));
          token = res.body.next_batch;
          const room = res.body.rooms?.join?.[roomId];
          if (room?.timeline.events.some((e) => e.content?.body === "three")) return res.body;
        }
      });
      // Every long-poll is waiting before the message that wakes them all.
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal((await sender.put(`${V3}/rooms/${q(roomId)}/send/m.room.message/three`, { msgtype: "m.text", body: "three" })).status, 200);
      const bodies = await Promise.all(answers);

      for (const [i, device] of polls.entries()) {
        const body = bodies[i] as Sync;
        const expected = device.name === "dee" ? 2 : 3;
        assert.equal(body.rooms?.join?.[roomId]?.unread_notifications?.notification_count, expected, `${device.name} (${device.deviceId}): unread count`);
        assert.deepEqual(body.device_one_time_keys_count, { signed_curve25519: device.keys }, `${device.name} (${device.deviceId}): one-time keys`);
      }
    });
  });
}
