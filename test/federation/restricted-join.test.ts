/**
 * Restricted joins across servers (server-server API "Restricted rooms"): the resident server names
 * one of its members who may invite as the join's authoriser in make_join and co-signs the join in
 * send_join, but only for users joined to a room the join rules allow; otherwise 403, or
 * M_UNABLE_TO_AUTHORISE_JOIN when it knows none of the allowed rooms.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { registeredClients, type ApiClient } from "../harness/client.js";
import { startTwoServers, type FederatedServer } from "../harness/federation.js";
import { signedRequest, syncUntil, type Json } from "../harness/federated-rooms.js";

const V3 = "/_matrix/client/v3";

describe("federation: restricted joins through an authorising server", () => {
  let one: FederatedServer;
  let two: FederatedServer;
  let alice: ApiClient;
  let bob: ApiClient;
  let carol: ApiClient;
  let aliceId: string;
  let bobId: string;
  let lobby: string;
  let restricted: string;

  before(async () => {
    ({ one, two, alice, bob, aliceId, bobId } = await startTwoServers({ federation: { retry_initial_ms: 200, retry_max_ms: 1_000 } }));
    [carol] = await registeredClients(two.url, "carol");
    lobby = (await alice.post(`${V3}/createRoom`, { preset: "public_chat", name: "lobby" })).body["room_id"] as string;
    const created = await alice.post(`${V3}/createRoom`, {
      preset: "private_chat",
      room_version: "10",
      initial_state: [{ type: "m.room.join_rules", state_key: "", content: { join_rule: "restricted", allow: [{ type: "m.room_membership", room_id: lobby }] } }],
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    restricted = created.body["room_id"] as string;
  });
  after(async () => {
    await Promise.all([one?.destroy(), two?.destroy()]);
  });

  it("lets bob@two, a member of the lobby, join the restricted room: alice vouches and one co-signs", async () => {
    assert.equal((await bob.post(`${V3}/join/${encodeURIComponent(lobby)}?server_name=${encodeURIComponent(one.serverName)}`, {})).status, 200);
    const joined = await bob.post(`${V3}/join/${encodeURIComponent(restricted)}?server_name=${encodeURIComponent(one.serverName)}`, {});
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    const view = await syncUntil(alice, restricted, (v) => v.timeline.some((e) => e.type === "m.room.member" && e.state_key === bobId));
    const join = view.timeline.find((e) => e.type === "m.room.member" && e.state_key === bobId)!;
    assert.equal(join.content["join_authorised_via_users_server"], aliceId);
    const stored = await one.server.context.stores.events.getById(join.event_id);
    const signatures = stored?.pdu.signatures as Record<string, unknown>;
    assert.ok(signatures[one.serverName] && signatures[two.serverName], "signed by both servers");
  });

  it("refuses carol@two, who is in no allowed room, with 403", async () => {
    const refused = await carol.post(`${V3}/join/${encodeURIComponent(restricted)}?server_name=${encodeURIComponent(one.serverName)}`, {});
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    const carolId = `@carol:${two.serverName}`;
    const made = await signedRequest(two, one, "GET", `/_matrix/federation/v1/make_join/${encodeURIComponent(restricted)}/${encodeURIComponent(carolId)}?ver=10`);
    assert.equal(made.status, 403);
    assert.equal(made.body["errcode"], "M_FORBIDDEN");
  });

  it("answers M_UNABLE_TO_AUTHORISE_JOIN when it knows none of the allowed rooms", async () => {
    const created = await alice.post(`${V3}/createRoom`, {
      preset: "private_chat",
      room_version: "10",
      initial_state: [{ type: "m.room.join_rules", state_key: "", content: { join_rule: "restricted", allow: [{ type: "m.room_membership", room_id: "!elsewhere:example.org" }] } }],
    });
    const roomId = created.body["room_id"] as string;
    const made = await signedRequest(two, one, "GET", `/_matrix/federation/v1/make_join/${encodeURIComponent(roomId)}/${encodeURIComponent(bobId)}?ver=10`);
    assert.equal(made.status, 400, JSON.stringify(made.body));
    assert.equal((made.body as Json)["errcode"], "M_UNABLE_TO_AUTHORISE_JOIN");
  });
});
