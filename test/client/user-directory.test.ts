import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ApiClient } from "../harness/client.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { DATABASE_KINDS, isPostgresAvailable, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";

const V3 = "/_matrix/client/v3";
const enc = encodeURIComponent;
type Directory = { results: { user_id: string; display_name?: string; avatar_url?: string }[]; limited: boolean };

for (const database of DATABASE_KINDS) {
describe(`user directory on ${database}`, { skip: database === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false }, () => {
  let hs: TestServer;

  const user = async (name: string): Promise<ApiClient> => {
    const client = new ApiClient(hs.url);
    await client.register(name);
    return client;
  };
  const find = async (client: ApiClient, term: string, limit?: number): Promise<Directory> => {
    const res = await client.post<Directory>(`${V3}/user_directory/search`, { search_term: term, ...(limit !== undefined ? { limit } : {}) });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  };
  const ids = async (client: ApiClient, term: string): Promise<string[]> => (await find(client, term)).results.map((r) => r.user_id);
  const createRoom = async (client: ApiClient, body: Record<string, unknown>): Promise<string> => {
    const res = await client.post<{ room_id: string }>(`${V3}/createRoom`, body);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.room_id;
  };
  const join = async (client: ApiClient, roomId: string): Promise<void> => {
    const res = await client.post(`${V3}/join/${enc(roomId)}`, {});
    assert.equal(res.status, 200, JSON.stringify(res.body));
  };
  const setName = async (client: ApiClient, userId: string, name: string): Promise<void> => {
    const res = await client.put(`${V3}/profile/${enc(userId)}/displayname`, { displayname: name });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  };

  before(async () => {
    hs = await startTestServer({ database });
  });
  after(async () => hs.destroy());

  it("finds users who share a private room, and only while they do", async () => {
    const anna = await user("anna");
    const boris = await user("boris");
    const stranger = await user("stranger1");
    await setName(anna, "@anna:localhost", "Anna Karenina");
    assert.deepEqual(await ids(boris, "karenina"), [], "no shared room yet");
    const roomId = await createRoom(anna, { preset: "private_chat", invite: ["@boris:localhost"] });
    assert.deepEqual(await ids(boris, "karenina"), [], "an invite is not sharing a room");
    await join(boris, roomId);
    const found = await find(boris, "karenina");
    assert.deepEqual(found.results, [{ user_id: "@anna:localhost", display_name: "Anna Karenina" }]);
    assert.equal(found.limited, false);
    assert.deepEqual(await ids(boris, "anna"), ["@anna:localhost"], "found by localpart");
    assert.deepEqual(await ids(boris, "@anna:localhost"), ["@anna:localhost"], "found by full user ID");
    assert.deepEqual(await ids(boris, "kar"), ["@anna:localhost"], "found by word prefix");
    assert.deepEqual(await ids(boris, "ANNA kar"), ["@anna:localhost"], "every word must match, any case");
    assert.deepEqual(await ids(boris, "anna tolstoy"), []);
    assert.deepEqual(await ids(stranger, "karenina"), [], "a user sharing no room finds nobody in a private room");
    const left = await boris.post(`${V3}/rooms/${enc(roomId)}/leave`, {});
    assert.equal(left.status, 200);
    assert.deepEqual(await ids(boris, "karenina"), [], "no longer sharing the room");
    assert.deepEqual(await ids(anna, "boris"), []);
  });

  it("finds members of public rooms for everyone, until the room stops being public", async () => {
    const owner = await user("owner2");
    const member = await user("dmitri");
    const outsider = await user("outsider2");
    await setName(member, "@dmitri:localhost", "Dmitri Karamazov");
    const roomId = await createRoom(owner, { preset: "public_chat" });
    await join(member, roomId);
    assert.deepEqual(await ids(outsider, "karamazov"), ["@dmitri:localhost"], "members of a public room are visible to all");
    const rules = await owner.put(`${V3}/rooms/${enc(roomId)}/state/m.room.join_rules`, { join_rule: "invite" });
    assert.equal(rules.status, 200, JSON.stringify(rules.body));
    assert.deepEqual(await ids(outsider, "karamazov"), [], "the room is private now");
    const readable = await owner.put(`${V3}/rooms/${enc(roomId)}/state/m.room.history_visibility`, { history_visibility: "world_readable" });
    assert.equal(readable.status, 200, JSON.stringify(readable.body));
    assert.deepEqual(await ids(outsider, "karamazov"), ["@dmitri:localhost"], "world_readable rooms count as public");
  });

  it("follows display name changes and ignores accents", async () => {
    const one = await user("elena");
    const two = await user("fyodor");
    const roomId = await createRoom(one, { preset: "private_chat", invite: ["@fyodor:localhost"] });
    await join(two, roomId);
    await setName(one, "@elena:localhost", "José Núñez");
    assert.deepEqual(await ids(two, "jose nunez"), ["@elena:localhost"]);
    assert.deepEqual(await ids(two, "Núñ"), ["@elena:localhost"]);
    await setName(one, "@elena:localhost", "Helen");
    assert.deepEqual(await ids(two, "jose"), [], "the old name no longer matches");
    assert.deepEqual((await find(two, "helen")).results, [{ user_id: "@elena:localhost", display_name: "Helen" }]);
  });

  it("limits results and says when it did; ranks exact matches first", async () => {
    const owner = await user("gatherer");
    const roomId = await createRoom(owner, { preset: "public_chat" });
    for (const name of ["ivan1", "ivan2", "ivan3", "ivana"]) await join(await user(name), roomId);
    const all = await find(owner, "ivan");
    assert.equal(all.results.length, 4);
    assert.equal(all.limited, false);
    const two = await find(owner, "ivan", 2);
    assert.equal(two.results.length, 2);
    assert.equal(two.limited, true);
    const exact = await find(owner, "ivana", 1);
    assert.deepEqual(exact.results.map((r) => r.user_id), ["@ivana:localhost"]);
    assert.equal(exact.limited, false);
    const none = await find(owner, "ivan", 0);
    assert.deepEqual(none.results, []);
    assert.equal(none.limited, true);
    assert.deepEqual((await find(owner, "   ")).results, [], "an empty term finds nobody");
  });

  it("rejects bad requests", async () => {
    const client = await user("validator");
    assert.equal((await client.post(`${V3}/user_directory/search`, {})).status, 400, "search_term is required");
    assert.equal((await client.post(`${V3}/user_directory/search`, { search_term: 5 })).status, 400);
    assert.equal((await client.post(`${V3}/user_directory/search`, { search_term: "x", limit: "ten" })).status, 400);
    assert.equal((await client.post(`${V3}/user_directory/search`, { search_term: "x" }, { token: null })).status, 401);
  });
});
}
