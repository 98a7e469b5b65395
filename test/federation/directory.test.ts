/**
 * Asking servers that are not Tessera: an older server without the filtered (POST) room directory,
 * and servers that answer with errors or nonsense. A small HTTPS server on loopback plays them (it
 * checks no signatures: what is tested is how this server treats the answers).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { generate } from "selfsigned";
import { registeredClients, type ApiClient } from "../harness/client.js";
import { startFederatedServer, type FederatedServer } from "../harness/federation.js";
import { signedRequest } from "../harness/federated-rooms.js";

const V3 = "/_matrix/client/v3";

type Answer = { status: number; body: string };

const json = (status: number, body: unknown): Answer => ({ status, body: JSON.stringify(body) });

/** The old server's directory: two rooms, and an entry without the fields every entry must have. */
const DIRECTORY = {
  chunk: [
    { room_id: "!rust:old", name: "Rust lovers", num_joined_members: 3, world_readable: false, guest_can_join: false },
    { room_id: "!cook:old", name: "Cooking", topic: "rust removal from pans", num_joined_members: 7, world_readable: true, guest_can_join: false },
    { room_id: "!nothing:old", name: "Rust, broken" },
  ],
  total_room_count_estimate: 3,
};

function oldServerAnswer(method: string, url: string): Answer {
  const { pathname, searchParams } = new URL(url, "https://old");
  if (pathname === "/_matrix/federation/v1/publicRooms") {
    return method === "POST" ? json(405, { errcode: "M_UNRECOGNIZED", error: "Unrecognized request" }) : json(200, DIRECTORY);
  }
  if (pathname === "/_matrix/federation/v1/query/directory") {
    const alias = searchParams.get("room_alias") ?? "";
    if (alias.startsWith("#nonsense:")) return { status: 200, body: "this is not JSON" };
    if (alias.startsWith("#wrong-shape:")) return json(200, { room_id: 42, servers: "everywhere" });
    if (alias.startsWith("#crash:")) return json(500, { errcode: "M_UNKNOWN", error: "secret internal details" });
    return json(404, { errcode: "M_NOT_FOUND", error: "Room alias not found" });
  }
  return json(404, { errcode: "M_UNRECOGNIZED", error: "Unrecognized request" });
}

describe("federation: room directories and aliases of servers that answer differently", () => {
  let two: FederatedServer;
  let three: FederatedServer;
  let bob: ApiClient;
  let oldServer: Server;
  let oldName: string;
  const requests: string[] = [];

  before(async () => {
    const pems = await generate([{ name: "commonName", value: "127.0.0.1" }], {
      keySize: 2048,
      algorithm: "sha256",
      extensions: [{ name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }] }],
    });
    oldServer = createServer({ cert: pems.cert, key: pems.private }, (req, res) => {
      requests.push(`${req.method ?? ""} ${req.url ?? ""}`);
      req.resume();
      req.on("end", () => {
        const answer = oldServerAnswer(req.method ?? "GET", req.url ?? "/");
        res.writeHead(answer.status, { "content-type": "application/json" });
        res.end(answer.body);
      });
    });
    await new Promise<void>((resolve) => oldServer.listen(0, "127.0.0.1", resolve));
    oldName = `127.0.0.1:${(oldServer.address() as AddressInfo).port}`;
    two = await startFederatedServer();
    three = await startFederatedServer();
    [bob] = await registeredClients(two.url, "bob");
  });
  after(async () => {
    await two?.destroy();
    await three?.destroy();
    await new Promise((resolve) => oldServer?.close(resolve));
  });

  it("falls back to the whole list, filtered here, when the remote server refuses the filtered POST", async () => {
    requests.length = 0;
    const searched = await bob.post(`${V3}/publicRooms?server=${encodeURIComponent(oldName)}`, { filter: { generic_search_term: "RUST" }, limit: 1 });
    assert.equal(searched.status, 200, JSON.stringify(searched.body));
    assert.deepEqual(
      (searched.body["chunk"] as { room_id: string }[]).map((r) => r.room_id),
      ["!rust:old", "!cook:old"],
      "both matches (by name and by topic), without the limit, and never the malformed entry",
    );
    assert.equal(searched.body["next_batch"], undefined);
    assert.deepEqual(
      requests.map((r) => r.split("?")[0]),
      ["POST /_matrix/federation/v1/publicRooms", "GET /_matrix/federation/v1/publicRooms"],
    );

    const listed = await bob.get(`${V3}/publicRooms?server=${encodeURIComponent(oldName)}&limit=5`);
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    assert.equal((listed.body["chunk"] as unknown[]).length, 2);
    assert.equal(listed.body["total_room_count_estimate"], 3);
    assert.ok(requests.some((r) => r === "GET /_matrix/federation/v1/publicRooms?limit=5"), "the limit is passed on");
  });

  it("answers alias lookups the remote server fails with 404 or 502, never its error text", async () => {
    const alias = (name: string) => encodeURIComponent(`#${name}:${oldName}`);
    const gone = await bob.get(`${V3}/directory/room/${alias("gone")}`);
    assert.equal(gone.status, 404);
    assert.equal(gone.body["errcode"], "M_NOT_FOUND");
    for (const name of ["nonsense", "wrong-shape", "crash"]) {
      const answer = await bob.get(`${V3}/directory/room/${alias(name)}`);
      assert.equal(answer.status, 502, `${name}: ${JSON.stringify(answer.body)}`);
      assert.ok(!JSON.stringify(answer.body).includes("secret internal details"));
    }
    const join = await bob.post(`${V3}/join/${alias("crash")}`, {});
    assert.equal(join.status, 502);
  });

  it("answers Synapse's filtered POST, which sends include_all_networks as a string", async () => {
    const [carol] = await registeredClients(three.url, "carol");
    const created = await carol!.post(`${V3}/createRoom`, { preset: "public_chat", visibility: "public", name: "Stringly typed" });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    for (const include of ["false", false]) {
      const answer = await signedRequest(two, three, "POST", "/_matrix/federation/v1/publicRooms", {
        include_all_networks: include,
        limit: 5,
        filter: { generic_search_term: "stringly" },
      });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.deepEqual((answer.body["chunk"] as { room_id: string }[]).map((r) => r.room_id), [created.body["room_id"]]);
    }
    const wrong = await signedRequest(two, three, "POST", "/_matrix/federation/v1/publicRooms", { include_all_networks: "maybe" });
    assert.equal(wrong.status, 400);
  });
});
