/**
 * Pushers over HTTP (GET /pushers, POST /pushers/set: set, replace, append, delete and the errors) and
 * delivery to a real push gateway that this test runs on loopback: what a mention, a DM and an invite
 * push, with badge counts matching /sync; `event_id_only`; `rejected` pushkeys; a slow or dead gateway
 * delaying nothing else; retries once the gateway is back; removal with the device, token or account;
 * and the queue surviving a restart. On SQLite and PostgreSQL; presence is off so nothing else wakes.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { ApiClient } from "../harness/client.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { freePort } from "../harness/ports.js";
import { DATABASE_KINDS, isPostgresAvailable, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";

const V3 = "/_matrix/client/v3";
const NOTIFY = "/_matrix/push/v1/notify";
const q = encodeURIComponent;

type Notification = Record<string, unknown> & {
  event_id?: string;
  counts: { unread?: number };
  devices: { app_id: string; pushkey: string; pushkey_ts: number; data: Record<string, unknown>; tweaks?: Record<string, unknown> }[];
};
interface Behaviour {
  delayMs?: number;
  reject?: boolean;
}

/** A push gateway: records every notification (when it arrived) and answers as told per pushkey. */
class Gateway {
  readonly received: { notification: Notification; at: number }[] = [];
  readonly behaviour = new Map<string, Behaviour>();
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.url !== NOTIFY || req.method !== "POST") {
        res.writeHead(404).end(JSON.stringify({ errcode: "M_UNRECOGNIZED" }));
        return;
      }
      const { notification } = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { notification: Notification };
      this.received.push({ notification, at: Date.now() });
      const pushkey = notification.devices[0]?.pushkey ?? "";
      const behaviour = this.behaviour.get(pushkey) ?? {};
      const answer = (): void => void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ rejected: behaviour.reject ? [pushkey] : [] }));
      if (behaviour.delayMs) setTimeout(answer, behaviour.delayMs);
      else answer();
    });
  });
  private port = 0;

  private constructor(readonly host: string) {}

  static async start(port = 0, host = "127.0.0.1"): Promise<Gateway> {
    const gateway = new Gateway(host);
    await new Promise<void>((resolve) => gateway.server.listen(port, host, resolve));
    gateway.port = (gateway.server.address() as AddressInfo).port;
    return gateway;
  }

  get url(): string {
    return `http://${this.host}:${this.port}${NOTIFY}`;
  }

  /** Notifications about events (not badge updates) for a pushkey. */
  events(pushkey: string): Notification[] {
    return this.received.filter((r) => r.notification.devices[0]?.pushkey === pushkey && r.notification.event_id !== undefined).map((r) => r.notification);
  }

  badges(pushkey: string): Notification[] {
    return this.received.filter((r) => r.notification.devices[0]?.pushkey === pushkey && r.notification.event_id === undefined).map((r) => r.notification);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

async function waitFor<T>(what: string, read: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

for (const database of DATABASE_KINDS) {
  describe(`pushers on ${database}`, { skip: database === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false }, () => {
    let hs: TestServer;
    let gateway: Gateway;
    const users = new Map<string, { client: ApiClient; userId: string }>();

    before(async () => {
      gateway = await Gateway.start();
      hs = await startTestServer({
        database,
        config: {
          presence: { enabled: false },
          push: { ip_range_allowlist: ["127.0.0.1"], retry_initial_ms: 100, retry_max_ms: 500, request_timeout_ms: 10_000 },
        },
      });
    });
    after(async () => {
      await hs.destroy();
      await gateway.close();
    });

    async function user(name: string): Promise<{ client: ApiClient; userId: string }> {
      let found = users.get(name);
      if (!found) {
        const client = new ApiClient(hs.url);
        const { user_id } = await client.register(name);
        const displayName = name[0]!.toUpperCase() + name.slice(1);
        assert.equal((await client.put(`${V3}/profile/${q(user_id)}/displayname`, { displayname: displayName })).status, 200);
        users.set(name, (found = { client, userId: user_id }));
      }
      return found;
    }

    const pusher = (pushkey: string, url: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
      kind: "http",
      app_id: "org.example.app",
      app_display_name: "Example",
      device_display_name: "Phone",
      pushkey,
      lang: "en",
      data: { url },
      ...extra,
    });

    async function setPusher(client: ApiClient, body: Record<string, unknown>): Promise<void> {
      const res = await client.post(`${V3}/pushers/set`, body);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body, {});
    }

    async function pushers(client: ApiClient): Promise<Record<string, unknown>[]> {
      const res = await client.get<{ pushers: Record<string, unknown>[] }>(`${V3}/pushers`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.pushers;
    }

    async function room(owner: ApiClient, members: ApiClient[], extra: Record<string, unknown> = {}): Promise<string> {
      const created = await owner.post<{ room_id: string }>(`${V3}/createRoom`, { preset: "public_chat", ...extra });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      for (const member of members) assert.equal((await member.post(`${V3}/join/${q(created.body.room_id)}`, {})).status, 200);
      return created.body.room_id;
    }

    async function send(client: ApiClient, roomId: string, content: Record<string, unknown>): Promise<string> {
      const res = await client.put<{ event_id: string }>(`${V3}/rooms/${q(roomId)}/send/m.room.message/${Math.random().toString(36).slice(2)}`, content);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.event_id;
    }

    /** The badge /sync implies: rooms with unread notifications plus pending invites. */
    async function syncBadge(client: ApiClient): Promise<number> {
      const res = await client.get<{ rooms: { join?: Record<string, { unread_notifications: { notification_count?: number } }>; invite?: Record<string, unknown> } }>(`${V3}/sync`);
      assert.equal(res.status, 200);
      const joined = Object.values(res.body.rooms.join ?? {}).filter((r) => (r.unread_notifications.notification_count ?? 0) > 0).length;
      return joined + Object.keys(res.body.rooms.invite ?? {}).length;
    }

    describe("the pushers API", () => {
      it("sets, lists, replaces and deletes a pusher", async () => {
        const { client } = await user("alice");
        assert.deepEqual(await pushers(client), []);
        await setPusher(client, pusher("key-a", gateway.url, { profile_tag: "tag", data: { url: gateway.url, format: "event_id_only", custom: 1 } }));
        assert.deepEqual(await pushers(client), [
          {
            pushkey: "key-a",
            kind: "http",
            app_id: "org.example.app",
            app_display_name: "Example",
            device_display_name: "Phone",
            profile_tag: "tag",
            lang: "en",
            data: { url: gateway.url, format: "event_id_only", custom: 1 },
          },
        ]);
        // The same app ID and pushkey again: the pusher is replaced, not added.
        await setPusher(client, pusher("key-a", gateway.url, { device_display_name: "New phone", lang: "fr" }));
        const listed = await pushers(client);
        assert.equal(listed.length, 1);
        assert.equal(listed[0]!["device_display_name"], "New phone");
        assert.equal(listed[0]!["lang"], "fr");
        assert.equal(listed[0]!["profile_tag"], undefined);
        // kind: null deletes (only app_id and pushkey are needed); deleting what is not there is fine.
        await setPusher(client, { kind: null, app_id: "org.example.app", pushkey: "key-a" });
        assert.deepEqual(await pushers(client), []);
        await setPusher(client, { kind: null, app_id: "org.example.app", pushkey: "key-a" });
        assert.equal((await client.get(`${V3}/pushers`, { token: null })).status, 401);
      });

      it("refuses invalid pushers", async () => {
        const { client } = await user("alice");
        const long = "x".repeat(65);
        const cases: [Record<string, unknown>, string][] = [
          [{ app_id: "a", pushkey: "k" }, "M_MISSING_PARAM"],
          [{ kind: "http", app_id: "a", pushkey: "k", app_display_name: "A", device_display_name: "D" }, "M_MISSING_PARAM"],
          [{ ...pusher("k", gateway.url), app_id: undefined }, "M_MISSING_PARAM"],
          [pusher("k", gateway.url, { data: {} }), "M_INVALID_PARAM"],
          [pusher("k", "https://push.example.org/_matrix/push/v1/other"), "M_INVALID_PARAM"],
          [pusher("k", "ftp://push.example.org/_matrix/push/v1/notify"), "M_INVALID_PARAM"],
          [pusher("k", "not a url"), "M_INVALID_PARAM"],
          [pusher("k", gateway.url, { data: "nope" }), "M_INVALID_PARAM"],
          [pusher("k", gateway.url, { kind: "carrier-pigeon" }), "M_INVALID_PARAM"],
          [pusher("k", gateway.url, { app_id: long }), "M_INVALID_PARAM"],
          [pusher("k".repeat(513), gateway.url), "M_INVALID_PARAM"],
          [pusher("k", gateway.url, { append: "yes" }), "M_INVALID_PARAM"],
          [pusher("k", gateway.url, { lang: 5 }), "M_INVALID_PARAM"],
        ];
        for (const [body, errcode] of cases) {
          const res = await client.post(`${V3}/pushers/set`, body);
          assert.equal(res.status, 400, JSON.stringify(body));
          assert.equal(res.body["errcode"], errcode, JSON.stringify(body));
        }
        const missing = await client.post(`${V3}/pushers/set`, { kind: "http", app_id: "a", pushkey: "k", app_display_name: "A", device_display_name: "D" });
        assert.match(String(missing.body["error"]), /lang, data/);
        // An email pusher needs an email address of the account (as Synapse).
        const email = await client.post(`${V3}/pushers/set`, { ...pusher("someone@example.org", gateway.url), kind: "email", app_id: "m.email" });
        assert.equal(email.status, 400);
        assert.equal(email.body["errcode"], "M_THREEPID_NOT_FOUND");
        // An https URL is fine even though nothing is there.
        await setPusher(client, pusher("k", "https://push.example.org/_matrix/push/v1/notify"));
        await setPusher(client, { kind: null, app_id: "org.example.app", pushkey: "k" });
        assert.deepEqual(await pushers(client), []);
      });

      it("accepts an email pusher for an email address of the account, and keeps it without sending", async () => {
        const { client, userId } = await user("nora");
        // No endpoint adds email addresses yet: the account gets one in the database.
        await hs.server.context.stores.users.addThreepid(hs.server.context.db.kysely, userId, "email", "nora@example.org", Date.now());
        const email = { kind: "email", app_id: "m.email", app_display_name: "Email", device_display_name: "nora@example.org", pushkey: "Nora@Example.org", lang: "en", data: {} };
        await setPusher(client, email);
        assert.deepEqual(await pushers(client), [{ ...email, kind: "email" }]);
        const other = await client.post(`${V3}/pushers/set`, { ...email, pushkey: "someone.else@example.org" });
        assert.equal(other.body["errcode"], "M_THREEPID_NOT_FOUND");
        await setPusher(client, { kind: null, app_id: "m.email", pushkey: "Nora@Example.org" });
        assert.deepEqual(await pushers(client), []);
      });

      it("removes other users' pushers with the same app ID and pushkey unless append is set", async () => {
        const { client: alice } = await user("alice");
        const { client: bob } = await user("bob");
        await setPusher(alice, pusher("shared", gateway.url));
        await setPusher(bob, pusher("shared", gateway.url, { append: true }));
        assert.equal((await pushers(alice)).length, 1, "append keeps alice's");
        assert.equal((await pushers(bob)).length, 1);
        await setPusher(bob, pusher("shared", gateway.url));
        assert.deepEqual(await pushers(alice), [], "without append, alice's goes");
        assert.equal((await pushers(bob)).length, 1);
        await setPusher(bob, { kind: null, app_id: "org.example.app", pushkey: "shared" });
      });
    });

    describe("delivery", () => {
      it("pushes a mention, an invite and a DM with the counts /sync shows, then a badge update on read", async () => {
        const { client: alice } = await user("alice");
        const { client: bob, userId: bobId } = await user("bob");
        await setPusher(bob, pusher("bob-phone", gateway.url, { data: { url: gateway.url, extra: "kept" } }));
        const team = await room(alice, [bob], { name: "Team" });
        const mention = await send(alice, team, { msgtype: "m.text", body: "Bob, look", "m.mentions": { user_ids: [bobId] } });
        const first = await waitFor("the mention's push", () => gateway.events("bob-phone").find((n) => n.event_id === mention));
        const { devices, ...rest } = first;
        assert.equal(rest["room_id"], team);
        assert.equal(rest["type"], "m.room.message");
        assert.equal(rest["sender"], (await user("alice")).userId);
        assert.equal(rest["sender_display_name"], "Alice");
        assert.equal(rest["room_name"], "Team");
        assert.equal(rest["prio"], "high");
        assert.deepEqual(rest["content"], { msgtype: "m.text", body: "Bob, look", "m.mentions": { user_ids: [bobId] } });
        assert.deepEqual(rest["counts"], { unread: 1 });
        assert.equal(devices.length, 1);
        const device = devices[0]!;
        assert.equal(device.app_id, "org.example.app");
        assert.equal(device.pushkey, "bob-phone");
        assert.ok(Number.isInteger(device.pushkey_ts) && Math.abs(device.pushkey_ts - Date.now() / 1000) < 120, "pushkey_ts is in seconds");
        assert.deepEqual(device.data, { extra: "kept" }, "data without url");
        assert.deepEqual(device.tweaks, { sound: "default", highlight: true });
        assert.equal(await syncBadge(bob), 1);

        // A DM: the invite pushes (bob is its target), then a message in it.
        const dm = await alice.post<{ room_id: string }>(`${V3}/createRoom`, { preset: "trusted_private_chat", is_direct: true, invite: [bobId] });
        assert.equal(dm.status, 200);
        const invite = await waitFor("the invite's push", () => gateway.events("bob-phone").find((n) => n.room_id === dm.body.room_id && n["type"] === "m.room.member"));
        assert.equal(invite["membership"], "invite");
        assert.equal(invite["user_is_target"], true);
        assert.equal(invite["room_name"], "Invite from Alice");
        assert.deepEqual(invite.counts, { unread: 2 }, "one room with unread notifications and one invite");
        assert.equal(await syncBadge(bob), 2);
        assert.equal((await bob.post(`${V3}/join/${q(dm.body.room_id)}`, {})).status, 200);
        const hello = await send(alice, dm.body.room_id, { msgtype: "m.text", body: "hello" });
        const direct = await waitFor("the DM's push", () => gateway.events("bob-phone").find((n) => n.event_id === hello));
        assert.equal(direct["room_name"], "Alice", "a room without a name is named after the other member");
        assert.equal(direct["prio"], "high");
        assert.deepEqual(direct.devices[0]!.tweaks, { sound: "default" });
        assert.deepEqual(direct.counts, { unread: 2 });
        assert.equal(await syncBadge(bob), 2);

        // A message that only notifies (no sound, no highlight) goes with low priority.
        const carol = (await user("carol")).client;
        assert.equal((await carol.post(`${V3}/join/${q(team)}`, {})).status, 200);
        const plain = await send(carol, team, { msgtype: "m.text", body: "hi all" });
        const low = await waitFor("the plain message's push", () => gateway.events("bob-phone").find((n) => n.event_id === plain));
        assert.equal(low["prio"], "low");
        assert.equal(low.devices[0]!.tweaks, undefined);

        // Reading the team room updates the badge without an event.
        const badgesBefore = gateway.badges("bob-phone").length;
        assert.equal((await bob.post(`${V3}/rooms/${q(team)}/receipt/m.read/${q(plain)}`, {})).status, 200);
        const badge = await waitFor("a badge update", () => gateway.badges("bob-phone")[badgesBefore]);
        assert.deepEqual(badge.counts, { unread: 1 });
        assert.equal(await syncBadge(bob), 1);
        await setPusher(bob, { kind: null, app_id: "org.example.app", pushkey: "bob-phone" });
      });

      it("sends only IDs and counts to an event_id_only pusher", async () => {
        const { client: alice } = await user("alice");
        const { client: dave } = await user("dave");
        await setPusher(dave, pusher("dave-phone", gateway.url, { data: { url: gateway.url, format: "event_id_only" } }));
        const roomId = await room(alice, [dave]);
        const eventId = await send(alice, roomId, { msgtype: "m.text", body: "secret" });
        const got = await waitFor("the push", () => gateway.events("dave-phone").find((n) => n.event_id === eventId));
        assert.deepEqual(Object.keys(got).sort(), ["counts", "devices", "event_id", "prio", "room_id"]);
        assert.equal(got["room_id"], roomId);
        assert.deepEqual(got.counts, { unread: 1 });
        assert.deepEqual(got.devices[0]!.data, { format: "event_id_only" });
        assert.equal(got.devices[0]!.tweaks, undefined);
      });

      it("removes a pusher whose pushkey the gateway rejects", async () => {
        const { client: alice } = await user("alice");
        const { client: erin } = await user("erin");
        gateway.behaviour.set("erin-expired", { reject: true });
        await setPusher(erin, pusher("erin-expired", gateway.url));
        const roomId = await room(alice, [erin]);
        await send(alice, roomId, { msgtype: "m.text", body: "anyone?" });
        await waitFor("the push", () => gateway.events("erin-expired")[0]);
        await waitFor("the pusher's removal", async () => ((await pushers(erin)).length === 0 ? true : undefined));
      });

      it("keeps sending fast and other pushers prompt while one gateway is slow and another down", async () => {
        const { client: alice } = await user("alice");
        const { client: frank } = await user("frank");
        const { client: gina } = await user("gina");
        const { client: hank } = await user("hank");
        gateway.behaviour.set("frank-slow", { delayMs: 5_000 });
        await setPusher(frank, pusher("frank-slow", gateway.url));
        await setPusher(hank, pusher("hank-dead", `http://127.0.0.1:${await freePort()}${NOTIFY}`));
        await setPusher(gina, pusher("gina-fine", gateway.url));
        const roomId = await room(alice, [frank, gina, hank]);
        const latencies: number[] = [];
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) {
          const start = Date.now();
          ids.push(await send(alice, roomId, { msgtype: "m.text", body: `message ${i}` }));
          latencies.push(Date.now() - start);
        }
        assert.ok(Math.max(...latencies) < 1_000, `sends stay fast: ${latencies.join(", ")} ms`);
        const sentAt = Date.now();
        await waitFor("gina's pushes", () => (gateway.events("gina-fine").length >= 5 ? true : undefined));
        assert.ok(Date.now() - sentAt < 2_000, "gina's pushes do not wait for frank's gateway");
        assert.ok(gateway.events("frank-slow").length <= 1, "frank's gateway is still busy with the first");
        // Frank's gateway answers after 5 s each: his pushes come, one at a time, in order.
        await waitFor("frank's second push", () => gateway.events("frank-slow")[1], 15_000);
        assert.deepEqual(
          gateway.events("frank-slow").map((n) => n.event_id),
          ids.slice(0, gateway.events("frank-slow").length),
        );
        gateway.behaviour.delete("frank-slow");
        await setPusher(frank, { kind: null, app_id: "org.example.app", pushkey: "frank-slow" });
        await setPusher(hank, { kind: null, app_id: "org.example.app", pushkey: "hank-dead" });
      });

      it("retries once a gateway that was down is back", async () => {
        const { client: alice } = await user("alice");
        const { client: ivan } = await user("ivan");
        const port = await freePort();
        await setPusher(ivan, pusher("ivan-phone", `http://127.0.0.1:${port}${NOTIFY}`));
        const roomId = await room(alice, [ivan]);
        const first = await send(alice, roomId, { msgtype: "m.text", body: "one" });
        await sleep(700); // a few failed attempts
        const second = await send(alice, roomId, { msgtype: "m.text", body: "two" });
        const back = await Gateway.start(port);
        try {
          await waitFor("both pushes", () => (back.events("ivan-phone").length >= 2 ? true : undefined));
          assert.deepEqual(
            back.events("ivan-phone").map((n) => n.event_id),
            [first, second],
          );
          assert.deepEqual(back.events("ivan-phone")[1]!.counts, { unread: 1 });
        } finally {
          await back.close();
        }
        await setPusher(ivan, { kind: null, app_id: "org.example.app", pushkey: "ivan-phone" });
      });

      it("does not reach a gateway at a blocked address", async () => {
        const { client: alice } = await user("alice");
        const { client: judy } = await user("judy");
        // 127.0.0.2 is loopback too, but only 127.0.0.1 is allowed by this server's config.
        const blocked = await Gateway.start(0, "127.0.0.2");
        try {
          await setPusher(judy, pusher("judy-phone", blocked.url));
          const roomId = await room(alice, [judy]);
          await send(alice, roomId, { msgtype: "m.text", body: "hello" });
          await sleep(1_000);
          assert.equal(blocked.received.length, 0);
        } finally {
          await blocked.close();
        }
        await setPusher(judy, { kind: null, app_id: "org.example.app", pushkey: "judy-phone" });
      });
    });

    describe("the life of a pusher", () => {
      async function login(name: string): Promise<ApiClient> {
        const res = await new ApiClient(hs.url).post<{ access_token: string }>(`${V3}/login`, { type: "m.login.password", user: name, password: "correct horse battery" }, { token: null });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        return new ApiClient(hs.url, res.body.access_token);
      }

      it("goes when its device logs out or is logged out by a password change", async () => {
        const { client: kim } = await user("kim");
        await setPusher(kim, pusher("kim-main", gateway.url));
        const second = await login("kim");
        await setPusher(second, pusher("kim-second", gateway.url));
        assert.equal((await pushers(kim)).length, 2);
        assert.equal((await second.post(`${V3}/logout`, {})).status, 200);
        assert.deepEqual((await pushers(kim)).map((p) => p["pushkey"]), ["kim-main"]);

        const third = await login("kim");
        await setPusher(third, pusher("kim-third", gateway.url));
        const first = await third.post(`${V3}/account/password`, { new_password: "correct horse battery" });
        const changed = await third.post(`${V3}/account/password`, {
          new_password: "correct horse battery",
          auth: { type: "m.login.password", session: first.body["session"], identifier: { type: "m.id.user", user: "kim" }, password: "correct horse battery" },
        });
        assert.equal(changed.status, 200, JSON.stringify(changed.body));
        assert.deepEqual((await pushers(third)).map((p) => p["pushkey"]), ["kim-third"], "only the pusher of the device that changed the password stays");
      });

      it("goes when the account is deactivated", async () => {
        const { client: liz, userId } = await user("liz");
        await setPusher(liz, pusher("liz-phone", gateway.url));
        const first = await liz.post(`${V3}/account/deactivate`, {});
        const res = await liz.post(`${V3}/account/deactivate`, { auth: { type: "m.login.password", session: first.body["session"], user: "liz", password: "correct horse battery" } });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        // Her token is gone with her account: the store says what GET /pushers no longer can.
        assert.deepEqual(await hs.server.context.stores.pushers.ofUser(userId), []);
      });

      it("keeps what was not delivered across a restart", async () => {
        const { client: alice } = await user("alice");
        const { client: mike } = await user("mike");
        const port = await freePort();
        await setPusher(mike, pusher("mike-phone", `http://127.0.0.1:${port}${NOTIFY}`));
        const roomId = await room(alice, [mike]);
        const eventId = await send(alice, roomId, { msgtype: "m.text", body: "while you were out" });
        await sleep(300);
        await hs.stop();
        const back = await Gateway.start(port);
        try {
          hs = await hs.restart();
          const got = await waitFor("the push after the restart", () => back.events("mike-phone").find((n) => n.event_id === eventId));
          assert.deepEqual(got.counts, { unread: 1 });
          assert.equal(back.events("mike-phone").length, 1, "sent once");
        } finally {
          await back.close();
        }
      });
    });
  });
}
