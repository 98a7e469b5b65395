/** Account locking and suspension by server admins (GET/PUT /_matrix/client/v1/admin/{lock,suspend}/{userId}). */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { ApiClient } from "../harness/client.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { DATABASE_KINDS, isPostgresAvailable, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";

const V1 = "/_matrix/client/v1";
const V3 = "/_matrix/client/v3";
const enc = encodeURIComponent;
const PASSWORD = "correct horse battery";

async function registerAdmin(hs: TestServer, name: string): Promise<ApiClient> {
  const client = new ApiClient(hs.url);
  const { nonce } = (await client.get("/_synapse/admin/v1/register")).body as { nonce: string };
  const mac = createHmac("sha1", "test-shared-secret-0123456789").update(`${nonce}\x00${name}\x00${PASSWORD}\x00admin`).digest("hex");
  const res = await client.post<{ access_token: string }>("/_synapse/admin/v1/register", { nonce, username: name, password: PASSWORD, admin: true, mac }, { token: null });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  client.accessToken = res.body.access_token;
  return client;
}

for (const database of DATABASE_KINDS) {
describe(`account locking and suspension on ${database}`, { skip: database === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false }, () => {
  let hs: TestServer;
  let admin: ApiClient;
  let otherAdmin: ApiClient;
  let txn = 0;

  const user = async (name: string): Promise<ApiClient> => {
    const client = new ApiClient(hs.url);
    await client.register(name, PASSWORD);
    return client;
  };
  const login = async (name: string): Promise<ApiClient> => {
    const res = await new ApiClient(hs.url).post<{ access_token: string }>(`${V3}/login`, { type: "m.login.password", identifier: { type: "m.id.user", user: name }, password: PASSWORD }, { token: null });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return new ApiClient(hs.url, res.body.access_token);
  };
  const lockPath = (userId: string): string => `${V1}/admin/lock/${enc(userId)}`;
  const suspendPath = (userId: string): string => `${V1}/admin/suspend/${enc(userId)}`;

  before(async () => {
    hs = await startTestServer({ database });
    admin = await registerAdmin(hs, "root");
    otherAdmin = await registerAdmin(hs, "root2");
  });
  after(async () => hs.destroy());

  it("advertises account moderation to admins only", async () => {
    const plain = await user("capuser");
    const forAdmin = await admin.get<{ capabilities: Record<string, unknown> }>(`${V3}/capabilities`);
    assert.deepEqual(forAdmin.body.capabilities["m.account_moderation"], { suspend: true, lock: true });
    const forUser = await plain.get<{ capabilities: Record<string, unknown> }>(`${V3}/capabilities`);
    assert.equal(forUser.body.capabilities["m.account_moderation"], undefined);
  });

  it("checks admin rights before looking anyone up, then the target", async () => {
    const plain = await user("nosy");
    for (const path of [lockPath, suspendPath]) {
      for (const target of ["@root:localhost", "@nobody:localhost", "@x:elsewhere.example"]) {
        const read = await plain.get(path(target));
        assert.equal(read.status, 403, `${path(target)}: ${JSON.stringify(read.body)}`);
        assert.equal(read.body["errcode"], "M_FORBIDDEN");
        const write = await plain.put(path(target), path === lockPath ? { locked: true } : { suspended: true });
        assert.equal(write.status, 403);
      }
      const remote = await admin.get(path("@x:elsewhere.example"));
      assert.equal(remote.status, 400);
      assert.equal(remote.body["errcode"], "M_INVALID_PARAM");
      const unknown = await admin.get(path("@nobody:localhost"));
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body["errcode"], "M_NOT_FOUND");
      const self = await admin.put(path("@root:localhost"), path === lockPath ? { locked: true } : { suspended: true });
      assert.equal(self.status, 403, "admins cannot moderate themselves");
      const peer = await admin.put(path("@root2:localhost"), path === lockPath ? { locked: true } : { suspended: true });
      assert.equal(peer.status, 403, "nor other admins");
      assert.equal((await admin.get(path("@root2:localhost"))).status, 403);
      const badBody = await admin.put(path("@nosy:localhost"), { locked: "yes", suspended: "yes" });
      assert.equal(badBody.status, 400);
    }
    assert.equal((await otherAdmin.get(lockPath("@root2:localhost"))).status, 200, "an admin may read their own status");
    const gone = await user("gone");
    const deactivated = await gone.post(`${V3}/account/deactivate`, { auth: { type: "m.login.password", identifier: { type: "m.id.user", user: "gone" }, password: PASSWORD } });
    assert.equal(deactivated.status, 200, JSON.stringify(deactivated.body));
    assert.equal((await admin.get(lockPath("@gone:localhost"))).status, 404, "deactivated users are not found");
  });

  it("locks an account: every request but logout gets 401 M_USER_LOCKED with soft_logout, until unlocked", async () => {
    const locked = await user("lockme");
    const secondSession = await login("lockme");
    const withRefresh = await new ApiClient(hs.url).post<{ refresh_token: string }>(`${V3}/login`, { type: "m.login.password", identifier: { type: "m.id.user", user: "lockme" }, password: PASSWORD, refresh_token: true }, { token: null });
    const refreshToken = withRefresh.body.refresh_token;
    assert.ok(refreshToken, JSON.stringify(withRefresh.body));
    assert.deepEqual((await admin.get(lockPath("@lockme:localhost"))).body, { locked: false });
    const set = await admin.put(lockPath("@lockme:localhost"), { locked: true });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.deepEqual(set.body, { locked: true });
    assert.deepEqual((await admin.get(lockPath("@lockme:localhost"))).body, { locked: true });

    for (const path of ["/account/whoami", "/sync?timeout=0", "/joined_rooms"]) {
      const res = await locked.get(`${V3}${path}`);
      assert.equal(res.status, 401, path);
      assert.equal(res.body["errcode"], "M_USER_LOCKED");
      assert.equal(res.body["soft_logout"], true);
    }
    const relogin = await locked.post(`${V3}/login`, { type: "m.login.password", identifier: { type: "m.id.user", user: "lockme" }, password: PASSWORD }, { token: null });
    assert.equal(relogin.status, 401, "no new tokens while locked");
    assert.equal(relogin.body["errcode"], "M_USER_LOCKED");
    const refreshed = await new ApiClient(hs.url).post(`${V3}/refresh`, { refresh_token: refreshToken }, { token: null });
    assert.equal(refreshed.status, 401, "no refreshed tokens while locked");
    assert.equal(refreshed.body["errcode"], "M_USER_LOCKED");
    assert.equal(refreshed.body["soft_logout"], true);
    const loggedOut = await secondSession.post(`${V3}/logout`, {});
    assert.equal(loggedOut.status, 200, `logout is allowed: ${JSON.stringify(loggedOut.body)}`);
    const afterLogout = await secondSession.get(`${V3}/account/whoami`);
    assert.equal(afterLogout.body["errcode"], "M_UNKNOWN_TOKEN");

    const unset = await admin.put(lockPath("@lockme:localhost"), { locked: false });
    assert.deepEqual(unset.body, { locked: false });
    const back = await locked.get(`${V3}/account/whoami`);
    assert.equal(back.status, 200, "the session survived the lock");
    assert.equal(back.body["user_id"], "@lockme:localhost");
  });

  it("suspends an account: it may read, leave and redact its own events, not act", async () => {
    const owner = await user("roomowner");
    const suspended = await user("suspendme");
    const created = await owner.post<{ room_id: string }>(`${V3}/createRoom`, { preset: "public_chat" });
    const roomId = created.body.room_id;
    const other = await owner.post<{ room_id: string }>(`${V3}/createRoom`, { preset: "public_chat" });
    assert.equal((await suspended.post(`${V3}/join/${enc(roomId)}`, {})).status, 200);
    const own = await suspended.put<{ event_id: string }>(`${V3}/rooms/${enc(roomId)}/send/m.room.message/s${++txn}`, { msgtype: "m.text", body: "mine" });
    const theirs = await owner.put<{ event_id: string }>(`${V3}/rooms/${enc(roomId)}/send/m.room.message/s${++txn}`, { msgtype: "m.text", body: "theirs" });

    const set = await admin.put(suspendPath("@suspendme:localhost"), { suspended: true });
    assert.deepEqual(set.body, { suspended: true });
    assert.deepEqual((await admin.get(suspendPath("@suspendme:localhost"))).body, { suspended: true });

    const expectSuspended = (res: { status: number; body: Record<string, unknown> }, what: string): void => {
      assert.equal(res.status, 403, `${what}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body["errcode"], "M_USER_SUSPENDED", what);
    };
    assert.equal((await suspended.get(`${V3}/account/whoami`)).status, 200, "still logged in");
    assert.equal((await suspended.get(`${V3}/sync?timeout=0`)).status, 200, "may sync");
    assert.equal((await suspended.get(`${V3}/rooms/${enc(roomId)}/messages?dir=b`)).status, 200, "may read history");
    assert.equal((await login("suspendme")).accessToken !== undefined, true, "may log in");

    expectSuspended(await suspended.put(`${V3}/rooms/${enc(roomId)}/send/m.room.message/s${++txn}`, { msgtype: "m.text", body: "no" }), "send");
    expectSuspended(await suspended.put(`${V3}/rooms/${enc(roomId)}/state/m.room.topic`, { topic: "no" }), "state");
    expectSuspended(await suspended.post(`${V3}/join/${enc(other.body.room_id)}`, {}), "join");
    expectSuspended(await suspended.post(`${V3}/knock/${enc(other.body.room_id)}`, {}), "knock");
    expectSuspended(await suspended.post(`${V3}/rooms/${enc(roomId)}/invite`, { user_id: "@root:localhost" }), "invite");
    expectSuspended(await suspended.post(`${V3}/createRoom`, {}), "createRoom");
    expectSuspended(await suspended.put(`${V3}/profile/${enc("@suspendme:localhost")}/displayname`, { displayname: "new" }), "profile");
    expectSuspended(await suspended.put(`${V3}/rooms/${enc(roomId)}/redact/${enc(theirs.body.event_id)}/r${++txn}`, {}), "redact another's event");

    const redactOwn = await suspended.put(`${V3}/rooms/${enc(roomId)}/redact/${enc(own.body.event_id)}/r${++txn}`, {});
    assert.equal(redactOwn.status, 200, `may redact own events: ${JSON.stringify(redactOwn.body)}`);
    const left = await suspended.post(`${V3}/rooms/${enc(roomId)}/leave`, {});
    assert.equal(left.status, 200, "may leave");

    assert.deepEqual((await admin.put(suspendPath("@suspendme:localhost"), { suspended: false })).body, { suspended: false });
    assert.equal((await suspended.post(`${V3}/join/${enc(roomId)}`, {})).status, 200, "acts again once unsuspended");
    const sent = await suspended.put(`${V3}/rooms/${enc(roomId)}/send/m.room.message/s${++txn}`, { msgtype: "m.text", body: "back" });
    assert.equal(sent.status, 200);
  });
});
}
