/**
 * Every kind of bad request the client-server API can get, table-driven: each row must be answered
 * with the spec's HTTP status and errcode, and afterwards the server must still answer and hold
 * exactly what it held before (no room created, no event sent, no state changed, no membership).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ApiClient, type ApiResponse } from "../harness/client.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { DATABASE_KINDS, isPostgresAvailable, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";
import { abortHalfway, sendHeadOfHugeBody, streamChunkedUntilAnswered, type RawAnswer } from "../harness/raw-http.js";

const V3 = "/_matrix/client/v3";
const enc = encodeURIComponent;
const MAX_BODY = 1024 * 1024;

interface World {
  hs: TestServer;
  alice: ApiClient;
  bob: ApiClient;
  /** Alice's invite-only room (bob is not in it). */
  privateRoom: string;
  /** A public room both are in; alice is its only admin; its alias is #lobby:localhost. */
  publicRoom: string;
  /** A token of alice's that was logged out. */
  loggedOutToken: string;
}

type Answer = Pick<ApiResponse, "status" | "body"> | RawAnswer;

interface Row {
  name: string;
  send(world: World): Promise<Answer | "hung up">;
  /** The expected answer; absent for a client that hangs up (there is nobody to answer). */
  status?: number;
  errcode?: string;
}

/** A request with an exact body (bytes or text), as alice unless another token is given. */
const raw = (method: string, path: string, body: string | Buffer, token?: string | null) => (world: World) =>
  world.alice.request(method, path, undefined, { rawBody: body, headers: { "content-type": "application/json" }, ...(token !== undefined ? { token } : {}) });

const sendPath = (room: string, txnId: string): string => `${V3}/rooms/${enc(room)}/send/m.room.message/${txnId}`;
const statePath = (room: string, type: string, stateKey = ""): string => `${V3}/rooms/${enc(room)}/state/${type}/${enc(stateKey)}`;

let txnCounter = 0;
/** A fresh transaction ID per request, so no refusal is mistaken for an idempotent retry. */
const txn = (): string => `bad-${++txnCounter}`;

