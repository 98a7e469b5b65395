/**
 * Every client-server endpoint of the spec (read from its OpenAPI files) is sent malformed input: path
 * parameters no ID can have, query parameters of the wrong form, bodies that are not JSON or not an
 * object, and each property of the documented body with values of every wrong type, including strings
 * with the NUL character (PostgreSQL refuses them in text) and integers past 64 bits. State events of
 * every type the spec defines get wrong-typed content fields. No answer may be a server error: the
 * spec's 4xx for bad input, or 502 where the request names another server that cannot be reached.
 * bad-input.test.ts checks the exact answer of each kind of bad request; this one checks breadth.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { ApiClient } from "../harness/client.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { DATABASE_KINDS, isPostgresAvailable, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";

const SPEC_API = "/work/shared/matrix-spec/data/api/client-server";
const V3 = "/_matrix/client/v3";
const q = encodeURIComponent;

/** Values of every JSON type, and the strings and numbers storage finds hardest. */
const WRONG_VALUES: unknown[] = [1, -1, 1.5, 2 ** 64, -(2 ** 64), 1e300, "s", "", "nul\u0000inside", "a".repeat(70_000), true, null, [], ["x"], {}, { "k\u0000": "v\u0000" }];
const WRONG_QUERY_VALUES = ["-1", "abc", "1e99", "", "\u0000", "[]", "99999999999999999999", "-9223372036854775809", "0x10", "{}"];
const WRONG_PATH_VALUES = ["\u0000", "%", "a".repeat(3000), "..", "@:", "!:", "$", " "];

/** Endpoints that end the session or the account the test runs as: sending them anything is no test of robustness. */
const SESSION_ENDING = /\/(logout|deactivate|password|delete_devices)(\/|$)|\/devices\/\{deviceId\}$/;

interface Operation {
  method: string;
  /** The path with `{name}` parameters. */
  path: string;
  queryNames: string[];
  bodyProperties: string[];
}

function specOperations(): Operation[] {
  const operations: Operation[] = [];
  for (const file of readdirSync(SPEC_API).filter((f) => f.endsWith(".yaml"))) {
    const doc = parse(readFileSync(join(SPEC_API, file), "utf8")) as {
      servers?: { variables?: { basePath?: { default?: string } } }[];
      paths?: Record<string, Record<string, { parameters?: { in: string; name: string }[]; requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown>; allOf?: { properties?: Record<string, unknown> }[] } }> } }>>;
    };
    const basePath = doc.servers?.[0]?.variables?.basePath?.default ?? "";
    for (const [path, methods] of Object.entries(doc.paths ?? {})) {
      for (const [method, operation] of Object.entries(methods)) {
        if (!["get", "put", "post", "delete"].includes(method)) continue;
        const schema = operation.requestBody?.content?.["application/json"]?.schema;
        const bodyProperties = [...Object.keys(schema?.properties ?? {}), ...(schema?.allOf ?? []).flatMap((part) => Object.keys(part.properties ?? {}))];
        const queryNames = (operation.parameters ?? []).filter((p) => p.in === "query").map((p) => p.name);
        operations.push({ method: method.toUpperCase(), path: basePath + path, queryNames, bodyProperties });
      }
    }
  }
  return operations;
}

/** Content fields of the state events the spec defines, by type. */
const STATE_FIELDS: Record<string, string[]> = {
  "m.room.power_levels": ["users", "events", "ban", "kick", "redact", "state_default", "events_default", "users_default", "notifications", "invite"],
  "m.room.join_rules": ["join_rule", "allow"],
  "m.room.member": ["membership", "displayname", "avatar_url", "join_authorised_via_users_server", "third_party_invite"],
  "m.room.history_visibility": ["history_visibility"],
  "m.room.name": ["name"],
  "m.room.topic": ["topic"],
  "m.room.avatar": ["url", "info"],
  "m.room.canonical_alias": ["alias", "alt_aliases"],
  "m.room.encryption": ["algorithm", "rotation_period_ms"],
  "m.room.server_acl": ["allow", "deny", "allow_ip_literals"],
  "m.room.guest_access": ["guest_access"],
  "m.room.pinned_events": ["pinned"],
  "m.room.tombstone": ["replacement_room", "body"],
  "m.room.create": ["creator", "room_version", "additional_creators"],
  "m.room.third_party_invite": ["display_name", "public_key"],
  "m.space.child": ["via", "order", "suggested"],
  "m.space.parent": ["via", "canonical"],
};

const skip = existsSync(SPEC_API) ? false : `the spec's API files are not at ${SPEC_API}`;

