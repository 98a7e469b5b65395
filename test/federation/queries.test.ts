/**
 * Queries between servers: aliases (query/directory and joins by another server's alias), published
 * room directories (publicRooms, asked through `server=`), space hierarchies, and OpenID userinfo.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:https";
import type { ApiClient } from "../harness/client.js";
import { FAST_RETRIES, startTwoServers, type FederatedServer } from "../harness/federation.js";
import { signedRequest, syncUntil, type Json, type SyncEvent } from "../harness/federated-rooms.js";
import { hashToken } from "../../src/services/accounts/tokens.js";

const V3 = "/_matrix/client/v3";
const FED = "/_matrix/federation/v1";

const joinedBy = (userId: string) => (e: SyncEvent) => e.type === "m.room.member" && e.state_key === userId && e.content["membership"] === "join";

/** An unsigned GET on a server's federation listener (OpenID userinfo is for third parties, not servers). */
function unsignedGet(to: FederatedServer, path: string): Promise<{ status: number; body: Json }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: to.federationPort, method: "GET", path, rejectUnauthorized: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString() || "{}") as Json }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("federation: aliases, room directories, spaces and OpenID between servers", () => {
  let one: FederatedServer;
  let two: FederatedServer;
  let alice: ApiClient;
  let bob: ApiClient;
  let aliceId: string;
  let bobId: string;
  let lobbyId: string;
  let gardenId: string;

  before(async () => {
    ({ one, two, alice, bob, aliceId, bobId } = await startTwoServers(FAST_RETRIES));
    const lobby = await alice.post(`${V3}/createRoom`, { preset: "public_chat", visibility: "public", room_alias_name: "lobby", name: "Federated Lobby", topic: "all welcome" });
    assert.equal(lobby.status, 200, JSON.stringify(lobby.body));
    lobbyId = lobby.body["room_id"] as string;
    const garden = await alice.post(`${V3}/createRoom`, { preset: "public_chat", visibility: "public", name: "Gardening", topic: "roses and weeds" });
    assert.equal(garden.status, 200, JSON.stringify(garden.body));
    gardenId = garden.body["room_id"] as string;
  });
  after(async () => {
    await Promise.all([one?.destroy(), two?.destroy()]);
  });

  describe("aliases", () => {
    it("serves query/directory: the room and the servers with joined members, the alias's server first", async () => {
      const alias = `#lobby:${one.serverName}`;
      const answer = await signedRequest(two, one, "GET", `${FED}/query/directory?room_alias=${encodeURIComponent(alias)}`);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(answer.body["room_id"], lobbyId);
      assert.deepEqual(answer.body["servers"], [one.serverName]);
    });

    it("answers bad query/directory requests with the spec's errors", async () => {
      const missing = await signedRequest(two, one, "GET", `${FED}/query/directory`);
      assert.equal(missing.status, 400);
      assert.equal(missing.body["errcode"], "M_INVALID_PARAM");
      const malformed = await signedRequest(two, one, "GET", `${FED}/query/directory?room_alias=lobby`);
      assert.equal(malformed.status, 400);
      assert.equal(malformed.body["errcode"], "M_INVALID_PARAM");
      const unknown = await signedRequest(two, one, "GET", `${FED}/query/directory?room_alias=${encodeURIComponent(`#nothing:${one.serverName}`)}`);
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body["errcode"], "M_NOT_FOUND");
      // An alias of another server is not this server's to answer for, even if that server is two itself.
      const foreign = await signedRequest(two, one, "GET", `${FED}/query/directory?room_alias=${encodeURIComponent(`#lobby:${two.serverName}`)}`);
      assert.equal(foreign.status, 404);
      assert.equal(foreign.body["errcode"], "M_NOT_FOUND");
    });

    it("resolves another server's alias for a client, and maps the remote server's failures", async () => {
      const found = await bob.get(`${V3}/directory/room/${encodeURIComponent(`#lobby:${one.serverName}`)}`);
      assert.equal(found.status, 200, JSON.stringify(found.body));
      assert.equal(found.body["room_id"], lobbyId);
      assert.ok((found.body["servers"] as string[]).includes(one.serverName));

      const unknown = await bob.get(`${V3}/directory/room/${encodeURIComponent(`#nothing:${one.serverName}`)}`);
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body["errcode"], "M_NOT_FOUND");

      // Nothing listens on port 1: the alias's server cannot be reached.
      const unreachable = await bob.get(`${V3}/directory/room/${encodeURIComponent("#lobby:127.0.0.1:1")}`);
      assert.equal(unreachable.status, 502, JSON.stringify(unreachable.body));
    });

    it("joins a room by another server's alias, through the servers that server names", async () => {
      const joined = await bob.post(`${V3}/join/${encodeURIComponent(`#lobby:${one.serverName}`)}`, {});
      assert.equal(joined.status, 200, JSON.stringify(joined.body));
      assert.equal(joined.body["room_id"], lobbyId);
      // The join has partial state: alice's membership comes with the rest of the room's state.
      const view = await syncUntil(bob, lobbyId, (v) => v.timeline.some(joinedBy(bobId)) && [...v.state, ...v.timeline].some(joinedBy(aliceId)));
      assert.ok([...view.state, ...view.timeline].some(joinedBy(aliceId)), "bob sees alice in the room");

      // Now both servers have members: one names itself first, then two.
      const answer = await signedRequest(two, one, "GET", `${FED}/query/directory?room_alias=${encodeURIComponent(`#lobby:${one.serverName}`)}`);
      assert.deepEqual(answer.body["servers"], [one.serverName, two.serverName]);

      const unknown = await bob.post(`${V3}/join/${encodeURIComponent(`#nothing:${one.serverName}`)}`, {});
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body["errcode"], "M_NOT_FOUND");
    });
  });

  describe("published room directories", () => {
    const names = (body: Json): unknown[] => (body["chunk"] as Json[]).map((room) => room["name"]).sort();

    it("serves publicRooms over federation with limit, since and a search", async () => {
      const all = await signedRequest(two, one, "GET", `${FED}/publicRooms`);
      assert.equal(all.status, 200, JSON.stringify(all.body));
      assert.deepEqual(names(all.body), ["Federated Lobby", "Gardening"]);

      const first = await signedRequest(two, one, "GET", `${FED}/publicRooms?limit=1`);
      assert.equal((first.body["chunk"] as Json[]).length, 1);
      assert.equal(typeof first.body["next_batch"], "string");
      const second = await signedRequest(two, one, "GET", `${FED}/publicRooms?limit=1&since=${encodeURIComponent(first.body["next_batch"] as string)}`);
      assert.equal((second.body["chunk"] as Json[]).length, 1);
      assert.notEqual((second.body["chunk"] as Json[])[0]?.["room_id"], (first.body["chunk"] as Json[])[0]?.["room_id"]);

      const searched = await signedRequest(two, one, "POST", `${FED}/publicRooms`, { filter: { generic_search_term: "ROSES" } });
      assert.equal(searched.status, 200, JSON.stringify(searched.body));
      assert.deepEqual(names(searched.body), ["Gardening"]);
      assert.equal((searched.body["chunk"] as Json[])[0]?.["room_id"], gardenId);

      // This server has no third-party networks: a network's list is empty unless all are asked for.
      const network = await signedRequest(two, one, "GET", `${FED}/publicRooms?third_party_instance_id=irc`);
      assert.deepEqual(network.body["chunk"], []);
      const allNetworks = await signedRequest(two, one, "POST", `${FED}/publicRooms`, { include_all_networks: true });
      assert.deepEqual(names(allNetworks.body), ["Federated Lobby", "Gardening"]);

      const badLimit = await signedRequest(two, one, "GET", `${FED}/publicRooms?limit=many`);
      assert.equal(badLimit.status, 400);
    });

    it("lists another server's directory for a client with server=, with and without a search term", async () => {
      const server = encodeURIComponent(one.serverName);
      const listed = await bob.get(`${V3}/publicRooms?server=${server}`);
      assert.equal(listed.status, 200, JSON.stringify(listed.body));
      assert.deepEqual(names(listed.body), ["Federated Lobby", "Gardening"]);
      assert.equal(listed.body["total_room_count_estimate"], 2);

      const searched = await bob.post(`${V3}/publicRooms?server=${server}`, { filter: { generic_search_term: "lobby" } });
      assert.equal(searched.status, 200, JSON.stringify(searched.body));
      assert.deepEqual(names(searched.body), ["Federated Lobby"]);

      const unfiltered = await bob.post(`${V3}/publicRooms?server=${server}`, { limit: 1 });
      assert.equal((unfiltered.body["chunk"] as Json[]).length, 1);

      const unreachable = await bob.get(`${V3}/publicRooms?server=${encodeURIComponent("127.0.0.1:1")}`);
      assert.equal(unreachable.status, 502, JSON.stringify(unreachable.body));
    });
  });

  describe("space hierarchies", () => {
    let spaceId: string;
    let openId: string;
    let secretId: string;
    let membersOnlyId: string;

    before(async () => {
      // Room version 10: its room IDs name the server, through which two can ask for the space before joining it.
      const space = await alice.post(`${V3}/createRoom`, { preset: "public_chat", name: "The Space", room_version: "10", creation_content: { type: "m.space" } });
      assert.equal(space.status, 200, JSON.stringify(space.body));
      spaceId = space.body["room_id"] as string;
      openId = (await alice.post(`${V3}/createRoom`, { preset: "public_chat", name: "Open child" })).body["room_id"] as string;
      secretId = (await alice.post(`${V3}/createRoom`, { preset: "private_chat", name: "Secret child" })).body["room_id"] as string;
      const membersOnly = await alice.post(`${V3}/createRoom`, {
        preset: "private_chat",
        name: "Members only",
        initial_state: [{ type: "m.room.join_rules", state_key: "", content: { join_rule: "restricted", allow: [{ type: "m.room_membership", room_id: spaceId }] } }],
      });
      assert.equal(membersOnly.status, 200, JSON.stringify(membersOnly.body));
      membersOnlyId = membersOnly.body["room_id"] as string;
      for (const [child, order] of [[openId, "a"], [secretId, "b"], [membersOnlyId, "c"]] as const) {
        const put = await alice.put(`${V3}/rooms/${encodeURIComponent(spaceId)}/state/m.space.child/${encodeURIComponent(child)}`, { via: [one.serverName], order, suggested: child === openId });
        assert.equal(put.status, 200, JSON.stringify(put.body));
      }
    });

    it("serves the space to another server: the children it may see, and those it may not", async () => {
      const answer = await signedRequest(two, one, "GET", `${FED}/hierarchy/${encodeURIComponent(spaceId)}`);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      const room = answer.body["room"] as Json;
      assert.equal(room["room_id"], spaceId);
      assert.equal(room["room_type"], "m.space");
      assert.deepEqual((room["children_state"] as Json[]).map((c) => c["state_key"]), [openId, secretId, membersOnlyId]);
      assert.ok((room["children_state"] as Json[]).every((c) => typeof c["origin_server_ts"] === "number"));
      assert.deepEqual((answer.body["children"] as Json[]).map((c) => c["room_id"]), [openId]);
      assert.deepEqual(answer.body["children"] && (answer.body["children"] as Json[])[0]?.["children_state"], []);
      // two has nobody in the space yet, so the restricted room is as closed to it as the private one.
      assert.deepEqual([...(answer.body["inaccessible_children"] as string[])].sort(), [membersOnlyId, secretId].sort());

      const suggested = await signedRequest(two, one, "GET", `${FED}/hierarchy/${encodeURIComponent(spaceId)}?suggested_only=true`);
      assert.deepEqual(((suggested.body["room"] as Json)["children_state"] as Json[]).map((c) => c["state_key"]), [openId]);

      for (const closed of [secretId, `!unknown:${one.serverName}`]) {
        const refused = await signedRequest(two, one, "GET", `${FED}/hierarchy/${encodeURIComponent(closed)}`);
        assert.equal(refused.status, 404);
        assert.equal(refused.body["errcode"], "M_NOT_FOUND");
      }
      const badFlag = await signedRequest(two, one, "GET", `${FED}/hierarchy/${encodeURIComponent(spaceId)}?suggested_only=maybe`);
      assert.equal(badFlag.status, 400);
    });

    it("shows bob@two the space of one before anyone of two joined it, asking one", async () => {
      const answer = await bob.get<{ rooms: Json[] }>(`/_matrix/client/v1/rooms/${encodeURIComponent(spaceId)}/hierarchy`);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.deepEqual(answer.body.rooms.map((r) => r["room_id"]), [spaceId, openId]);
      assert.equal(answer.body.rooms[0]?.["name"], "The Space");
      assert.equal((answer.body.rooms[0]?.["children_state"] as Json[]).length, 3);
      assert.equal(answer.body.rooms[1]?.["name"], "Open child");
    });

    it("after bob joins the space, shows him the children two is not in, the restricted one included", async () => {
      const joined = await bob.post(`${V3}/join/${encodeURIComponent(spaceId)}`, {});
      assert.equal(joined.status, 200, JSON.stringify(joined.body));
      await syncUntil(bob, spaceId, (v) => v.timeline.some(joinedBy(bobId)));
      // one learns of bob's join with the send_join itself; two now has a member in the allowed room.
      const served = await signedRequest(two, one, "GET", `${FED}/hierarchy/${encodeURIComponent(spaceId)}`);
      assert.deepEqual((served.body["children"] as Json[]).map((c) => c["room_id"]), [openId, membersOnlyId]);
      assert.deepEqual(served.body["inaccessible_children"], [secretId]);

      const answer = await bob.get<{ rooms: Json[] }>(`/_matrix/client/v1/rooms/${encodeURIComponent(spaceId)}/hierarchy`);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.deepEqual(answer.body.rooms.map((r) => r["room_id"]), [spaceId, openId, membersOnlyId]);
      assert.equal(answer.body.rooms[2]?.["join_rule"], "restricted");

      const page = await bob.get<{ rooms: Json[]; next_batch?: string }>(`/_matrix/client/v1/rooms/${encodeURIComponent(spaceId)}/hierarchy?limit=2`);
      assert.deepEqual(page.body.rooms.map((r) => r["room_id"]), [spaceId, openId]);
      const next = await bob.get<{ rooms: Json[] }>(`/_matrix/client/v1/rooms/${encodeURIComponent(spaceId)}/hierarchy?limit=2&from=${encodeURIComponent(page.body.next_batch ?? "")}`);
      assert.deepEqual(next.body.rooms.map((r) => r["room_id"]), [membersOnlyId]);
    });
  });

  describe("OpenID userinfo", () => {
    it("names the user of a valid token and refuses unknown, expired and missing tokens", async () => {
      const issued = await alice.post(`${V3}/user/${encodeURIComponent(aliceId)}/openid/request_token`, {});
      assert.equal(issued.status, 200, JSON.stringify(issued.body));
      assert.equal(issued.body["matrix_server_name"], one.serverName);
      const valid = await unsignedGet(one, `${FED}/openid/userinfo?access_token=${encodeURIComponent(issued.body["access_token"] as string)}`);
      assert.equal(valid.status, 200, JSON.stringify(valid.body));
      assert.deepEqual(valid.body, { sub: aliceId });

      const unknown = await unsignedGet(one, `${FED}/openid/userinfo?access_token=not-a-token`);
      assert.equal(unknown.status, 401);
      assert.equal(unknown.body["errcode"], "M_UNKNOWN_TOKEN");

      // A token issued an hour and a second ago, straight into the store: its hour is over.
      await one.server.context.stores.tokens.insertOpenIdToken(hashToken("expired-openid-token"), aliceId, Date.now() - 1_000);
      const expired = await unsignedGet(one, `${FED}/openid/userinfo?access_token=expired-openid-token`);
      assert.equal(expired.status, 401);
      assert.equal(expired.body["errcode"], "M_UNKNOWN_TOKEN");

      const missing = await unsignedGet(one, `${FED}/openid/userinfo`);
      assert.equal(missing.status, 401);
      assert.equal(missing.body["errcode"], "M_MISSING_TOKEN");

      // An access token is not an OpenID token.
      const accessToken = await unsignedGet(one, `${FED}/openid/userinfo?access_token=${encodeURIComponent(alice.accessToken ?? "")}`);
      assert.equal(accessToken.status, 401);
    });
  });
});
