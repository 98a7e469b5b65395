/**
 * A backfill answer is checked before anything in it is stored: one@'s history is recorded, one is
 * stopped, and a fake server on one's address (with one's own key, so the TLS connection and the
 * request signatures check out) answers two's history requests with that record, one message of
 * which was changed after signing. bob@two pages back through the rest; the changed message is not
 * stored, under its own ID nor under the ID its changed form has.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:https";
import { generate } from "selfsigned";
import type { ApiClient} from "../harness/client.js";
import { registeredClients } from "../harness/client.js";
import { startFederatedServer, type FederatedServer } from "../harness/federation.js";
import { signedRequest, syncUntil, type Json, type SyncEvent } from "../harness/federated-rooms.js";
import { computeEventId } from "../../src/protocol/event-id.js";
import { getRoomVersion } from "../../src/protocol/room-versions.js";

const V3 = "/_matrix/client/v3";
const FED = "/_matrix/federation/v1";

/** An HTTPS server answering GET requests from a record (path without query for most, with it for /state_ids). */
async function replayingServer(port: number, answers: ReadonlyMap<string, Json>, asked: string[]): Promise<Server> {
  const pems = await generate([{ name: "commonName", value: "127.0.0.1" }], { keySize: 2048, algorithm: "sha256" });
  const server = createServer({ cert: pems.cert, key: pems.private }, (req, res) => {
    const url = req.url ?? "";
    asked.push(url);
    const key = url.includes("/state_ids/") ? url : url.split("?")[0] as string;
    const answer = answers.get(key);
    res.writeHead(answer ? 200 : 404, { "content-type": "application/json" });
    res.end(JSON.stringify(answer ?? { errcode: "M_NOT_FOUND", error: "not recorded" }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  return server;
}

describe("federation: a tampered event in a backfill answer", () => {
  let one: FederatedServer;
  let two: FederatedServer;
  let fake: Server | undefined;
  let alice: ApiClient;
  let bob: ApiClient;

  before(async () => {
    [one, two] = await Promise.all([startFederatedServer(), startFederatedServer()]);
    [alice] = await registeredClients(one.url, "alice");
    [bob] = await registeredClients(two.url, "bob");
  });
  after(async () => {
    await new Promise((resolve) => (fake ? fake.close(resolve) : resolve(undefined)));
    await Promise.all([one?.destroy(), two?.destroy()]);
  });

  it("is not stored; the events around it are, and bob@two pages past the gap it leaves", async () => {
    const created = await alice.post(`${V3}/createRoom`, { preset: "public_chat" });
    const roomId = created.body["room_id"] as string;
    const room = encodeURIComponent(roomId);
    const ids: string[] = [];
    for (let i = 1; i <= 6; i++) ids.push((await alice.put(`${V3}/rooms/${room}/send/m.room.message/t${i}`, { msgtype: "m.text", body: `message ${i}` })).body["event_id"] as string);
    const bobId = `@bob:${two.serverName}`;
    assert.equal((await bob.post(`${V3}/join/${room}?server_name=${encodeURIComponent(one.serverName)}`, {})).status, 200);
    const view = await syncUntil(bob, roomId, (v) => v.timeline.some((e) => e.type === "m.room.member" && e.state_key === bobId));
    const bobJoin = view.timeline.find((e) => e.state_key === bobId) as SyncEvent;
    const version = getRoomVersion(String(((view.state.find((e) => e.type === "m.room.create") as SyncEvent).content["room_version"] as string | undefined) ?? "1"));

    // Record what one answers about the room's history, then change message 3 after it was signed.
    const answers = new Map<string, Json>();
    const backfillPath = `${FED}/backfill/${room}`;
    const backfill = await signedRequest(two, one, "GET", `${backfillPath}?v=${encodeURIComponent(bobJoin.event_id)}&limit=100`);
    assert.equal(backfill.status, 200);
    const pdus = backfill.body["pdus"] as Json[];
    const tampered = pdus.find((p) => (p["content"] as Json)["body"] === "message 3") as Json;
    tampered["origin_server_ts"] = (tampered["origin_server_ts"] as number) + 1;
    const tamperedId = computeEventId(tampered, version);
    answers.set(backfillPath, backfill.body);
    for (const pdu of pdus) {
      const id = computeEventId(pdu, version);
      const event = await signedRequest(two, one, "GET", `${FED}/event/${encodeURIComponent(id)}`);
      if (event.status === 200) answers.set(`${FED}/event/${encodeURIComponent(id)}`, id === tamperedId ? { ...event.body, pdus: [tampered] } : event.body);
      const stateIdsPath = `${FED}/state_ids/${room}?event_id=${encodeURIComponent(id)}`;
      const stateIds = await signedRequest(two, one, "GET", stateIdsPath);
      if (stateIds.status === 200) answers.set(stateIdsPath, stateIds.body);
      const auth = await signedRequest(two, one, "GET", `${FED}/event_auth/${room}/${encodeURIComponent(id)}`);
      if (auth.status === 200) answers.set(`${FED}/event_auth/${room}/${encodeURIComponent(id)}`, auth.body);
    }
    const m4 = ids[3] as string;
    assert.ok(answers.has(`${FED}/state_ids/${room}?event_id=${encodeURIComponent(m4)}`), "the record has the state before message 4");

    await one.destroy();
    const asked: string[] = [];
    fake = await replayingServer(one.federationPort, answers, asked);

    const seen: SyncEvent[] = [];
    let from: string | undefined;
    for (let page = 0; page < 10; page++) {
      const answer = await bob.get<{ chunk: SyncEvent[]; end?: string }>(`${V3}/rooms/${room}/messages?dir=b&limit=5${from === undefined ? "" : `&from=${encodeURIComponent(from)}`}`);
      assert.equal(answer.status, 200);
      seen.push(...answer.body.chunk);
      if (answer.body.end === undefined) break;
      from = answer.body.end;
    }
    assert.ok(asked.some((path) => path.startsWith(backfillPath)), "two asked the fake server for history");
    const bodies = seen.filter((e) => e.type === "m.room.message").map((e) => e.content["body"]);
    assert.deepEqual(bodies, ["message 6", "message 5", "message 4", "message 2", "message 1"]);
    assert.equal(seen[seen.length - 1]?.type, "m.room.create", "history goes on past the gap to the room's creation");
    for (const id of [ids[2] as string, tamperedId]) {
      assert.equal((await bob.get(`${V3}/rooms/${room}/event/${encodeURIComponent(id)}`)).status, 404, `${id} is not stored`);
    }
  });
});
