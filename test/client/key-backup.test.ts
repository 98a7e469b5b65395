import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { ApiClient } from "../harness/client.js";
import { registeredClients } from "../harness/client.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { DATABASE_KINDS, isPostgresAvailable, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";

const V3 = "/_matrix/client/v3";
const ALGORITHM = "m.megolm_backup.v1.curve25519-aes-sha2";
const enc = encodeURIComponent;

interface KeyData {
  first_message_index: number;
  forwarded_count: number;
  is_verified: boolean;
  session_data: Record<string, unknown>;
}
type VersionInfo = { algorithm: string; auth_data: Record<string, unknown>; count: number; etag: string; version: string };
type KeysUpdate = { etag: string; count: number };

const ROOM = "!room:example.org";
const OTHER_ROOM = "!other:example.org";

function key(over: Partial<KeyData> = {}): KeyData {
  return { first_message_index: 0, forwarded_count: 0, is_verified: false, session_data: { ephemeral: "eph", ciphertext: "ct", mac: "mac" }, ...over };
}

function authData(publicKey = "abcdefg"): Record<string, unknown> {
  return { public_key: publicKey, signatures: { "@alice:localhost": { "ed25519:DEVICE": "sig" } } };
}

const sessionPath = (room: string, session: string, version: string): string => `${V3}/room_keys/keys/${enc(room)}/${enc(session)}?version=${enc(version)}`;
const roomPath = (room: string, version: string): string => `${V3}/room_keys/keys/${enc(room)}?version=${enc(version)}`;
const allPath = (version: string): string => `${V3}/room_keys/keys?version=${enc(version)}`;

async function createVersion(client: ApiClient, auth = authData()): Promise<string> {
  const res = await client.post<{ version: string }>(`${V3}/room_keys/version`, { algorithm: ALGORITHM, auth_data: auth });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(typeof res.body.version, "string");
  return res.body.version;
}