for (const database of DATABASE_KINDS) {
  describe(`malformed input to every client endpoint on ${database}`, { skip: skip || (database === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false) }, () => {
    let hs: TestServer;
    let alice: ApiClient;
    let ids: { userId: string; deviceId: string; roomId: string; eventId: string };
    const failures: string[] = [];

    before(async () => {
      hs = await startTestServer({ database, config: { rate_limits: { enabled: false } } });
      alice = new ApiClient(hs.url);
      const registered = await alice.register("alice");
      const roomId = (await alice.post<{ room_id: string }>(`${V3}/createRoom`, { preset: "private_chat" })).body.room_id;
      const eventId = (await alice.put<{ event_id: string }>(`${V3}/rooms/${q(roomId)}/send/m.room.message/first`, { msgtype: "m.text", body: "first" })).body.event_id;
      ids = { userId: registered.user_id, deviceId: registered.device_id, roomId, eventId };
    });
    after(async () => hs.destroy());

    /** Sends one request and notes it if the server failed. `remote` allows 502/504 (the request names another server). */
    async function probe(method: string, path: string, body: { json: unknown } | { raw: string } | undefined, remote = false): Promise<void> {
      const res = body !== undefined && "raw" in body ? await alice.request(method, path, undefined, { rawBody: body.raw, headers: { "content-type": "application/json" } }) : await alice.request(method, path, body?.json);
      if (res.status >= 500 && !(remote && (res.status === 502 || res.status === 504))) {
        failures.push(`${res.status} ${method} ${path.slice(0, 120)} ${body === undefined ? "" : JSON.stringify("raw" in body ? body.raw : body.json).slice(0, 160)} -> ${JSON.stringify(res.body).slice(0, 160)}`);
      }
    }

    /** The path with real IDs of the test's user, room and event, or with `wrong` in every parameter. */
    function fill(path: string, wrong?: string): string {
      return path.replace(/\{([^}]+)\}/g, (_, name: string) => {
        if (wrong !== undefined) return q(wrong);
        if (/userId/i.test(name)) return q(ids.userId);
        if (/roomId/i.test(name)) return q(ids.roomId);
        if (/eventId/i.test(name)) return q(ids.eventId);
        if (/deviceId/i.test(name)) return q(ids.deviceId);
        if (/txnId/i.test(name)) return `txn-${Math.random().toString(36).slice(2)}`;
        return "x";
      });
    }

    it("never answers with a server error", async () => {
      const operations = specOperations().filter((op) => !(SESSION_ENDING.test(op.path) && op.method !== "GET"));
      assert.ok(operations.length > 150, `the spec lists ${operations.length} operations`);
      for (const [index, op] of operations.entries()) {
        const withBody = op.method === "PUT" || op.method === "POST";
        const body = withBody ? { json: {} } : undefined;
        // The directory of another server is asked of that server: unreachable is a 502.
        const remote = op.queryNames.includes("server");
        if (op.path.includes("{")) await probe(op.method, fill(op.path, WRONG_PATH_VALUES[index % WRONG_PATH_VALUES.length]), body);
        const path = fill(op.path);
        for (let round = 0; round < 2 && op.queryNames.length > 0; round++) {
          const query = op.queryNames.map((name, i) => `${name}=${q(WRONG_QUERY_VALUES[(index + i + round * 5) % WRONG_QUERY_VALUES.length] as string)}`).join("&");
          await probe(op.method, `${path}?${query}`, body, remote);
        }
        if (!withBody) continue;
        for (const raw of ["{not json", "[1,2]", '"text"', "null"]) await probe(op.method, path, { raw });
        for (const property of op.bodyProperties) for (const value of WRONG_VALUES) await probe(op.method, path, { json: { [property]: value } });
      }
      assert.deepEqual(failures, []);
    });

    it("never fails on wrong-typed content of the spec's state events", async () => {
      // A room of its own: the sweep above left and forgot the first one (it sent /leave and /forget).
      const roomId = (await alice.post<{ room_id: string }>(`${V3}/createRoom`, { preset: "private_chat" })).body.room_id;
      for (const [type, fields] of Object.entries(STATE_FIELDS)) {
        const stateKey = type === "m.room.member" ? ids.userId : type.startsWith("m.space.") ? "example.org" : "";
        const path = `${V3}/rooms/${q(roomId)}/state/${type}/${q(stateKey)}`;
        for (const field of fields) for (const value of WRONG_VALUES) await probe("PUT", path, { json: { [field]: value } });
      }
      assert.deepEqual(failures, []);
      // The room still takes messages from its creator.
      const res = await alice.put(`${V3}/rooms/${q(roomId)}/send/m.room.message/still`, { msgtype: "m.text", body: "still here" });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    });
  });
}