const rows: Row[] = [
  // Not JSON at all.
  { name: "a body that is not JSON", send: (w) => raw("POST", `${V3}/createRoom`, "{not json")(w), status: 400, errcode: "M_NOT_JSON" },
  { name: "a truncated JSON body", send: (w) => raw("PUT", sendPath(w.privateRoom, txn()), '{"body":')(w), status: 400, errcode: "M_NOT_JSON" },
  { name: "two JSON values in one body", send: (w) => raw("POST", `${V3}/createRoom`, "{} {}")(w), status: 400, errcode: "M_NOT_JSON" },
  { name: "NaN, which JSON does not have", send: (w) => raw("PUT", sendPath(w.privateRoom, txn()), '{"n":NaN}')(w), status: 400, errcode: "M_NOT_JSON" },
  {
    name: "invalid UTF-8 in a string",
    send: (w) => raw("PUT", sendPath(w.privateRoom, txn()), Buffer.concat([Buffer.from('{"body":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]))(w),
    status: 400,
    errcode: "M_NOT_JSON",
  },
  { name: "a lone surrogate escape", send: (w) => raw("PUT", sendPath(w.privateRoom, txn()), '{"body":"\\ud800"}')(w), status: 400, errcode: "M_NOT_JSON" },

  // Valid JSON that the spec's rules for event content refuse.
  { name: "duplicate keys", send: (w) => raw("PUT", sendPath(w.privateRoom, txn()), '{"body":"a","body":"b"}')(w), status: 400, errcode: "M_BAD_JSON" },
  { name: "a float in event content", send: (w) => raw("PUT", sendPath(w.privateRoom, txn()), '{"body":"x","n":1.5}')(w), status: 400, errcode: "M_BAD_JSON" },
  { name: "an exponent in event content", send: (w) => raw("PUT", sendPath(w.privateRoom, txn()), '{"body":"x","n":1e3}')(w), status: 400, errcode: "M_BAD_JSON" },
  { name: "an integer beyond 2^53 - 1", send: (w) => raw("PUT", sendPath(w.privateRoom, txn()), '{"n":9007199254740992}')(w), status: 400, errcode: "M_BAD_JSON" },
  { name: "a float in state content", send: (w) => raw("PUT", statePath(w.privateRoom, "m.room.topic"), '{"topic":"t","n":0.5}')(w), status: 400, errcode: "M_BAD_JSON" },
  {
    name: "a float in createRoom's initial_state",
    send: (w) => raw("POST", `${V3}/createRoom`, '{"initial_state":[{"type":"m.room.topic","content":{"topic":"t","n":2.5}}]}')(w),
    status: 400,
    errcode: "M_BAD_JSON",
  },
  { name: "nesting deeper than any event may be", send: (w) => raw("PUT", sendPath(w.privateRoom, txn()), `${'{"a":'.repeat(5000)}1${"}".repeat(5000)}`)(w), status: 400, errcode: "M_BAD_JSON" },

  // JSON of the wrong shape or types.
  { name: "an array where an object is expected", send: (w) => raw("POST", `${V3}/createRoom`, "[]")(w), status: 400, errcode: "M_BAD_JSON" },
  { name: "a string where an object is expected", send: (w) => raw("POST", `${V3}/createRoom`, '"hello"')(w), status: 400, errcode: "M_BAD_JSON" },
  { name: "null where an object is expected", send: (w) => raw("POST", `${V3}/createRoom`, "null")(w), status: 400, errcode: "M_BAD_JSON" },
  { name: "event content that is an array", send: (w) => raw("PUT", sendPath(w.privateRoom, txn()), "[1]")(w), status: 400, errcode: "M_BAD_JSON" },
  { name: "a number where a string is expected", send: (w) => w.alice.post(`${V3}/createRoom`, { name: 5 }), status: 400, errcode: "M_BAD_JSON" },
  { name: "a value outside an enum", send: (w) => w.alice.post(`${V3}/createRoom`, { preset: "everyone_is_admin" }), status: 400, errcode: "M_BAD_JSON" },
  { name: "a room version that is not a string", send: (w) => w.alice.post(`${V3}/createRoom`, { room_version: 12 }), status: 400, errcode: "M_BAD_JSON" },
  { name: "a login type that is not a string", send: (w) => w.alice.post(`${V3}/login`, { type: 5 }, { token: null }), status: 400, errcode: "M_BAD_JSON" },
  { name: "typing that is not a boolean", send: (w) => w.alice.put(`${V3}/rooms/${enc(w.publicRoom)}/typing/${enc("@alice:localhost")}`, { typing: "yes" }), status: 400, errcode: "M_BAD_JSON" },
  { name: "account data that is not an object", send: (w) => raw("PUT", `${V3}/user/${enc("@alice:localhost")}/account_data/org.example.x`, "[1]")(w), status: 400, errcode: "M_BAD_JSON" },
  {
    name: "a power level that is not an integer",
    send: (w) => w.alice.put(statePath(w.publicRoom, "m.room.power_levels"), { users: { "@alice:localhost": 100, "@bob:localhost": "fifty" } }),
    status: 400,
    errcode: "M_BAD_JSON",
  },
  {
    name: "a power level override that is not an integer",
    send: (w) => w.alice.post(`${V3}/createRoom`, { room_version: "10", power_level_content_override: { users: { "@bob:localhost": "fifty" } } }),
    status: 400,
    errcode: "M_BAD_JSON",
  },
  { name: "a member event without a membership", send: (w) => w.alice.put(statePath(w.privateRoom, "m.room.member", "@alice:localhost"), { displayname: "x" }), status: 400, errcode: "M_BAD_JSON" },

  // Required fields missing.
  { name: "invite without user_id", send: (w) => w.alice.post(`${V3}/rooms/${enc(w.publicRoom)}/invite`, {}), status: 400, errcode: "M_MISSING_PARAM" },
  { name: "ban without user_id", send: (w) => w.alice.post(`${V3}/rooms/${enc(w.publicRoom)}/ban`, { reason: "r" }), status: 400, errcode: "M_MISSING_PARAM" },
  { name: "login without a type", send: (w) => w.alice.post(`${V3}/login`, {}, { token: null }), status: 400, errcode: "M_MISSING_PARAM" },
  { name: "typing without typing", send: (w) => w.alice.put(`${V3}/rooms/${enc(w.publicRoom)}/typing/${enc("@alice:localhost")}`, {}), status: 400, errcode: "M_MISSING_PARAM" },
  { name: "initial_state without a type", send: (w) => w.alice.post(`${V3}/createRoom`, { initial_state: [{ content: {} }] }), status: 400, errcode: "M_MISSING_PARAM" },

  // Bodies over the limit, refused before they are buffered.
  { name: "a body over max_request_body_bytes", send: (w) => w.alice.put(sendPath(w.privateRoom, txn()), { body: "x".repeat(MAX_BODY + 1) }), status: 413, errcode: "M_TOO_LARGE" },
  {
    name: "a 1 GB Content-Length, answered before the body is sent",
    send: (w) =>
      sendHeadOfHugeBody({ url: w.hs.url, method: "PUT", path: sendPath(w.privateRoom, txn()), headers: { Authorization: `Bearer ${w.alice.accessToken}` } }, 1_000_000_000, '{"body":"'),
    status: 413,
    errcode: "M_TOO_LARGE",
  },
  {
    name: "a chunked body that grows past the limit",
    async send(w) {
      const answer = await streamChunkedUntilAnswered(
        { url: w.hs.url, method: "PUT", path: sendPath(w.privateRoom, txn()), headers: { Authorization: `Bearer ${w.alice.accessToken}` } },
        64 * 1024,
        16 * MAX_BODY,
      );
      assert.ok(answer.bytesSent < 16 * MAX_BODY, `answered while the body was still coming (after ${answer.bytesSent} bytes)`);
      return answer;
    },
    status: 413,
    errcode: "M_TOO_LARGE",
  },

  // Events over 65 536 bytes as PDUs, whatever the body size.
  { name: "message content over 64 KiB", send: (w) => w.alice.put(sendPath(w.privateRoom, txn()), { msgtype: "m.text", body: "x".repeat(70_000) }), status: 413, errcode: "M_TOO_LARGE" },
  {
    name: "content under 64 KiB whose PDU is over",
    send: (w) => w.alice.put(sendPath(w.privateRoom, txn()), { body: "x".repeat(65_536 - 40) }),
    status: 413,
    errcode: "M_TOO_LARGE",
  },
  { name: "64 KiB counted in bytes, not characters", send: (w) => w.alice.put(sendPath(w.privateRoom, txn()), { body: "é".repeat(33_000) }), status: 413, errcode: "M_TOO_LARGE" },
  { name: "a state event over 64 KiB", send: (w) => w.alice.put(statePath(w.privateRoom, "m.room.topic"), { topic: "t".repeat(70_000) }), status: 413, errcode: "M_TOO_LARGE" },
  {
    name: "createRoom whose initial_state holds an event over 64 KiB",
    send: (w) => w.alice.post(`${V3}/createRoom`, { name: "half", initial_state: [{ type: "m.room.topic", content: { topic: "t".repeat(70_000) } }] }),
    status: 413,
    errcode: "M_TOO_LARGE",
  },

  // Endpoints and methods the server does not have.
  { name: "an unknown endpoint", send: (w) => w.alice.get(`${V3}/no_such_endpoint`), status: 404, errcode: "M_UNRECOGNIZED" },
  { name: "an unknown endpoint under a room", send: (w) => w.alice.post(`${V3}/rooms/${enc(w.privateRoom)}/no_such_thing`, {}), status: 404, errcode: "M_UNRECOGNIZED" },
  { name: "an unknown API version", send: (w) => w.alice.post("/_matrix/client/v9/createRoom", {}), status: 404, errcode: "M_UNRECOGNIZED" },
  { name: "a path outside the API", send: (w) => w.alice.get("/index.php"), status: 404, errcode: "M_UNRECOGNIZED" },
  { name: "DELETE on createRoom", send: (w) => w.alice.request("DELETE", `${V3}/createRoom`), status: 405, errcode: "M_UNRECOGNIZED" },
  { name: "POST on joined_rooms", send: (w) => w.alice.post(`${V3}/joined_rooms`, {}), status: 405, errcode: "M_UNRECOGNIZED" },
  { name: "PUT on login", send: (w) => w.alice.put(`${V3}/login`, {}), status: 405, errcode: "M_UNRECOGNIZED" },
  { name: "malformed percent-encoding in the path", send: (w) => w.alice.get(`${V3}/rooms/%ZZ/state`), status: 400, errcode: "M_UNRECOGNIZED" },
  { name: "a path parameter longer than any ID", send: (w) => w.alice.put(sendPath(w.privateRoom, "t".repeat(3000)), { body: "x" }), status: 414, errcode: "M_TOO_LARGE" },

  // Access tokens.
  { name: "no access token", send: (w) => w.alice.get(`${V3}/joined_rooms`, { token: null }), status: 401, errcode: "M_MISSING_TOKEN" },
  { name: "no access token on a write", send: (w) => w.alice.put(sendPath(w.privateRoom, txn()), { body: "x" }, { token: null }), status: 401, errcode: "M_MISSING_TOKEN" },
  {
    name: "an Authorization header that is not Bearer",
    send: (w) => w.alice.request("GET", `${V3}/joined_rooms`, undefined, { token: null, headers: { authorization: "Basic YWxpY2U6cGFzcw==" } }),
    status: 401,
    errcode: "M_MISSING_TOKEN",
  },
  { name: "an unknown access token", send: (w) => w.alice.put(sendPath(w.privateRoom, txn()), { body: "x" }, { token: "syt_not_a_token" }), status: 401, errcode: "M_UNKNOWN_TOKEN" },
  { name: "an unknown access token in the query", send: (w) => w.alice.get(`${V3}/joined_rooms?access_token=syt_not_a_token`, { token: null }), status: 401, errcode: "M_UNKNOWN_TOKEN" },
  { name: "a logged-out access token", send: (w) => w.alice.put(sendPath(w.privateRoom, txn()), { body: "x" }, { token: w.loggedOutToken }), status: 401, errcode: "M_UNKNOWN_TOKEN" },

  // Forbidden by membership or power levels.
  { name: "sending to a room one is not in", send: (w) => w.bob.put(sendPath(w.privateRoom, txn()), { body: "x" }), status: 403, errcode: "M_FORBIDDEN" },
  { name: "joining an invite-only room uninvited", send: (w) => w.bob.post(`${V3}/join/${enc(w.privateRoom)}`, {}), status: 403, errcode: "M_FORBIDDEN" },
  { name: "reading state of a room one was never in", send: (w) => w.bob.get(`${V3}/rooms/${enc(w.privateRoom)}/state`), status: 403, errcode: "M_FORBIDDEN" },
  { name: "changing the name without the power level", send: (w) => w.bob.put(statePath(w.publicRoom, "m.room.name"), { name: "mine" }), status: 403, errcode: "M_FORBIDDEN" },
  {
    name: "granting oneself power",
    send: (w) => w.bob.put(statePath(w.publicRoom, "m.room.power_levels"), { users: { "@alice:localhost": 100, "@bob:localhost": 100 } }),
    status: 403,
    errcode: "M_FORBIDDEN",
  },
  { name: "kicking an admin", send: (w) => w.bob.post(`${V3}/rooms/${enc(w.publicRoom)}/kick`, { user_id: "@alice:localhost" }), status: 403, errcode: "M_FORBIDDEN" },
  { name: "someone else's account data", send: (w) => w.bob.put(`${V3}/user/${enc("@alice:localhost")}/account_data/org.example.x`, { a: 1 }), status: 403, errcode: "M_FORBIDDEN" },

  // Room versions.
  { name: "an unknown room version", send: (w) => w.alice.post(`${V3}/createRoom`, { room_version: "999" }), status: 400, errcode: "M_UNSUPPORTED_ROOM_VERSION" },
  { name: "an empty room version", send: (w) => w.alice.post(`${V3}/createRoom`, { room_version: "" }), status: 400, errcode: "M_UNSUPPORTED_ROOM_VERSION" },

  // User, room and event IDs and aliases.
  { name: "inviting something that is not a user ID", send: (w) => w.alice.post(`${V3}/rooms/${enc(w.publicRoom)}/invite`, { user_id: "bob" }), status: 400, errcode: "M_INVALID_PARAM" },
  { name: "banning something that is not a user ID", send: (w) => w.alice.post(`${V3}/rooms/${enc(w.publicRoom)}/ban`, { user_id: "bob" }), status: 400, errcode: "M_INVALID_PARAM" },
  { name: "kicking something that is not a user ID", send: (w) => w.alice.post(`${V3}/rooms/${enc(w.publicRoom)}/kick`, { user_id: "bob" }), status: 400, errcode: "M_INVALID_PARAM" },
  { name: "createRoom inviting something that is not a user ID", send: (w) => w.alice.post(`${V3}/createRoom`, { invite: ["bob"] }), status: 400, errcode: "M_INVALID_PARAM" },
  { name: "inviting an unknown local user", send: (w) => w.alice.post(`${V3}/rooms/${enc(w.publicRoom)}/invite`, { user_id: "@nobody:localhost" }), status: 404, errcode: "M_NOT_FOUND" },
  { name: "a profile of something that is not a user ID", send: (w) => w.alice.get(`${V3}/profile/bob`), status: 400, errcode: "M_INVALID_PARAM" },
  { name: "a profile of an unknown user", send: (w) => w.alice.get(`${V3}/profile/${enc("@nobody:localhost")}`), status: 404, errcode: "M_NOT_FOUND" },
  { name: "joining something that is neither room ID nor alias", send: (w) => w.alice.post(`${V3}/join/lobby`, {}), status: 400, errcode: "M_INVALID_PARAM" },
  { name: "joining an alias without a server name", send: (w) => w.alice.post(`${V3}/join/${enc("#lobby")}`, {}), status: 400, errcode: "M_INVALID_PARAM" },
  { name: "joining an unknown alias", send: (w) => w.alice.post(`${V3}/join/${enc("#nowhere:localhost")}`, {}), status: 404, errcode: "M_NOT_FOUND" },
  { name: "joining an unknown room", send: (w) => w.alice.post(`${V3}/join/${enc("!nowhere:localhost")}`, {}), status: 404, errcode: "M_NOT_FOUND" },
  { name: "sending to an unknown room", send: (w) => w.alice.put(sendPath("!nowhere:localhost", txn()), { body: "x" }), status: 404, errcode: "M_NOT_FOUND" },
  { name: "an unknown event", send: (w) => w.alice.get(`${V3}/rooms/${enc(w.privateRoom)}/event/${enc("$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")}`), status: 404, errcode: "M_NOT_FOUND" },
  { name: "redacting something that is not an event ID", send: (w) => w.alice.put(`${V3}/rooms/${enc(w.privateRoom)}/redact/not-an-event/${txn()}`, {}), status: 400, errcode: "M_INVALID_PARAM" },
  { name: "a receipt for something that is not an event ID", send: (w) => w.alice.post(`${V3}/rooms/${enc(w.publicRoom)}/receipt/m.read/not-an-event`, {}), status: 400, errcode: "M_INVALID_PARAM" },
  { name: "an alias name with a colon", send: (w) => w.alice.post(`${V3}/createRoom`, { room_alias_name: "a:b" }), status: 400, errcode: "M_INVALID_PARAM" },
  { name: "an alias name that is taken", send: (w) => w.alice.post(`${V3}/createRoom`, { room_alias_name: "lobby" }), status: 400, errcode: "M_ROOM_IN_USE" },
  { name: "a canonical alias that is not an alias", send: (w) => w.alice.put(statePath(w.publicRoom, "m.room.canonical_alias"), { alias: "lobby" }), status: 400, errcode: "M_INVALID_PARAM" },
  { name: "a canonical alias of another room", send: (w) => w.alice.put(statePath(w.publicRoom, "m.room.canonical_alias"), { alias: "#nowhere:localhost" }), status: 400, errcode: "M_BAD_ALIAS" },
  { name: "an event type over 255 bytes", send: (w) => w.alice.put(statePath(w.privateRoom, "t".repeat(300)), {}), status: 400, errcode: "M_INVALID_PARAM" },

  // Query parameters.
  { name: "a limit that is not a number", send: (w) => w.alice.get(`${V3}/rooms/${enc(w.privateRoom)}/messages?dir=b&limit=ten`), status: 400, errcode: "M_INVALID_PARAM" },
  { name: "a direction that is neither b nor f", send: (w) => w.alice.get(`${V3}/rooms/${enc(w.privateRoom)}/messages?dir=up`), status: 400, errcode: "M_INVALID_PARAM" },
  { name: "a sync timeout that is not a number", send: (w) => w.alice.get(`${V3}/sync?timeout=soon`), status: 400, errcode: "M_INVALID_PARAM" },
  { name: "a sync token that was never issued", send: (w) => w.alice.get(`${V3}/sync?since=garbage`), status: 400, errcode: "M_INVALID_PARAM" },
  { name: "an inline filter that is not JSON", send: (w) => w.alice.get(`${V3}/sync?filter=${enc("{bad")}`), status: 400, errcode: "M_NOT_JSON" },

  // A client that goes away in the middle of its body.
  {
    name: "a client that hangs up halfway through a message body",
    async send(w) {
      await abortHalfway(
        { url: w.hs.url, method: "PUT", path: sendPath(w.privateRoom, txn()), headers: { Authorization: `Bearer ${w.alice.accessToken}` } },
        200,
        '{"msgtype":"m.text","body":"half',
      );
      return "hung up";
    },
  },
  {
    name: "a client that hangs up halfway through createRoom",
    async send(w) {
      await abortHalfway({ url: w.hs.url, method: "POST", path: `${V3}/createRoom`, headers: { Authorization: `Bearer ${w.alice.accessToken}` } }, 500, '{"name":"half a room","topic":"');
      return "hung up";
    },
  },
];

/** Everything a refused request must leave as it was. */
async function snapshot(world: World): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [who, client] of [["alice", world.alice], ["bob", world.bob]] as const) {
    const joined = await client.get<{ joined_rooms: string[] }>(`${V3}/joined_rooms`);
    assert.equal(joined.status, 200, `${who}'s joined_rooms`);
    out[`${who} joined`] = [...joined.body.joined_rooms].sort();
  }
  for (const [label, room] of [["private", world.privateRoom], ["public", world.publicRoom]] as const) {
    const messages = await world.alice.get<{ chunk: { event_id: string }[] }>(`${V3}/rooms/${enc(room)}/messages?dir=b&limit=1000`);
    assert.equal(messages.status, 200, `${label} room messages`);
    out[`${label} events`] = messages.body.chunk.map((e) => e.event_id);
    const state = await world.alice.get<{ event_id: string }[]>(`${V3}/rooms/${enc(room)}/state`);
    assert.equal(state.status, 200, `${label} room state`);
    out[`${label} state`] = state.body.map((e) => e.event_id).sort();
  }
  const tags = await world.alice.get(`${V3}/user/${enc("@alice:localhost")}/account_data/org.example.x`);
  out["alice account data"] = tags.status;
  return out;
}

for (const database of DATABASE_KINDS) {
  describe(`bad requests on ${database}`, { skip: database === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false }, () => {
    const world = {} as World;
    let before_: Record<string, unknown>;

    before(async () => {
      world.hs = await startTestServer({ database });
      world.alice = new ApiClient(world.hs.url);
      world.bob = new ApiClient(world.hs.url);
      await world.alice.register("alice");
      await world.bob.register("bob");
      const aliceElsewhere = new ApiClient(world.hs.url);
      const login = await aliceElsewhere.post<{ access_token: string }>(
        `${V3}/login`,
        { type: "m.login.password", identifier: { type: "m.id.user", user: "alice" }, password: "correct horse battery" },
        { token: null },
      );
      assert.equal(login.status, 200, JSON.stringify(login.body));
      world.loggedOutToken = login.body.access_token;
      assert.equal((await aliceElsewhere.post(`${V3}/logout`, {}, { token: world.loggedOutToken })).status, 200);

      const privateRoom = await world.alice.post<{ room_id: string }>(`${V3}/createRoom`, { preset: "private_chat", name: "private" });
      assert.equal(privateRoom.status, 200, JSON.stringify(privateRoom.body));
      world.privateRoom = privateRoom.body.room_id;
      const publicRoom = await world.alice.post<{ room_id: string }>(`${V3}/createRoom`, { preset: "public_chat", name: "lobby", room_alias_name: "lobby" });
      assert.equal(publicRoom.status, 200, JSON.stringify(publicRoom.body));
      world.publicRoom = publicRoom.body.room_id;
      assert.equal((await world.bob.post(`${V3}/join/${enc(world.publicRoom)}`, {})).status, 200);
      before_ = await snapshot(world);
    });
    after(async () => world.hs.destroy());

    for (const row of rows) {
      it(row.name, async () => {
        const answer = await row.send(world);
        if (row.status !== undefined) {
          assert.notEqual(answer, "hung up");
          const { status, body } = answer as Answer;
          assert.equal(status, row.status, `status of ${row.name}: ${JSON.stringify(body)}`);
          assert.equal(body["errcode"], row.errcode, `errcode of ${row.name}: ${JSON.stringify(body)}`);
          assert.equal(typeof body["error"], "string", "every error has a human-readable message");
        }
        const versions = await world.alice.get(`/_matrix/client/versions`, { token: null });
        assert.equal(versions.status, 200, "the server still answers");
        assert.deepEqual(await snapshot(world), before_, "nothing was written");
      });
    }
  });
}

for (const database of DATABASE_KINDS) {
  describe(`rate limits on ${database}`, { skip: database === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false }, () => {
    let hs: TestServer;
    let alice: ApiClient;
    let bob: ApiClient;
    let room: string;

    before(async () => {
      // Slow refills, so nothing comes back while the test runs: the limits are exactly the bursts.
      hs = await startTestServer({
        database,
        config: { rate_limits: { enabled: true, message: { per_second: 0.01, burst: 3 }, login: { per_second: 0.01, burst: 2 } } },
      });
      alice = new ApiClient(hs.url);
      bob = new ApiClient(hs.url);
      await alice.register("alice");
      await bob.register("bob");
      const created = await alice.post<{ room_id: string }>(`${V3}/createRoom`, { preset: "public_chat" }); // message token 1
      assert.equal(created.status, 200, JSON.stringify(created.body));
      room = created.body.room_id;
    });
    after(async () => hs.destroy());

    const assertLimited = (answer: ApiResponse): void => {
      assert.equal(answer.status, 429, JSON.stringify(answer.body));
      assert.equal(answer.body["errcode"], "M_LIMIT_EXCEEDED");
      const retryAfterMs = answer.body["retry_after_ms"];
      assert.ok(typeof retryAfterMs === "number" && Number.isInteger(retryAfterMs) && retryAfterMs > 0, `retry_after_ms: ${String(retryAfterMs)}`);
      // 0.01 tokens a second: the next one is about 100 s away.
      assert.ok(retryAfterMs > 50_000 && retryAfterMs <= 100_000, `retry_after_ms ${retryAfterMs} matches the configured rate`);
      assert.equal(answer.headers.get("retry-after"), String(Math.ceil(retryAfterMs / 1000)), "the Retry-After header says the same in seconds");
    };

    it("refuses messages past the burst with 429 M_LIMIT_EXCEEDED and writes nothing", async () => {
      for (const txnId of ["m1", "m2"]) {
        const sent = await alice.put(`${V3}/rooms/${enc(room)}/send/m.room.message/${txnId}`, { msgtype: "m.text", body: txnId });
        assert.equal(sent.status, 200, JSON.stringify(sent.body));
      }
      const refused = await alice.put(`${V3}/rooms/${enc(room)}/send/m.room.message/m3`, { msgtype: "m.text", body: "m3" });
      assertLimited(refused);
      const messages = await alice.get<{ chunk: { type: string; content: { body?: string } }[] }>(`${V3}/rooms/${enc(room)}/messages?dir=b&limit=100`);
      assert.deepEqual(
        messages.body.chunk.filter((e) => e.type === "m.room.message").map((e) => e.content.body),
        ["m2", "m1"],
        "the refused message was not sent",
      );
      const joinedByBob = await bob.post(`${V3}/join/${enc(room)}`, {});
      assert.equal(joinedByBob.status, 200, "another user has a bucket of their own");
      assert.equal((await alice.get(`${V3}/joined_rooms`)).status, 200, "reads are not limited");
    });

    it("refuses logins past the burst, even with the right password", async () => {
      const login = (password: string): Promise<ApiResponse> =>
        alice.post(`${V3}/login`, { type: "m.login.password", identifier: { type: "m.id.user", user: "alice" }, password }, { token: null });
      for (let i = 0; i < 2; i++) assert.equal((await login("wrong password")).status, 403);
      assertLimited(await login("correct horse battery"));
    });
  });
}