async function putSession(client: ApiClient, version: string, session: string, data: KeyData, room = ROOM): Promise<KeysUpdate> {
  const res = await client.put<KeysUpdate>(sessionPath(room, session, version), data);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

function assertError(res: { status: number; body: Record<string, unknown> }, status: number, errcode: string, what: string): void {
  assert.equal(res.status, status, `${what}: ${JSON.stringify(res.body)}`);
  assert.equal(res.body["errcode"], errcode, what);
}

for (const database of DATABASE_KINDS) {
  describe(`server-side key backups on ${database}`, { skip: database === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false }, () => {
    let hs: TestServer;
    let alice: ApiClient;
    let bob: ApiClient;
    let carol: ApiClient;
    let dave: ApiClient;
    let erin: ApiClient;

    before(async () => {
      hs = await startTestServer({ database });
      [alice, bob, carol, dave, erin] = await registeredClients(hs.url, "alice", "bob", "carol", "dave", "erin");
    });
    after(async () => hs.destroy());

    it("creates, reads, updates and deletes versions; numbers are increasing strings never reused", async () => {
      assertError(await alice.get(`${V3}/room_keys/version`), 404, "M_NOT_FOUND", "no backup yet");

      const first = await createVersion(alice);
      assert.equal(first, "1");
      const current = await alice.get<VersionInfo>(`${V3}/room_keys/version`);
      assert.equal(current.status, 200);
      assert.deepEqual({ ...current.body, etag: "-" }, { algorithm: ALGORITHM, auth_data: authData(), count: 0, etag: "-", version: "1" });
      assert.equal(typeof current.body.etag, "string");
      assert.deepEqual((await alice.get(`${V3}/room_keys/version/1`)).body, current.body);

      const second = await createVersion(alice, authData("second"));
      assert.equal(second, "2");
      assert.equal((await alice.get<VersionInfo>(`${V3}/room_keys/version`)).body.version, "2", "the newest version is current");

      // PUT replaces auth_data; `version` in the body is optional but must match the path.
      assert.equal((await alice.put(`${V3}/room_keys/version/2`, { algorithm: ALGORITHM, auth_data: authData("updated") })).status, 200);
      assert.equal((await alice.put(`${V3}/room_keys/version/2`, { algorithm: ALGORITHM, auth_data: authData("again"), version: "2" })).status, 200);
      assert.deepEqual((await alice.get<VersionInfo>(`${V3}/room_keys/version/2`)).body.auth_data, authData("again"));
      assertError(await alice.put(`${V3}/room_keys/version/2`, { algorithm: ALGORITHM, auth_data: authData(), version: "1" }), 400, "M_INVALID_PARAM", "body version differs");
      assertError(await alice.put(`${V3}/room_keys/version/2`, { algorithm: "org.example.other", auth_data: {} }), 400, "M_INVALID_PARAM", "algorithm differs");
      assertError(await alice.put(`${V3}/room_keys/version/7`, { algorithm: ALGORITHM, auth_data: authData() }), 404, "M_NOT_FOUND", "unknown version");
      assert.deepEqual((await alice.get<VersionInfo>(`${V3}/room_keys/version/2`)).body.auth_data, authData("again"), "refused updates change nothing");
      // An older version can be updated too.
      assert.equal((await alice.put(`${V3}/room_keys/version/1`, { algorithm: ALGORITHM, auth_data: authData("old") })).status, 200);

      // Deleting the current version makes the previous one current again; a deleted version is 404
      // everywhere, deleting it again is no error, and its number is not handed out again.
      assert.equal((await alice.delete(`${V3}/room_keys/version/2`)).status, 200);
      assertError(await alice.get(`${V3}/room_keys/version/2`), 404, "M_NOT_FOUND", "deleted version");
      assertError(await alice.put(`${V3}/room_keys/version/2`, { algorithm: ALGORITHM, auth_data: authData() }), 404, "M_NOT_FOUND", "update of a deleted version");
      assert.equal((await alice.get<VersionInfo>(`${V3}/room_keys/version`)).body.version, "1");
      assert.deepEqual((await alice.delete(`${V3}/room_keys/version/2`)).body, {});
      assertError(await alice.delete(`${V3}/room_keys/version/99`), 404, "M_NOT_FOUND", "deleting a version that never existed");
      assertError(await alice.delete(`${V3}/room_keys/version/abc`), 404, "M_NOT_FOUND", "deleting a version that cannot exist");
      assertError(await alice.get(`${V3}/room_keys/version/01`), 404, "M_NOT_FOUND", "versions are named as they were handed out");
      assert.equal(await createVersion(alice), "3");

      assert.equal((await alice.delete(`${V3}/room_keys/version/3`)).status, 200);
      assert.equal((await alice.delete(`${V3}/room_keys/version/1`)).status, 200);
      assertError(await alice.get(`${V3}/room_keys/version`), 404, "M_NOT_FOUND", "every version deleted");
      assert.equal(await createVersion(alice), "4");
      // The r0 alias answers too.
      assert.equal((await alice.get<VersionInfo>("/_matrix/client/r0/room_keys/version")).body.version, "4");
    });

    it("stores keys through all three PUT forms and reads them through all three GET forms, with etag and count", async () => {
      const version = await createVersion(bob);
      const initial = (await bob.get<VersionInfo>(`${V3}/room_keys/version`)).body;
      assert.deepEqual((await bob.get(allPath(version))).body, { rooms: {} });
      assert.deepEqual((await bob.get(roomPath(ROOM, version))).body, { sessions: {} }, "a room without keys is an empty map, as the spec says");
      assertError(await bob.get(sessionPath(ROOM, "nope", version)), 404, "M_NOT_FOUND", "a session not backed up");

      const one = await putSession(bob, version, "s1", key({ first_message_index: 3 }));
      assert.equal(one.count, 1);
      assert.notEqual(one.etag, initial.etag);

      const byRoom = await bob.put<KeysUpdate>(roomPath(ROOM, version), { sessions: { s2: key(), s3: key({ is_verified: true }) } });
      assert.equal(byRoom.status, 200);
      assert.equal(byRoom.body.count, 3);
      assert.notEqual(byRoom.body.etag, one.etag);

      const all = await bob.put<KeysUpdate>(allPath(version), {
        rooms: { [OTHER_ROOM]: { sessions: { t1: key({ forwarded_count: 2 }) } }, [ROOM]: { sessions: { s4: key() } } },
      });
      assert.equal(all.status, 200);
      assert.equal(all.body.count, 5);
      assert.notEqual(all.body.etag, byRoom.body.etag);

      const info = (await bob.get<VersionInfo>(`${V3}/room_keys/version/${version}`)).body;
      assert.equal(info.count, 5);
      assert.equal(info.etag, all.body.etag, "the version's etag is the one the last upload returned");

      assert.deepEqual((await bob.get(sessionPath(ROOM, "s1", version))).body, key({ first_message_index: 3 }));
      assert.deepEqual((await bob.get(roomPath(OTHER_ROOM, version))).body, { sessions: { t1: key({ forwarded_count: 2 }) } });
      assert.deepEqual((await bob.get(allPath(version))).body, {
        rooms: {
          [ROOM]: { sessions: { s1: key({ first_message_index: 3 }), s2: key(), s3: key({ is_verified: true }), s4: key() } },
          [OTHER_ROOM]: { sessions: { t1: key({ forwarded_count: 2 }) } },
        },
      });

      // An upload that changes nothing leaves the etag alone; an empty upload too.
      const again = await putSession(bob, version, "s1", key({ first_message_index: 3 }));
      assert.deepEqual(again, { etag: all.body.etag, count: 5 });
      assert.deepEqual((await bob.put(allPath(version), { rooms: {} })).body, { etag: all.body.etag, count: 5 });
    });

    describe("replacement of a stored session key follows the spec's order", () => {
      const cases: { name: string; stored: Partial<KeyData>; uploaded: Partial<KeyData>; replaced: boolean }[] = [
        { name: "verified beats unverified, whatever the index", stored: { is_verified: false, first_message_index: 0 }, uploaded: { is_verified: true, first_message_index: 9, forwarded_count: 9 }, replaced: true },
        { name: "unverified never replaces verified, even with a lower index", stored: { is_verified: true, first_message_index: 5 }, uploaded: { is_verified: false, first_message_index: 0 }, replaced: false },
        { name: "unverified never replaces verified, even with a lower forwarded count", stored: { is_verified: true, forwarded_count: 5 }, uploaded: { is_verified: false, forwarded_count: 0 }, replaced: false },
        { name: "equally verified: the lower first_message_index wins", stored: { is_verified: true, first_message_index: 5 }, uploaded: { is_verified: true, first_message_index: 2, forwarded_count: 7 }, replaced: true },
        { name: "equally unverified: the lower first_message_index wins", stored: { first_message_index: 5 }, uploaded: { first_message_index: 4 }, replaced: true },
        { name: "a higher index loses even with a lower forwarded count", stored: { first_message_index: 2, forwarded_count: 5 }, uploaded: { first_message_index: 3, forwarded_count: 0 }, replaced: false },
        { name: "same index: the lower forwarded_count wins", stored: { first_message_index: 2, forwarded_count: 3 }, uploaded: { first_message_index: 2, forwarded_count: 1 }, replaced: true },
        { name: "same index: a higher forwarded_count loses", stored: { first_message_index: 2, forwarded_count: 1 }, uploaded: { first_message_index: 2, forwarded_count: 2 }, replaced: false },
        { name: "all three equal: the stored key stays", stored: { is_verified: true, first_message_index: 1, forwarded_count: 1 }, uploaded: { is_verified: true, first_message_index: 1, forwarded_count: 1 }, replaced: false },
      ];
      let version: string;
      before(async () => {
        version = await createVersion(carol);
      });
      for (const [index, testCase] of cases.entries()) {
        it(testCase.name, async () => {
          const session = `session${index}`;
          const stored = key({ ...testCase.stored, session_data: { ciphertext: "stored" } });
          const uploaded = key({ ...testCase.uploaded, session_data: { ciphertext: "uploaded" } });
          const first = await putSession(carol, version, session, stored);
          const second = await putSession(carol, version, session, uploaded);
          assert.deepEqual((await carol.get(sessionPath(ROOM, session, version))).body, testCase.replaced ? uploaded : stored);
          assert.equal(second.count, first.count, "a session is stored once");
          assert.equal(second.etag !== first.etag, testCase.replaced, "the etag changes exactly when the key does");
        });
      }
    });

    it("writes only to the current version: 403 with the current version for an older one, 404 for unknown ones", async () => {
      assertError(await dave.put(sessionPath(ROOM, "s", "1"), key()), 404, "M_NOT_FOUND", "no backup at all");
      const old = await createVersion(dave);
      await putSession(dave, old, "kept", key());
      const current = await createVersion(dave);
      const wrong = await dave.put(sessionPath(ROOM, "s", old), key());
      assertError(wrong, 403, "M_WRONG_ROOM_KEYS_VERSION", "an older version");
      assert.equal(wrong.body["current_version"], current);
      for (const path of [roomPath(ROOM, old), allPath(old)]) {
        const res = await dave.put(path, path.includes("/keys?") ? { rooms: {} } : { sessions: {} });
        assertError(res, 403, "M_WRONG_ROOM_KEYS_VERSION", path);
        assert.equal(res.body["current_version"], current);
      }
      assertError(await dave.put(sessionPath(ROOM, "s", "42"), key()), 404, "M_NOT_FOUND", "a version that never existed");
      assertError(await dave.put(sessionPath(ROOM, "s", "x"), key()), 404, "M_NOT_FOUND", "a version that cannot exist");

      // Older versions can still be read and emptied.
      assert.deepEqual((await dave.get(sessionPath(ROOM, "kept", old))).body, key());
      const emptied = await dave.delete<KeysUpdate>(allPath(old));
      assert.equal(emptied.status, 200);
      assert.equal(emptied.body.count, 0);

      // Deleting a version deletes its keys, and it is then unknown to every keys endpoint.
      await putSession(dave, current, "s", key());
      assert.equal((await dave.delete(`${V3}/room_keys/version/${current}`)).status, 200);
      assertError(await dave.get(allPath(current)), 404, "M_NOT_FOUND", "GET keys of a deleted version");
      assertError(await dave.get(roomPath(ROOM, current)), 404, "M_NOT_FOUND", "GET room keys of a deleted version");
      assertError(await dave.get(sessionPath(ROOM, "s", current)), 404, "M_NOT_FOUND", "GET a key of a deleted version");
      assertError(await dave.delete(allPath(current)), 404, "M_NOT_FOUND", "DELETE keys of a deleted version");
      assertError(await dave.put(sessionPath(ROOM, "s", current), key()), 404, "M_NOT_FOUND", "PUT into a deleted version");
      assert.equal((await dave.get<VersionInfo>(`${V3}/room_keys/version`)).body.version, old);

      assertError(await dave.get(`${V3}/room_keys/keys`), 400, "M_MISSING_PARAM", "GET without version");
      assertError(await dave.put(`${V3}/room_keys/keys/${enc(ROOM)}/s`, key()), 400, "M_MISSING_PARAM", "PUT without version");
      assertError(await dave.delete(`${V3}/room_keys/keys/${enc(ROOM)}`), 400, "M_MISSING_PARAM", "DELETE without version");
      assertError(await dave.get(`${V3}/room_keys/keys?version=1&version=2`), 400, "M_INVALID_PARAM", "version given twice");
    });

    it("deletes keys by session, room and version, bumping the etag only when keys go", async () => {
      const version = await createVersion(erin);
      await erin.put(allPath(version), {
        rooms: { [ROOM]: { sessions: { a: key(), b: key(), c: key() } }, [OTHER_ROOM]: { sessions: { d: key(), e: key() } } },
      });
      const start = (await erin.get<VersionInfo>(`${V3}/room_keys/version`)).body;
      assert.equal(start.count, 5);

      const oneGone = await erin.delete<KeysUpdate>(sessionPath(ROOM, "a", version));
      assert.equal(oneGone.body.count, 4);
      assert.notEqual(oneGone.body.etag, start.etag);
      assertError(await erin.get(sessionPath(ROOM, "a", version)), 404, "M_NOT_FOUND", "a deleted session");

      const nothingGone = await erin.delete<KeysUpdate>(sessionPath(ROOM, "a", version));
      assert.deepEqual(nothingGone.body, oneGone.body, "deleting what is not there changes nothing");

      const roomGone = await erin.delete<KeysUpdate>(roomPath(ROOM, version));
      assert.equal(roomGone.body.count, 2);
      assert.notEqual(roomGone.body.etag, oneGone.body.etag);
      assert.deepEqual((await erin.get(roomPath(ROOM, version))).body, { sessions: {} });
      assert.deepEqual(Object.keys((await erin.get<{ rooms: Record<string, unknown> }>(allPath(version))).body.rooms), [OTHER_ROOM]);

      const allGone = await erin.delete<KeysUpdate>(allPath(version));
      assert.equal(allGone.body.count, 0);
      assert.notEqual(allGone.body.etag, roomGone.body.etag);
      assert.deepEqual((await erin.get(allPath(version))).body, { rooms: {} });
      assert.deepEqual((await erin.get<VersionInfo>(`${V3}/room_keys/version`)).body, { ...start, count: 0, etag: allGone.body.etag });
    });

    it("keeps the best key when uploads of one session race", async () => {
      const version = await createVersion(erin);
      const uploads = [5, 3, 8, 1, 4, 2, 7, 6].map((index) => erin.put(sessionPath(ROOM, "raced", version), key({ first_message_index: index })));
      for (const res of await Promise.all(uploads)) assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal((await erin.get<KeyData>(sessionPath(ROOM, "raced", version))).body.first_message_index, 1);
      assert.equal((await erin.get<VersionInfo>(`${V3}/room_keys/version`)).body.count, 1);
    });

    it("shows no user another user's backup", async () => {
      const mallory = (await registeredClients(hs.url, "mallory"))[0];
      const version = await createVersion(alice);
      await putSession(alice, version, "secret", key());
      assertError(await mallory.get(`${V3}/room_keys/version`), 404, "M_NOT_FOUND", "current version of another user");
      assertError(await mallory.get(`${V3}/room_keys/version/${version}`), 404, "M_NOT_FOUND", "a version of another user");
      assertError(await mallory.put(`${V3}/room_keys/version/${version}`, { algorithm: ALGORITHM, auth_data: authData("evil") }), 404, "M_NOT_FOUND", "update");
      assertError(await mallory.get(allPath(version)), 404, "M_NOT_FOUND", "keys");
      assertError(await mallory.get(sessionPath(ROOM, "secret", version)), 404, "M_NOT_FOUND", "one key");
      assertError(await mallory.put(sessionPath(ROOM, "secret", version), key({ is_verified: true })), 404, "M_NOT_FOUND", "upload");
      assertError(await mallory.delete(allPath(version)), 404, "M_NOT_FOUND", "delete keys");
      assertError(await mallory.delete(`${V3}/room_keys/version/${version}`), 404, "M_NOT_FOUND", "delete version");

      // Mallory's own backup is numbered for Mallory alone and holds nothing of Alice's.
      const own = await createVersion(mallory);
      assert.equal(own, "1");
      assert.deepEqual((await mallory.get(allPath(own))).body, { rooms: {} });
      assert.deepEqual((await alice.get(sessionPath(ROOM, "secret", version))).body, key());
      assert.deepEqual((await alice.get<VersionInfo>(`${V3}/room_keys/version`)).body.auth_data, authData());
    });

    it("answers bad requests with 400 and a spec error code, and changes nothing", async () => {
      const client = (await registeredClients(hs.url, "frank"))[0];
      const version = await createVersion(client);
      const good = key();
      const { is_verified: _omitted, ...withoutVerified } = good;
      const cases: { name: string; method: "POST" | "PUT"; path: string; body?: unknown; raw?: string; errcode: string }[] = [
        { name: "create: no algorithm", method: "POST", path: `${V3}/room_keys/version`, body: { auth_data: authData() }, errcode: "M_MISSING_PARAM" },
        { name: "create: no auth_data", method: "POST", path: `${V3}/room_keys/version`, body: { algorithm: ALGORITHM }, errcode: "M_MISSING_PARAM" },
        { name: "create: auth_data not an object", method: "POST", path: `${V3}/room_keys/version`, body: { algorithm: ALGORITHM, auth_data: "opaque" }, errcode: "M_BAD_JSON" },
        { name: "create: algorithm not a string", method: "POST", path: `${V3}/room_keys/version`, body: { algorithm: 1, auth_data: {} }, errcode: "M_BAD_JSON" },
        { name: "create: no public_key", method: "POST", path: `${V3}/room_keys/version`, body: { algorithm: ALGORITHM, auth_data: {} }, errcode: "M_MISSING_PARAM" },
        { name: "create: public_key not a string", method: "POST", path: `${V3}/room_keys/version`, body: { algorithm: ALGORITHM, auth_data: { public_key: 5 } }, errcode: "M_BAD_JSON" },
        { name: "create: signatures not an object", method: "POST", path: `${V3}/room_keys/version`, body: { algorithm: ALGORITHM, auth_data: { public_key: "k", signatures: [] } }, errcode: "M_BAD_JSON" },
        { name: "create: not JSON", method: "POST", path: `${V3}/room_keys/version`, raw: "{nope", errcode: "M_NOT_JSON" },
        { name: "create: not an object", method: "POST", path: `${V3}/room_keys/version`, raw: "[]", errcode: "M_BAD_JSON" },
        { name: "update: body version not a string", method: "PUT", path: `${V3}/room_keys/version/${version}`, body: { algorithm: ALGORITHM, auth_data: authData(), version: 1 }, errcode: "M_BAD_JSON" },
        { name: "key: no is_verified", method: "PUT", path: sessionPath(ROOM, "s", version), body: withoutVerified, errcode: "M_MISSING_PARAM" },
        { name: "key: is_verified not a boolean", method: "PUT", path: sessionPath(ROOM, "s", version), body: { ...good, is_verified: "yes" }, errcode: "M_BAD_JSON" },
        { name: "key: negative first_message_index", method: "PUT", path: sessionPath(ROOM, "s", version), body: { ...good, first_message_index: -1 }, errcode: "M_BAD_JSON" },
        { name: "key: fractional forwarded_count", method: "PUT", path: sessionPath(ROOM, "s", version), raw: JSON.stringify(good).replace('"forwarded_count":0', '"forwarded_count":0.5'), errcode: "M_BAD_JSON" },
        { name: "key: huge first_message_index", method: "PUT", path: sessionPath(ROOM, "s", version), raw: JSON.stringify(good).replace('"first_message_index":0', '"first_message_index":123456789012345678901'), errcode: "M_BAD_JSON" },
        { name: "key: session_data not an object", method: "PUT", path: sessionPath(ROOM, "s", version), body: { ...good, session_data: "ct" }, errcode: "M_BAD_JSON" },
        { name: "key: invalid room ID", method: "PUT", path: sessionPath("not-a-room", "s", version), body: good, errcode: "M_INVALID_PARAM" },
        { name: "key: session ID too long", method: "PUT", path: sessionPath(ROOM, "s".repeat(256), version), body: good, errcode: "M_INVALID_PARAM" },
        { name: "room: no sessions", method: "PUT", path: roomPath(ROOM, version), body: {}, errcode: "M_MISSING_PARAM" },
        { name: "room: sessions not an object", method: "PUT", path: roomPath(ROOM, version), body: { sessions: [] }, errcode: "M_BAD_JSON" },
        { name: "room: a bad key among good ones", method: "PUT", path: roomPath(ROOM, version), body: { sessions: { ok: good, bad: { ...good, forwarded_count: "0" } } }, errcode: "M_BAD_JSON" },
        { name: "room: empty session ID", method: "PUT", path: roomPath(ROOM, version), body: { sessions: { ok: good, "": good } }, errcode: "M_INVALID_PARAM" },
        { name: "all: no rooms", method: "PUT", path: allPath(version), body: {}, errcode: "M_MISSING_PARAM" },
        { name: "all: invalid room ID among good ones", method: "PUT", path: allPath(version), body: { rooms: { [ROOM]: { sessions: { ok: good } }, "#alias:x": { sessions: { ok: good } } } }, errcode: "M_INVALID_PARAM" },
        { name: "all: room without sessions", method: "PUT", path: allPath(version), body: { rooms: { [ROOM]: {} } }, errcode: "M_MISSING_PARAM" },
        { name: "all: duplicate keys", method: "PUT", path: allPath(version), raw: '{"rooms": {}, "rooms": {}}', errcode: "M_BAD_JSON" },
      ];
      for (const testCase of cases) {
        const res = await client.request(testCase.method, testCase.path, testCase.body, testCase.raw !== undefined ? { rawBody: testCase.raw } : {});
        assertError(res, 400, testCase.errcode, testCase.name);
      }
      const info = (await client.get<VersionInfo>(`${V3}/room_keys/version`)).body;
      assert.deepEqual({ count: info.count, version: info.version, auth_data: info.auth_data }, { count: 0, version, auth_data: authData() }, "no bad request wrote anything");
      assertError(await client.get(`${V3}/room_keys/version`, { token: null }), 401, "M_MISSING_TOKEN", "no access token");
      // An algorithm the spec does not define yet is stored as it comes.
      const other = await client.post<{ version: string }>(`${V3}/room_keys/version`, { algorithm: "org.example.backup.v2", auth_data: { anything: [1, 2] } });
      assert.equal(other.status, 200);
      assert.deepEqual((await client.get<VersionInfo>(`${V3}/room_keys/version/${other.body.version}`)).body.auth_data, { anything: [1, 2] });
    });
  });
}
