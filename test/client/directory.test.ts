import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ApiClient } from "../harness/client.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { DATABASE_KINDS, isPostgresAvailable, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";

const V3 = "/_matrix/client/v3";
const enc = encodeURIComponent;

type PublicRooms = {
  chunk: { room_id: string; name?: string; topic?: string; canonical_alias?: string; num_joined_members: number; room_type?: string; join_rule?: string; world_readable: boolean; guest_can_join: boolean }[];
  next_batch?: string;
  prev_batch?: string;
  total_room_count_estimate?: number;
};

for (const database of DATABASE_KINDS) {
describe(`room aliases and the room directory on ${database}`, { skip: database === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false }, () => {
  let hs: TestServer;
  let alice: ApiClient;
  let bob: ApiClient;
  let anonymous: ApiClient;

  before(async () => {
    hs = await startTestServer({ database });
    alice = new ApiClient(hs.url);
    bob = new ApiClient(hs.url);
    anonymous = new ApiClient(hs.url);
    await alice.register("alice");
    await bob.register("bob");
  });
  after(async () => hs.destroy());

  async function createRoom(client: ApiClient, body: Record<string, unknown> = {}): Promise<string> {
    const created = await client.post<{ room_id: string }>(`${V3}/createRoom`, body);
    assert.equal(created.status, 200, JSON.stringify(created.body));
    return created.body.room_id;
  }

  it("creates, resolves, lists and deletes an alias", async () => {
    const roomId = await createRoom(alice);
    const set = await alice.put(`${V3}/directory/room/${enc("#lobby:localhost")}`, { room_id: roomId });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.deepEqual(set.body, {});

    const resolved = await anonymous.get<{ room_id: string; servers: string[] }>(`${V3}/directory/room/${enc("#lobby:localhost")}`);
    assert.equal(resolved.status, 200, "resolving needs no access token");
    assert.equal(resolved.body.room_id, roomId);
    assert.deepEqual(resolved.body.servers, ["localhost"]);

    const again = await alice.put(`${V3}/directory/room/${enc("#lobby:localhost")}`, { room_id: roomId });
    assert.equal(again.status, 409);
    assert.equal(again.body["errcode"], "M_UNKNOWN");

    const listed = await alice.get<{ aliases: string[] }>(`${V3}/rooms/${enc(roomId)}/aliases`);
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body.aliases, ["#lobby:localhost"]);

    const refused = await bob.delete(`${V3}/directory/room/${enc("#lobby:localhost")}`);
    assert.equal(refused.status, 403, "neither creator, nor admin, nor moderator");
    assert.equal(refused.body["errcode"], "M_FORBIDDEN");

    const deleted = await alice.delete(`${V3}/directory/room/${enc("#lobby:localhost")}`);
    assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
    const gone = await alice.get(`${V3}/directory/room/${enc("#lobby:localhost")}`);
    assert.equal(gone.status, 404);
    assert.equal(gone.body["errcode"], "M_NOT_FOUND");
    const deletedAgain = await alice.delete(`${V3}/directory/room/${enc("#lobby:localhost")}`);
    assert.equal(deletedAgain.status, 404);
    assert.equal(deletedAgain.body["errcode"], "M_NOT_FOUND");
    assert.deepEqual((await alice.get<{ aliases: string[] }>(`${V3}/rooms/${enc(roomId)}/aliases`)).body.aliases, []);
  });

  it("refuses bad aliases, other servers' aliases, strangers and unknown rooms", async () => {
    const roomId = await createRoom(alice);
    for (const alias of ["lobby", "#nocolon", "#:localhost", "#with space:localhost"]) {
      const bad = await alice.put(`${V3}/directory/room/${enc(alias)}`, { room_id: roomId });
      assert.equal(bad.status, 400, alias);
      assert.equal(bad.body["errcode"], "M_INVALID_PARAM", alias);
    }
    const remote = await alice.put(`${V3}/directory/room/${enc("#elsewhere:example.org")}`, { room_id: roomId });
    assert.equal(remote.status, 400);
    assert.equal(remote.body["errcode"], "M_INVALID_PARAM");

    const stranger = await bob.put(`${V3}/directory/room/${enc("#bobs:localhost")}`, { room_id: roomId });
    assert.equal(stranger.status, 403, "only members may point an alias at a room");
    assert.equal(stranger.body["errcode"], "M_FORBIDDEN");

    const unknownRoom = await alice.put(`${V3}/directory/room/${enc("#ghost:localhost")}`, { room_id: "!nowhere:localhost" });
    assert.equal(unknownRoom.status, 400);
    const missingBody = await alice.put(`${V3}/directory/room/${enc("#nobody:localhost")}`, {});
    assert.equal(missingBody.status, 400);
    assert.equal(missingBody.body["errcode"], "M_MISSING_PARAM");

    const invalidLookup = await alice.get(`${V3}/directory/room/${enc("lobby")}`);
    assert.equal(invalidLookup.status, 400);
    assert.equal(invalidLookup.body["errcode"], "M_INVALID_PARAM");
    // Other servers' aliases are asked of their server; loopback is a blocked range, so it cannot be reached.
    const remoteLookup = await alice.get(`${V3}/directory/room/${enc("#somewhere:127.0.0.1:1")}`);
    assert.equal(remoteLookup.status, 502, "an unreachable alias server is a bad gateway");

    const listByStranger = await bob.get(`${V3}/rooms/${enc(roomId)}/aliases`);
    assert.equal(listByStranger.status, 403);
    assert.equal(listByStranger.body["errcode"], "M_FORBIDDEN");
    const listUnknown = await alice.get(`${V3}/rooms/${enc("!nowhere:localhost")}/aliases`);
    assert.equal(listUnknown.status, 403);
    const unauthenticated = await anonymous.put(`${V3}/directory/room/${enc("#anon:localhost")}`, { room_id: roomId });
    assert.equal(unauthenticated.status, 401);
    assert.equal(unauthenticated.body["errcode"], "M_MISSING_TOKEN");
  });

  it("lets anyone list the aliases of a world-readable room", async () => {
    const roomId = await createRoom(alice, { initial_state: [{ type: "m.room.history_visibility", content: { history_visibility: "world_readable" } }] });
    assert.equal((await alice.put(`${V3}/directory/room/${enc("#readable:localhost")}`, { room_id: roomId })).status, 200);
    const listed = await bob.get<{ aliases: string[] }>(`${V3}/rooms/${enc(roomId)}/aliases`);
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    assert.deepEqual(listed.body.aliases, ["#readable:localhost"]);
  });

  it("takes a deleted alias out of the canonical alias event", async () => {
    const roomId = await createRoom(alice);
    for (const alias of ["#main:localhost", "#alt:localhost"]) assert.equal((await alice.put(`${V3}/directory/room/${enc(alias)}`, { room_id: roomId })).status, 200);
    const canonical = await alice.put(`${V3}/rooms/${enc(roomId)}/state/m.room.canonical_alias`, { alias: "#main:localhost", alt_aliases: ["#alt:localhost"] });
    assert.equal(canonical.status, 200, JSON.stringify(canonical.body));
    assert.equal((await alice.delete(`${V3}/directory/room/${enc("#alt:localhost")}`)).status, 200);
    assert.deepEqual((await alice.get(`${V3}/rooms/${enc(roomId)}/state/m.room.canonical_alias`)).body, { alias: "#main:localhost" });
    assert.equal((await alice.delete(`${V3}/directory/room/${enc("#main:localhost")}`)).status, 200);
    assert.deepEqual((await alice.get(`${V3}/rooms/${enc(roomId)}/state/m.room.canonical_alias`)).body, {});
  });

  it("lets a room moderator delete an alias someone else created", async () => {
    const roomId = await createRoom(alice, { preset: "public_chat" });
    assert.equal((await bob.post(`${V3}/join/${enc(roomId)}`, {})).status, 200);
    assert.equal((await bob.put(`${V3}/directory/room/${enc("#bobs-alias:localhost")}`, { room_id: roomId })).status, 200);
    const byModerator = await alice.delete(`${V3}/directory/room/${enc("#bobs-alias:localhost")}`);
    assert.equal(byModerator.status, 200, JSON.stringify(byModerator.body));
  });

  it("creates a room with an alias and publishes it, then joins it by alias", async () => {
    const created = await alice.post<{ room_id: string; room_alias?: string }>(`${V3}/createRoom`, {
      room_alias_name: "town-square",
      visibility: "public",
      name: "Town square",
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const roomId = created.body.room_id;
    assert.equal(created.body.room_alias, "#town-square:localhost");
    assert.equal((await anonymous.get<{ room_id: string }>(`${V3}/directory/room/${enc("#town-square:localhost")}`)).body.room_id, roomId);
    assert.deepEqual((await alice.get(`${V3}/rooms/${enc(roomId)}/state/m.room.canonical_alias`)).body, { alias: "#town-square:localhost" });
    assert.deepEqual((await anonymous.get(`${V3}/directory/list/room/${enc(roomId)}`)).body, { visibility: "public" });

    const taken = await alice.post(`${V3}/createRoom`, { room_alias_name: "town-square" });
    assert.equal(taken.status, 400);
    assert.equal(taken.body["errcode"], "M_ROOM_IN_USE");
    const invalid = await alice.post(`${V3}/createRoom`, { room_alias_name: "two words" });
    assert.equal(invalid.status, 400);
    assert.equal(invalid.body["errcode"], "M_INVALID_PARAM");

    const joined = await bob.post<{ room_id: string }>(`${V3}/join/${enc("#town-square:localhost")}`, {});
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    assert.equal(joined.body.room_id, roomId);
    const listing = await bob.post<PublicRooms>(`${V3}/publicRooms`, { filter: { generic_search_term: "town square" } });
    assert.equal(listing.status, 200, JSON.stringify(listing.body));
    assert.deepEqual(
      listing.body.chunk.map((r) => [r.room_id, r.name, r.canonical_alias, r.num_joined_members, r.join_rule, r.world_readable, r.guest_can_join]),
      [[roomId, "Town square", "#town-square:localhost", 2, "public", false, false]],
    );
    const unknownAlias = await bob.post(`${V3}/join/${enc("#no-such-room:localhost")}`, {});
    assert.equal(unknownAlias.status, 404);
  });

  it("reads and changes a room's directory visibility", async () => {
    const roomId = await createRoom(alice, { preset: "public_chat" });
    assert.deepEqual((await anonymous.get(`${V3}/directory/list/room/${enc(roomId)}`)).body, { visibility: "private" });
    assert.equal((await bob.post(`${V3}/join/${enc(roomId)}`, {})).status, 200);

    const byMember = await bob.put(`${V3}/directory/list/room/${enc(roomId)}`, { visibility: "public" });
    assert.equal(byMember.status, 403, "an ordinary member may not publish the room");
    assert.equal(byMember.body["errcode"], "M_FORBIDDEN");

    const published = await alice.put(`${V3}/directory/list/room/${enc(roomId)}`, {});
    assert.equal(published.status, 200, "visibility defaults to public");
    assert.deepEqual((await anonymous.get(`${V3}/directory/list/room/${enc(roomId)}`)).body, { visibility: "public" });
    assert.equal((await alice.put(`${V3}/directory/list/room/${enc(roomId)}`, { visibility: "private" })).status, 200);
    assert.deepEqual((await anonymous.get(`${V3}/directory/list/room/${enc(roomId)}`)).body, { visibility: "private" });

    const bad = await alice.put(`${V3}/directory/list/room/${enc(roomId)}`, { visibility: "secret" });
    assert.equal(bad.status, 400);
    const unknownGet = await anonymous.get(`${V3}/directory/list/room/${enc("!nowhere:localhost")}`);
    assert.equal(unknownGet.status, 404);
    assert.equal(unknownGet.body["errcode"], "M_NOT_FOUND");
    const unknownPut = await alice.put(`${V3}/directory/list/room/${enc("!nowhere:localhost")}`, { visibility: "public" });
    assert.equal(unknownPut.status, 404);
    assert.equal(unknownPut.body["errcode"], "M_NOT_FOUND");
  });

  it("lists published rooms largest first, paginates both ways and filters", async () => {
    const term = `paged-${database}`;
    const rooms: string[] = [];
    for (let i = 0; i < 5; i++) rooms.push(await createRoom(alice, { visibility: "public", preset: "public_chat", name: `${term} room ${i}` }));
    const space = await createRoom(alice, { visibility: "public", preset: "public_chat", topic: `A ${term.toUpperCase()} space`, creation_content: { type: "m.space" } });
    // Not published: never listed.
    await createRoom(alice, { preset: "public_chat", name: `${term} hidden` });
    // The biggest room comes first.
    assert.equal((await bob.post(`${V3}/join/${enc(rooms[3]!)}`, {})).status, 200);

    const seen: string[] = [];
    let since: string | undefined;
    const tokens: string[] = [];
    do {
      const page: { status: number; body: PublicRooms } = await alice.post<PublicRooms>(`${V3}/publicRooms`, { limit: 2, filter: { generic_search_term: term }, ...(since ? { since } : {}) });
      assert.equal(page.status, 200, JSON.stringify(page.body));
      assert.ok(page.body.chunk.length <= 2);
      assert.equal(page.body.total_room_count_estimate, 6);
      seen.push(...page.body.chunk.map((r) => r.room_id));
      since = page.body.next_batch;
      if (since) tokens.push(since);
    } while (since);
    assert.equal(seen.length, 6);
    assert.deepEqual([...seen].sort(), [...rooms, space].sort(), "every published match once, the hidden room never");
    assert.equal(seen[0], rooms[3], "the room with most members first");

    const second = await alice.post<PublicRooms>(`${V3}/publicRooms`, { limit: 2, since: tokens[1], filter: { generic_search_term: term } });
    assert.ok(second.body.prev_batch, "a later page links back");
    const back = await alice.post<PublicRooms>(`${V3}/publicRooms`, { limit: 2, since: second.body.prev_batch, filter: { generic_search_term: term } });
    assert.deepEqual(back.body.chunk.map((r) => r.room_id), seen.slice(2, 4));

    const viaGet = await anonymous.get<PublicRooms>(`${V3}/publicRooms?limit=3`);
    assert.equal(viaGet.status, 200, "GET needs no access token");
    assert.equal(viaGet.body.chunk.length, 3);
    assert.ok(viaGet.body.next_batch);
    const nextGet = await anonymous.get<PublicRooms>(`${V3}/publicRooms?limit=3&since=${enc(viaGet.body.next_batch!)}`);
    assert.equal(nextGet.status, 200);
    assert.ok(!nextGet.body.chunk.some((r) => viaGet.body.chunk.some((s) => s.room_id === r.room_id)), "pages do not overlap");

    const spaces = await alice.post<PublicRooms>(`${V3}/publicRooms`, { filter: { generic_search_term: term, room_types: ["m.space"] } });
    assert.deepEqual(spaces.body.chunk.map((r) => [r.room_id, r.room_type, r.topic]), [[space, "m.space", `A ${term.toUpperCase()} space`]]);
    const untyped = await alice.post<PublicRooms>(`${V3}/publicRooms`, { filter: { generic_search_term: term, room_types: [null] } });
    assert.deepEqual(untyped.body.chunk.map((r) => r.room_id).sort(), [...rooms].sort());
    const byTopic = await alice.post<PublicRooms>(`${V3}/publicRooms`, { filter: { generic_search_term: `${term.toUpperCase()} SPACE` } });
    assert.deepEqual(byTopic.body.chunk.map((r) => r.room_id), [space], "the search is case-insensitive and covers topics");
  });

  it("lists published rooms only while they are open and someone is in them", async () => {
    const term = `openness-${database}`;
    const list = async (): Promise<string[]> =>
      (await alice.post<PublicRooms>(`${V3}/publicRooms`, { filter: { generic_search_term: term } })).body.chunk.map((r) => r.name ?? "?").sort();
    const open = await createRoom(alice, { visibility: "public", preset: "public_chat", name: `${term} open` });
    const closing = await createRoom(alice, { visibility: "public", preset: "public_chat", name: `${term} closing` });
    await createRoom(alice, {
      visibility: "public",
      preset: "private_chat",
      name: `${term} readable`,
      initial_state: [{ type: "m.room.history_visibility", content: { history_visibility: "world_readable" } }],
    });
    await createRoom(alice, { visibility: "public", preset: "private_chat", name: `${term} invite-only` });
    await createRoom(alice, { visibility: "public", preset: "private_chat", room_version: "10", name: `${term} knock`, initial_state: [{ type: "m.room.join_rules", content: { join_rule: "knock" } }] });
    assert.deepEqual(await list(), [`${term} closing`, `${term} knock`, `${term} open`, `${term} readable`]);

    assert.equal((await alice.put(`${V3}/rooms/${enc(closing)}/state/m.room.join_rules`, { join_rule: "invite" })).status, 200);
    assert.equal((await alice.post(`${V3}/rooms/${enc(open)}/leave`, {})).status, 200);
    assert.deepEqual(await list(), [`${term} knock`, `${term} readable`], "an invite-only room and an empty room are no longer listed");
    assert.deepEqual((await anonymous.get(`${V3}/directory/list/room/${enc(closing)}`)).body, { visibility: "public" }, "they stay published");
  });

  it("refuses bad directory queries", async () => {
    const badSince = await alice.post(`${V3}/publicRooms`, { since: "nonsense" });
    assert.equal(badSince.status, 400);
    assert.equal(badSince.body["errcode"], "M_INVALID_PARAM");
    const badSinceGet = await anonymous.get(`${V3}/publicRooms?since=nonsense`);
    assert.equal(badSinceGet.status, 400);
    const badLimit = await anonymous.get(`${V3}/publicRooms?limit=many`);
    assert.equal(badLimit.status, 400);
    assert.equal(badLimit.body["errcode"], "M_INVALID_PARAM");
    const negative = await alice.post(`${V3}/publicRooms`, { limit: -1 });
    assert.equal(negative.status, 400);
    const badTypes = await alice.post(`${V3}/publicRooms`, { filter: { room_types: "m.space" } });
    assert.equal(badTypes.status, 400);
    // Other servers' directories are asked of them; loopback is a blocked range, so it cannot be reached.
    const remote = await anonymous.get(`${V3}/publicRooms?server=127.0.0.1:1`);
    assert.equal(remote.status, 502, "an unreachable directory server is a bad gateway");
    const own = await anonymous.get(`${V3}/publicRooms?server=localhost`);
    assert.equal(own.status, 200);
    // An empty server names no other one: the local directory, as with none.
    const empty = await alice.post(`${V3}/publicRooms?server=`, {});
    assert.equal(empty.status, 200, JSON.stringify(empty.body));
    for (const server of ["not a server", "%00", "a".repeat(300)]) {
      const invalid = await anonymous.get(`${V3}/publicRooms?server=${encodeURIComponent(server)}`);
      assert.equal(invalid.status, 400, server);
      assert.equal(invalid.body["errcode"], "M_INVALID_PARAM");
    }
    const postWithoutToken = await anonymous.post(`${V3}/publicRooms`, {});
    assert.equal(postWithoutToken.status, 401);
    assert.equal(postWithoutToken.body["errcode"], "M_MISSING_TOKEN");
  });
});
}

for (const database of DATABASE_KINDS) {
describe(`a room directory only administrators may publish to on ${database}`, { skip: database === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false }, () => {
  let hs: TestServer;
  let alice: ApiClient;

  before(async () => {
    hs = await startTestServer({ database, config: { room_directory: { publish_requires_admin: true } } });
    alice = new ApiClient(hs.url);
    await alice.register("alice");
  });
  after(async () => hs.destroy());

  it("refuses publication by users who are not administrators", async () => {
    const created = await alice.post(`${V3}/createRoom`, { visibility: "public" });
    assert.equal(created.status, 403);
    assert.equal(created.body["errcode"], "M_FORBIDDEN");
    const room = await alice.post<{ room_id: string }>(`${V3}/createRoom`, { preset: "public_chat" });
    const published = await alice.put(`${V3}/directory/list/room/${enc(room.body.room_id)}`, { visibility: "public" });
    assert.equal(published.status, 403);
    assert.equal(published.body["errcode"], "M_FORBIDDEN");
    const withdrawn = await alice.put(`${V3}/directory/list/room/${enc(room.body.room_id)}`, { visibility: "private" });
    assert.equal(withdrawn.status, 200, "a moderator may still withdraw a room");
  });
});
}
