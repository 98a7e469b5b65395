import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { ApiClient } from "../harness/client.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { DATABASE_KINDS, isPostgresAvailable, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";

const V3 = "/_matrix/client/v3";

for (const database of DATABASE_KINDS) {
describe(`accounts over HTTP on ${database}`, { skip: database === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false }, () => {
  let hs: TestServer;
  let api: ApiClient;

  before(async () => {
    hs = await startTestServer({ database });
    api = new ApiClient(hs.url);
  });
  after(async () => hs.destroy());

  it("registers with the dummy stage, then whoami names the user and device", async () => {
    const client = new ApiClient(hs.url);
    const registered = await client.register("alice");
    assert.equal(registered.user_id, "@alice:localhost");
    const who = await client.get(`${V3}/account/whoami`);
    assert.equal(who.status, 200);
    assert.deepEqual(who.body, { user_id: "@alice:localhost", device_id: registered.device_id, is_guest: false });
    // The r0 alias answers the same.
    assert.equal((await client.get("/_matrix/client/r0/account/whoami")).status, 200);
  });

  it("refuses taken and invalid user names with the spec's codes", async () => {
    await new ApiClient(hs.url).register("bob");
    const taken = await api.get(`${V3}/register/available?username=bob`);
    assert.equal(taken.status, 400);
    assert.equal(taken.body["errcode"], "M_USER_IN_USE");
    const invalid = await api.get(`${V3}/register/available?username=${encodeURIComponent("Bad Name!")}`);
    assert.equal(invalid.body["errcode"], "M_INVALID_USERNAME");
    const free = await api.get(`${V3}/register/available?username=carol`);
    assert.deepEqual(free.body, { available: true });
    const again = await api.post(`${V3}/register`, { username: "bob", password: "long enough password" }, { token: null });
    assert.equal(again.body["errcode"], "M_USER_IN_USE");
  });

  it("logs in with every identifier form and logs out", async () => {
    const client = new ApiClient(hs.url);
    await client.register("dave", "dave's password");
    const flows = await api.get(`${V3}/login`);
    assert.ok((flows.body["flows"] as { type: string }[]).some((f) => f.type === "m.login.password"));
    for (const body of [
      { type: "m.login.password", identifier: { type: "m.id.user", user: "dave" }, password: "dave's password" },
      { type: "m.login.password", identifier: { type: "m.id.user", user: "@dave:localhost" }, password: "dave's password" },
      { type: "m.login.password", identifier: { type: "m.id.user", user: "DAVE" }, password: "dave's password" },
      { type: "m.login.password", user: "dave", password: "dave's password" },
    ]) {
      const res = await api.post(`${V3}/login`, body, { token: null });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body["user_id"], "@dave:localhost");
      const token = res.body["access_token"] as string;
      assert.equal((await api.post(`${V3}/logout`, {}, { token })).status, 200);
      const gone = await api.get(`${V3}/account/whoami`, { token });
      assert.equal(gone.status, 401);
      assert.equal(gone.body["errcode"], "M_UNKNOWN_TOKEN");
    }
    const wrong = await api.post(`${V3}/login`, { type: "m.login.password", identifier: { type: "m.id.user", user: "dave" }, password: "nope" }, { token: null });
    assert.equal(wrong.status, 403);
    assert.equal(wrong.body["errcode"], "M_FORBIDDEN");
  });

  it("answers missing and unknown tokens with 401", async () => {
    const missing = await api.get(`${V3}/account/whoami`, { token: null });
    assert.equal(missing.status, 401);
    assert.equal(missing.body["errcode"], "M_MISSING_TOKEN");
    const unknown = await api.get(`${V3}/account/whoami`, { token: "nonsense" });
    assert.equal(unknown.body["errcode"], "M_UNKNOWN_TOKEN");
    const viaQuery = await new ApiClient(hs.url).register("erin");
    const byQuery = await api.get(`${V3}/account/whoami?access_token=${viaQuery.access_token}`, { token: null });
    assert.equal(byQuery.body["user_id"], "@erin:localhost");
  });

  it("manages devices, deleting them through user-interactive auth", async () => {
    const client = new ApiClient(hs.url);
    await client.register("frank", "frank password");
    const second = await api.post(`${V3}/login`, { type: "m.login.password", user: "frank", password: "frank password", device_id: "PHONE", initial_device_display_name: "Phone" }, { token: null });
    assert.equal(second.body["device_id"], "PHONE");
    const list = await client.get<{ devices: { device_id: string; display_name?: string }[] }>(`${V3}/devices`);
    assert.equal(list.body.devices.length, 2);
    assert.equal((await client.put(`${V3}/devices/PHONE`, { display_name: "Old phone" })).status, 200);
    assert.equal((await client.get(`${V3}/devices/PHONE`)).body["display_name"], "Old phone");
    assert.equal((await client.get(`${V3}/devices/NOPE`)).status, 404);

    const challenge = await client.delete(`${V3}/devices/PHONE`, {});
    assert.equal(challenge.status, 401);
    assert.deepEqual(challenge.body["flows"], [{ stages: ["m.login.password"] }]);
    const session = challenge.body["session"] as string;
    const badPassword = await client.delete(`${V3}/devices/PHONE`, { auth: { type: "m.login.password", session, identifier: { type: "m.id.user", user: "frank" }, password: "wrong" } });
    assert.equal(badPassword.status, 401);
    assert.equal(badPassword.body["errcode"], "M_FORBIDDEN");
    const done = await client.delete(`${V3}/devices/PHONE`, { auth: { type: "m.login.password", session, identifier: { type: "m.id.user", user: "frank" }, password: "frank password" } });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal((await api.get(`${V3}/account/whoami`, { token: second.body["access_token"] as string })).status, 401);
    assert.equal((await client.get<{ devices: unknown[] }>(`${V3}/devices`)).body.devices.length, 1);
  });

  it("changes the password, logging out other devices", async () => {
    const client = new ApiClient(hs.url);
    await client.register("gina", "first password");
    const other = await api.post(`${V3}/login`, { type: "m.login.password", user: "gina", password: "first password" }, { token: null });
    const first = await client.post(`${V3}/account/password`, { new_password: "second password" });
    assert.equal(first.status, 401);
    const res = await client.post(`${V3}/account/password`, {
      new_password: "second password",
      auth: { type: "m.login.password", session: first.body["session"], identifier: { type: "m.id.user", user: "gina" }, password: "first password" },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal((await client.get(`${V3}/account/whoami`)).status, 200, "the requesting device stays logged in");
    assert.equal((await api.get(`${V3}/account/whoami`, { token: other.body["access_token"] as string })).status, 401);
    const login = await api.post(`${V3}/login`, { type: "m.login.password", user: "gina", password: "second password" }, { token: null });
    assert.equal(login.status, 200);
  });

  it("deactivates an account for good", async () => {
    const client = new ApiClient(hs.url);
    await client.register("hank", "hank password");
    const first = await client.post(`${V3}/account/deactivate`, {});
    const res = await client.post(`${V3}/account/deactivate`, {
      auth: { type: "m.login.password", session: first.body["session"], user: "hank", password: "hank password" },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal((await client.get(`${V3}/account/whoami`)).status, 401);
    const login = await api.post(`${V3}/login`, { type: "m.login.password", user: "hank", password: "hank password" }, { token: null });
    assert.equal(login.status, 403);
    assert.equal((await api.get(`${V3}/register/available?username=hank`)).body["errcode"], "M_USER_IN_USE");
  });

  it("rotates refresh tokens", async () => {
    const first = await api.post(`${V3}/register`, { username: "ivy", password: "ivy password", refresh_token: true }, { token: null });
    const res = await api.post(`${V3}/register`, { auth: { type: "m.login.dummy", session: first.body["session"] } }, { token: null });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(typeof res.body["refresh_token"], "string");
    assert.equal(typeof res.body["expires_in_ms"], "number");
    const refreshed = await api.post(`${V3}/refresh`, { refresh_token: res.body["refresh_token"] }, { token: null });
    assert.equal(refreshed.status, 200);
    assert.notEqual(refreshed.body["access_token"], res.body["access_token"]);
    assert.equal((await api.get(`${V3}/account/whoami`, { token: refreshed.body["access_token"] as string })).body["user_id"], "@ivy:localhost");
    // Once the new access token was used, the old refresh token is retired.
    const reused = await api.post(`${V3}/refresh`, { refresh_token: res.body["refresh_token"] }, { token: null });
    assert.equal(reused.status, 401);
    assert.equal((await api.post(`${V3}/refresh`, { refresh_token: "garbage" }, { token: null })).body["errcode"], "M_UNKNOWN_TOKEN");
  });

  it("logs in with a token from /login/get_token, once", async () => {
    const client = new ApiClient(hs.url);
    await client.register("jack", "jack password");
    const challenge = await client.post("/_matrix/client/v1/login/get_token", {});
    const issued = await client.post("/_matrix/client/v1/login/get_token", {
      auth: { type: "m.login.password", session: challenge.body["session"], user: "jack", password: "jack password" },
    });
    assert.equal(issued.status, 200, JSON.stringify(issued.body));
    const token = issued.body["login_token"];
    const login = await api.post(`${V3}/login`, { type: "m.login.token", token }, { token: null });
    assert.equal(login.body["user_id"], "@jack:localhost");
    assert.equal((await api.post(`${V3}/login`, { type: "m.login.token", token }, { token: null })).status, 403);
  });

  it("registers admins by shared secret (nonce + HMAC-SHA1)", async () => {
    const { nonce } = (await api.get("/_synapse/admin/v1/register")).body as { nonce: string };
    const mac = createHmac("sha1", "test-shared-secret-0123456789").update(`${nonce}\x00root\x00root password\x00admin`).digest("hex");
    const res = await api.post("/_synapse/admin/v1/register", { nonce, username: "root", password: "root password", admin: true, mac }, { token: null });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body["user_id"], "@root:localhost");
    const replay = await api.post("/_synapse/admin/v1/register", { nonce, username: "root2", password: "root password", admin: true, mac }, { token: null });
    assert.equal(replay.status, 400, "a nonce is single-use");
    const { nonce: n2 } = (await api.get("/_synapse/admin/v1/register")).body as { nonce: string };
    const bad = await api.post("/_synapse/admin/v1/register", { nonce: n2, username: "x", password: "xxxxxxxxxx", admin: false, mac: "00" }, { token: null });
    assert.equal(bad.status, 403);
  });

  it("answers bad requests with spec errors, CORS and 404/405", async () => {
    const notJson = await api.request("POST", `${V3}/login`, undefined, { rawBody: "{not json", headers: { "content-type": "application/json" } });
    assert.equal(notJson.status, 400);
    assert.equal(notJson.body["errcode"], "M_NOT_JSON");
    const badType = await api.post(`${V3}/login`, { type: 5 }, { token: null });
    assert.equal(badType.body["errcode"], "M_BAD_JSON");
    const unknown = await api.get(`${V3}/no/such/endpoint`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body["errcode"], "M_UNRECOGNIZED");
    const wrongMethod = await api.request("DELETE", `${V3}/login`);
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.body["errcode"], "M_UNRECOGNIZED");
    const options = await api.request("OPTIONS", `${V3}/login`);
    assert.equal(options.status, 200);
    assert.equal(options.headers.get("access-control-allow-origin"), "*");
    assert.match(options.headers.get("access-control-allow-headers") ?? "", /Authorization/);
    const huge = await api.request("POST", `${V3}/login`, undefined, { rawBody: `{"type":"${"x".repeat(2 * 1024 * 1024)}"}`, headers: { "content-type": "application/json" } });
    assert.equal(huge.status, 413);
    assert.equal(huge.body["errcode"], "M_TOO_LARGE");
    const versions = await api.get("/_matrix/client/versions");
    assert.ok((versions.body["versions"] as string[]).includes("v1.1"));
    assert.ok((versions.body["versions"] as string[]).includes("v1.11"), "authenticated media is served");
  });
});
}

describe("registration settings", () => {
  it("requires a registration token when configured, spending each use once", async () => {
    const hs = await startTestServer({ config: { registration: { enabled: false, tokens_required: true } } });
    try {
      const api = new ApiClient(hs.url);
      const first = await api.post(`${V3}/register`, { username: "kim", password: "kim password" }, { token: null });
      assert.equal(first.status, 401);
      assert.deepEqual(first.body["flows"], [{ stages: ["m.login.registration_token"] }]);
      const wrong = await api.post(`${V3}/register`, { auth: { type: "m.login.registration_token", token: "nope", session: first.body["session"] } }, { token: null });
      assert.equal(wrong.status, 401);
      assert.equal((await api.get(`/_matrix/client/v1/register/m.login.registration_token/validity?token=nope`)).body["valid"], false);
    } finally {
      await hs.destroy();
    }
  });

  it("refuses registration when it is disabled", async () => {
    const hs = await startTestServer({ config: { registration: { enabled: false, tokens_required: false } } });
    try {
      const res = await new ApiClient(hs.url).post(`${V3}/register`, { username: "x", password: "xxxxxxxxxxx" }, { token: null });
      assert.equal(res.status, 403);
      assert.equal(res.body["errcode"], "M_FORBIDDEN");
    } finally {
      await hs.destroy();
    }
  });

  it("rate-limits logins with 429 and retry_after_ms", async () => {
    const hs = await startTestServer({ config: { rate_limits: { enabled: true, login: { per_second: 0.1, burst: 2 } } } });
    try {
      const api = new ApiClient(hs.url);
      const statuses: number[] = [];
      let last: Record<string, unknown> = {};
      for (let i = 0; i < 4; i++) {
        const res = await api.post(`${V3}/login`, { type: "m.login.password", user: "nobody", password: "x" }, { token: null });
        statuses.push(res.status);
        last = res.body;
      }
      assert.deepEqual(statuses, [403, 403, 429, 429]);
      assert.equal(last["errcode"], "M_LIMIT_EXCEEDED");
      assert.equal(typeof last["retry_after_ms"], "number");
    } finally {
      await hs.destroy();
    }
  });
});
