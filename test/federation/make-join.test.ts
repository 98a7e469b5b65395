import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { registeredClients } from "../harness/client.js";
import { startFederatedServer, type FederatedServer } from "../harness/federation.js";
import { signedRequest, type Json } from "../harness/federated-rooms.js";
import { computeEventId } from "../../src/protocol/event-id.js";
import { hashAndSignEvent } from "../../src/protocol/event-signing.js";
import { getRoomVersion } from "../../src/protocol/room-versions.js";
import { generateSigningKey } from "../../src/protocol/signing-key.js";

const V3 = "/_matrix/client/v3";

describe("federation: make_join and send_join served to other servers", () => {
  let one: FederatedServer;
  let two: FederatedServer;
  let publicRoom: string;
  let inviteOnlyRoom: string;
  let bobId: string;
  const makeJoin = (roomId: string, userId: string, query = "?ver=12") =>
    signedRequest(two, one, "GET", `/_matrix/federation/v1/make_join/${encodeURIComponent(roomId)}/${encodeURIComponent(userId)}${query}`);
  const sendJoin = (roomId: string, eventId: string, event: object) =>
    signedRequest(two, one, "PUT", `/_matrix/federation/v2/send_join/${encodeURIComponent(roomId)}/${encodeURIComponent(eventId)}`, event as Json);

  before(async () => {
    [one, two] = await Promise.all([startFederatedServer(), startFederatedServer()]);
    const [alice] = await registeredClients(one.url, "alice");
    publicRoom = (await alice.post(`${V3}/createRoom`, { preset: "public_chat" })).body["room_id"] as string;
    inviteOnlyRoom = (await alice.post(`${V3}/createRoom`, { preset: "private_chat" })).body["room_id"] as string;
    bobId = `@bob:${two.serverName}`;
  });
  after(async () => {
    await Promise.all([one?.destroy(), two?.destroy()]);
  });

  it("returns a join template built on the current state, without hashes or signatures", async () => {
    const answer = await makeJoin(publicRoom, bobId, "?ver=10&ver=12");
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body["room_version"], "12");
    const event = answer.body["event"] as Json;
    assert.equal(event["type"], "m.room.member");
    assert.equal(event["sender"], bobId);
    assert.equal(event["state_key"], bobId);
    assert.equal(event["room_id"], publicRoom);
    assert.deepEqual(event["content"], { membership: "join" });
    assert.equal((event["prev_events"] as string[]).length, 1);
    assert.ok((event["auth_events"] as string[]).length >= 2, "power levels and join rules at least");
    assert.equal(typeof event["depth"], "number");
    assert.equal(event["hashes"], undefined);
    assert.equal(event["signatures"], undefined);
  });

  it("refuses a user of another server (403), an unknown room (404), an unsupported version (400) and a join the rules refuse (403)", async () => {
    const otherServer = await makeJoin(publicRoom, `@mallory:${one.serverName}`);
    assert.equal(otherServer.status, 403);
    assert.equal(otherServer.body["errcode"], "M_FORBIDDEN");

    const unknown = await makeJoin(`!nothere:${one.serverName}`, bobId);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body["errcode"], "M_NOT_FOUND");

    const noVer = await makeJoin(publicRoom, bobId, "");
    assert.equal(noVer.status, 400, "without ver the joining server supports room version 1 only");
    assert.equal(noVer.body["errcode"], "M_INCOMPATIBLE_ROOM_VERSION");
    assert.equal(noVer.body["room_version"], "12");
    const otherVersions = await makeJoin(publicRoom, bobId, "?ver=9&ver=10");
    assert.equal(otherVersions.status, 400);
    assert.equal(otherVersions.body["room_version"], "12");

    const inviteOnly = await makeJoin(inviteOnlyRoom, bobId);
    assert.equal(inviteOnly.status, 403);
    assert.equal(inviteOnly.body["errcode"], "M_FORBIDDEN");
  });

  it("send_join refuses a mismatched event ID, another server's user, a bad signature, and accepts a good join", async () => {
    const version = getRoomVersion("12");
    const template = (await makeJoin(publicRoom, bobId)).body["event"] as Json;
    const key = two.server.context.secrets.signingKey;
    const complete = (event: Json) => ({ ...event, origin: two.serverName, origin_server_ts: Date.now() });
    const signed = hashAndSignEvent(complete(template), version, two.serverName, key);
    const eventId = computeEventId(signed, version);

    const wrongId = await sendJoin(publicRoom, "$notthisevent", signed);
    assert.equal(wrongId.status, 400);

    const mallory = `@mallory:${one.serverName}`;
    const foreign = hashAndSignEvent(complete({ ...template, sender: mallory, state_key: mallory }), version, two.serverName, key);
    const foreignAnswer = await sendJoin(publicRoom, computeEventId(foreign, version), foreign);
    assert.equal(foreignAnswer.status, 403);

    const forged = hashAndSignEvent(complete(template), version, two.serverName, generateSigningKey(key.version));
    const forgedAnswer = await sendJoin(publicRoom, computeEventId(forged, version), forged);
    assert.equal(forgedAnswer.status, 403);

    const good = await sendJoin(publicRoom, eventId, signed);
    assert.equal(good.status, 200, JSON.stringify(good.body));
    assert.equal(good.body["origin"], one.serverName);
    assert.equal(good.body["members_omitted"], false);
    assert.ok((good.body["servers_in_room"] as string[]).includes(one.serverName));
    const state = good.body["state"] as Json[];
    assert.ok(state.some((e) => e["type"] === "m.room.create"));
    assert.ok(state.some((e) => e["type"] === "m.room.join_rules"));
    assert.ok(!state.some((e) => e["state_key"] === bobId), "the state is the state before the join");
    assert.ok(Array.isArray(good.body["auth_chain"]));
    assert.equal(computeEventId(good.body["event"] as Json, version), eventId);

    const again = await sendJoin(publicRoom, eventId, signed);
    assert.equal(again.status, 200, "a retried send_join is answered again");
  });
});
