/** OpenID request tokens, TURN credentials and /admin/whois. */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { ApiClient, registeredClients } from "../harness/client.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { DATABASE_KINDS, isPostgresAvailable, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";

const V3 = "/_matrix/client/v3";
const enc = encodeURIComponent;
const SHARED_SECRET = "test-shared-secret-0123456789";

/** Registers a server admin through the shared-secret admin API. */
async function registerAdmin(hs: TestServer, name: string): Promise<ApiClient> {
  const client = new ApiClient(hs.url);
  const { nonce } = (await client.get("/_synapse/admin/v1/register")).body as { nonce: string };
  const password = "admin password";
  const mac = createHmac("sha1", SHARED_SECRET).update(`${nonce}\x00${name}\x00${password}\x00admin`).digest("hex");
  const res = await client.post<{ access_token: string }>("/_synapse/admin/v1/register", { nonce, username: name, password, admin: true, mac }, { token: null });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  client.accessToken = res.body.access_token;
  return client;
}

async function registerGuest(hs: TestServer): Promise<ApiClient> {
  const client = new ApiClient(hs.url);
  const res = await client.post<{ access_token: string }>(`${V3}/register?kind=guest`, {}, { token: null });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  client.accessToken = res.body.access_token;
  return client;
}

for (const database of DATABASE_KINDS) {
describe(`OpenID, TURN and whois on ${database}`, { skip: database === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false }, () => {
  let hs: TestServer;
  let alice: ApiClient;

  before(async () => {
    hs = await startTestServer({ database, config: { registration: { allow_guests: true } } });
    // bob exists so that requests about him are about a real user.
    [alice] = await registeredClients(hs.url, "alice", "bob");
  });
  after(async () => hs.destroy());

  describe("OpenID", () => {
    it("issues a token for oneself that identifies the user, and nothing more", async () => {
      const res = await alice.post<{ access_token: string; token_type: string; matrix_server_name: string; expires_in: number }>(
        `${V3}/user/${enc("@alice:localhost")}/openid/request_token`,
        {},
      );
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.token_type, "Bearer");
      assert.equal(res.body.matrix_server_name, "localhost");
      assert.equal(res.body.expires_in, 3600);
      assert.equal(typeof res.body.access_token, "string");
      assert.ok(res.body.access_token.length >= 20);
      // The token is what the federation userinfo endpoint exchanges for the user ID.
      assert.equal(await hs.server.context.services.openId.userForToken(res.body.access_token), "@alice:localhost");
      assert.equal(await hs.server.context.services.openId.userForToken("not-a-token"), undefined);
      // It is not an access token.
      const whoami = await alice.get(`${V3}/account/whoami`, { token: res.body.access_token });
      assert.equal(whoami.status, 401);
      const second = await alice.post<{ access_token: string }>(`${V3}/user/${enc("@alice:localhost")}/openid/request_token`, {});
      assert.notEqual(second.body.access_token, res.body.access_token, "each request gets a new token");
    });

    it("refuses tokens for other users and unauthenticated requests", async () => {
      const other = await alice.post(`${V3}/user/${enc("@bob:localhost")}/openid/request_token`, {});
      assert.equal(other.status, 403);
      assert.equal(other.body["errcode"], "M_FORBIDDEN");
      const anonymous = await alice.post(`${V3}/user/${enc("@alice:localhost")}/openid/request_token`, {}, { token: null });
      assert.equal(anonymous.status, 401);
    });
  });

  describe("TURN", () => {
    it("answers {} when no TURN server is configured", async () => {
      const res = await alice.get(`${V3}/voip/turnServer`);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, {});
      assert.equal((await alice.get(`${V3}/voip/turnServer`, { token: null })).status, 401);
    });

    it("gives time-limited coturn REST credentials with a shared secret", async () => {
      const turn = await startTestServer({
        database,
        config: { registration: { allow_guests: true }, turn: { uris: ["turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349"], shared_secret: "coturn-secret", user_lifetime_ms: 3_600_000 } },
      });
      try {
        const client = new ApiClient(turn.url);
        await client.register("caller");
        const startS = Math.floor(Date.now() / 1000);
        const res = await client.get<{ username: string; password: string; uris: string[]; ttl: number }>(`${V3}/voip/turnServer`);
        const endS = Math.ceil(Date.now() / 1000);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.deepEqual(res.body.uris, ["turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349"]);
        assert.equal(res.body.ttl, 3600);
        const match = /^(\d+):(@caller:localhost)$/.exec(res.body.username);
        assert.ok(match, res.body.username);
        const expiry = Number(match[1]);
        assert.ok(expiry >= startS + 3600 && expiry <= endS + 3600, `expiry ${expiry} is an hour from now`);
        // coturn checks base64(HMAC-SHA1(secret, username)).
        assert.equal(res.body.password, createHmac("sha1", "coturn-secret").update(res.body.username).digest("base64"));
        const guest = await registerGuest(turn);
        const guestRes = await guest.get<{ username: string }>(`${V3}/voip/turnServer`);
        assert.equal(guestRes.status, 200, "guests get credentials by default");
        assert.match(guestRes.body.username, /^\d+:@\d+:localhost$/);
      } finally {
        await turn.destroy();
      }
    });

    it("gives static credentials, and refuses guests when configured so", async () => {
      const turn = await startTestServer({
        database,
        config: { registration: { allow_guests: true }, turn: { uris: ["turn:turn.example.org"], username: "static-user", password: "static-pass", allow_guests: false } },
      });
      try {
        const client = new ApiClient(turn.url);
        await client.register("caller");
        const res = await client.get(`${V3}/voip/turnServer`);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.deepEqual(res.body, { username: "static-user", password: "static-pass", uris: ["turn:turn.example.org"], ttl: 86400 });
        const guest = await registerGuest(turn);
        const refused = await guest.get(`${V3}/voip/turnServer`);
        assert.equal(refused.status, 403);
        assert.equal(refused.body["errcode"], "M_FORBIDDEN");
      } finally {
        await turn.destroy();
      }
    });
  });

  describe("whois", () => {
    type Whois = { user_id: string; devices: Record<string, { sessions: { connections: { ip: string; last_seen: number; user_agent?: string }[] }[] }> };

    it("lets users look themselves up, with their devices and last connection", async () => {
      const login = await alice.post<{ device_id: string; access_token: string }>(`${V3}/login`, { type: "m.login.password", identifier: { type: "m.id.user", user: "alice" }, password: "correct horse battery", device_id: "WHOISDEV" }, { token: null });
      assert.equal(login.status, 200, JSON.stringify(login.body));
      const second = new ApiClient(hs.url, login.body.access_token);
      await second.request("GET", `${V3}/account/whoami`, undefined, { headers: { "user-agent": "whois-test/1.0" } });
      // The last-seen write happens after the response; wait for it.
      let res: Awaited<ReturnType<typeof alice.get<Whois>>> | undefined;
      for (let i = 0; i < 50; i++) {
        res = await alice.get<Whois>(`${V3}/admin/whois/${enc("@alice:localhost")}`);
        if (res.body.devices?.["WHOISDEV"]?.sessions[0]?.connections.length) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(res?.status, 200, JSON.stringify(res?.body));
      assert.equal(res?.body.user_id, "@alice:localhost");
      const devices = res?.body.devices ?? {};
      assert.ok(Object.keys(devices).length >= 2, "both of alice's devices");
      const connection = devices["WHOISDEV"]?.sessions[0]?.connections[0];
      assert.ok(connection, JSON.stringify(devices));
      assert.equal(connection.ip, "127.0.0.1");
      assert.equal(connection.user_agent, "whois-test/1.0");
      assert.ok(Math.abs(connection.last_seen - Date.now()) < 60_000);
    });

    it("refuses other users to non-admins, before revealing whether they exist", async () => {
      const other = await alice.get(`${V3}/admin/whois/${enc("@bob:localhost")}`);
      assert.equal(other.status, 403);
      assert.equal(other.body["errcode"], "M_FORBIDDEN");
      const unknown = await alice.get(`${V3}/admin/whois/${enc("@nobody:localhost")}`);
      assert.equal(unknown.status, 403);
      assert.equal((await alice.get(`${V3}/admin/whois/${enc("@alice:localhost")}`, { token: null })).status, 401);
    });

    it("lets server admins look up any local user", async () => {
      const admin = await registerAdmin(hs, "whoisadmin");
      const res = await admin.get<Whois>(`${V3}/admin/whois/${enc("@bob:localhost")}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.user_id, "@bob:localhost");
      assert.equal(Object.keys(res.body.devices).length, 1);
      const remote = await admin.get(`${V3}/admin/whois/${enc("@someone:elsewhere.example")}`);
      assert.equal(remote.status, 400);
      const invalid = await admin.get(`${V3}/admin/whois/${enc("not a user")}`);
      assert.equal(invalid.status, 400);
    });
  });
});
}
