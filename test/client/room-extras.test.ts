import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { ApiClient } from "../harness/client.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { DATABASE_KINDS, isPostgresAvailable, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";
import { RoomLookups } from "../../src/services/rooms/room-lookups.js";

const V1 = "/_matrix/client/v1";
const V3 = "/_matrix/client/v3";
const enc = encodeURIComponent;

type StateEvent = { type: string; state_key: string; content: Record<string, unknown>; sender: string; origin_server_ts?: number };
type HierarchyRoom = { room_id: string; name?: string; room_type?: string; num_joined_members: number; children_state: StateEvent[] };
type Hierarchy = { rooms: HierarchyRoom[]; next_batch?: string };

for (const database of DATABASE_KINDS) {
describe(`room extras over HTTP on ${database}`, { skip: database === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false }, () => {
  let hs: TestServer;
  let alice: ApiClient;
  let bob: ApiClient;
  let charlie: ApiClient;
  let anonymous: ApiClient;

  before(async () => {
    hs = await startTestServer({ database });
    alice = new ApiClient(hs.url);
    bob = new ApiClient(hs.url);
    charlie = new ApiClient(hs.url);
    anonymous = new ApiClient(hs.url);
    await alice.register("alice");
    await bob.register("bob");
    await charlie.register("charlie");
  });
  after(async () => hs.destroy());

  async function createRoom(client: ApiClient, body: Record<string, unknown> = {}): Promise<string> {
    const created = await client.post<{ room_id: string }>(`${V3}/createRoom`, body);
    assert.equal(created.status, 200, JSON.stringify(created.body));
    return created.body.room_id;
  }
  async function join(client: ApiClient, roomIdOrAlias: string): Promise<void> {
    const joined = await client.post(`${V3}/join/${enc(roomIdOrAlias)}`, {});
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
  }
  async function state(client: ApiClient, roomId: string, type: string, key = ""): Promise<Record<string, unknown>> {
    const got = await client.get(`${V3}/rooms/${enc(roomId)}/state/${type}/${enc(key)}`);
    assert.equal(got.status, 200, `${type}/${key}: ${JSON.stringify(got.body)}`);
    return got.body;
  }
  async function send(client: ApiClient, roomId: string, body: string): Promise<string> {
    const sent = await client.put<{ event_id: string }>(`${V3}/rooms/${enc(roomId)}/send/m.room.message/${Math.random()}`, { msgtype: "m.text", body });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    return sent.body.event_id;
  }

  describe("upgradeRoom", () => {
    it("replaces a room: tombstone, predecessor, copied state, moved aliases and directory entry, copied bans", async () => {
      const oldRoomId = await createRoom(alice, {
        room_version: "10",
        preset: "public_chat",
        visibility: "public",
        room_alias_name: "upgradable",
        name: "Old name",
        topic: "Old topic",
        power_level_content_override: { users: { "@alice:localhost": 100, "@bob:localhost": 42 } },
      });
      await join(bob, oldRoomId);
      await join(charlie, oldRoomId);
      assert.equal((await alice.post(`${V3}/rooms/${enc(oldRoomId)}/ban`, { user_id: "@charlie:localhost", reason: "spam" })).status, 200);
      assert.equal((await alice.put(`${V3}/directory/room/${enc("#upgradable-alt:localhost")}`, { room_id: oldRoomId })).status, 200);
      assert.equal(
        (await alice.put(`${V3}/rooms/${enc(oldRoomId)}/state/m.room.canonical_alias`, { alias: "#upgradable:localhost", alt_aliases: ["#upgradable-alt:localhost"] })).status,
        200,
      );

      const upgraded = await alice.post<{ replacement_room: string }>(`${V3}/rooms/${enc(oldRoomId)}/upgrade`, { new_version: "12" });
      assert.equal(upgraded.status, 200, JSON.stringify(upgraded.body));
      const newRoomId = upgraded.body.replacement_room;
      assert.match(newRoomId, /^![A-Za-z0-9_-]{43}$/, "a version 12 room ID");

      const create = await state(alice, newRoomId, "m.room.create");
      assert.equal(create["room_version"], "12");
      assert.deepEqual(create["predecessor"], { room_id: oldRoomId }, "version 12 may leave out the predecessor's event ID");
      assert.equal(create["type"], undefined, "no type on the old room, none on the new");
      assert.deepEqual(await state(alice, newRoomId, "m.room.name"), { name: "Old name" });
      assert.equal((await state(alice, newRoomId, "m.room.topic"))["topic"], "Old topic");
      assert.deepEqual(await state(alice, newRoomId, "m.room.join_rules"), { join_rule: "public" });
      const newLevels = await state(alice, newRoomId, "m.room.power_levels");
      assert.deepEqual(newLevels["users"], { "@bob:localhost": 42 }, "bob keeps his level; the v12 creator is not listed");
      assert.deepEqual((await state(alice, newRoomId, "m.room.member", "@charlie:localhost"))["membership"], "ban");

      const tombstone = await state(alice, oldRoomId, "m.room.tombstone");
      assert.equal(tombstone["replacement_room"], newRoomId);
      const oldLevels = await state(alice, oldRoomId, "m.room.power_levels");
      assert.equal(oldLevels["events_default"], 50);
      assert.equal(oldLevels["invite"], 50);
      const silenced = await bob.put(`${V3}/rooms/${enc(oldRoomId)}/send/m.room.message/late`, { msgtype: "m.text", body: "too late" });
      assert.equal(silenced.status, 403, "ordinary members can no longer speak in the old room");

      for (const alias of ["#upgradable:localhost", "#upgradable-alt:localhost"]) {
        assert.equal((await anonymous.get<{ room_id: string }>(`${V3}/directory/room/${enc(alias)}`)).body.room_id, newRoomId, alias);
      }
      assert.deepEqual(await state(alice, newRoomId, "m.room.canonical_alias"), { alias: "#upgradable:localhost", alt_aliases: ["#upgradable-alt:localhost"] });
      assert.deepEqual(await state(alice, oldRoomId, "m.room.canonical_alias"), {}, "the moved aliases leave the old room's canonical alias");
      assert.deepEqual((await alice.get(`${V3}/directory/list/room/${enc(newRoomId)}`)).body, { visibility: "public" });
      assert.deepEqual((await alice.get(`${V3}/directory/list/room/${enc(oldRoomId)}`)).body, { visibility: "private" });

      await join(bob, newRoomId);
      await send(bob, newRoomId, "here now");
    });

    it("keeps levels, join rules and the predecessor's last event when upgrading to an older version, and invites nobody", async () => {
      const oldRoomId = await createRoom(alice, { room_version: "10", preset: "private_chat", invite: ["@bob:localhost"] });
      await join(bob, oldRoomId);
      const upgraded = await alice.post<{ replacement_room: string }>(`${V3}/rooms/${enc(oldRoomId)}/upgrade`, { new_version: "11" });
      assert.equal(upgraded.status, 200, JSON.stringify(upgraded.body));
      const newRoomId = upgraded.body.replacement_room;
      const create = await state(alice, newRoomId, "m.room.create");
      assert.equal(create["room_version"], "11");
      const predecessor = create["predecessor"] as { room_id: string; event_id?: string };
      assert.equal(predecessor.room_id, oldRoomId);
      assert.match(predecessor.event_id ?? "", /^\$/);
      assert.deepEqual(await state(alice, newRoomId, "m.room.join_rules"), { join_rule: "invite" });
      assert.equal((await state(alice, newRoomId, "m.room.power_levels") as { users: Record<string, number> }).users["@alice:localhost"], 100);
      // As Synapse: memberships are not transferred, the client invites whom it wants.
      const bobInNew = await alice.get(`${V3}/rooms/${enc(newRoomId)}/state/m.room.member/${enc("@bob:localhost")}`);
      assert.equal(bobInNew.status, 404);
      const refused = await bob.post(`${V3}/join/${enc(newRoomId)}`, {});
      assert.equal(refused.status, 403);
    });

    it("keeps a space's type and children", async () => {
      const child = await createRoom(alice, { preset: "public_chat" });
      const spaceId = await createRoom(alice, { preset: "public_chat", creation_content: { type: "m.space" } });
      assert.equal((await alice.put(`${V3}/rooms/${enc(spaceId)}/state/m.space.child/${enc(child)}`, { via: ["localhost"], suggested: true })).status, 200);
      const upgraded = await alice.post<{ replacement_room: string }>(`${V3}/rooms/${enc(spaceId)}/upgrade`, { new_version: "11" });
      assert.equal(upgraded.status, 200, JSON.stringify(upgraded.body));
      assert.equal((await state(alice, upgraded.body.replacement_room, "m.room.create"))["type"], "m.space");
      assert.deepEqual(await state(alice, upgraded.body.replacement_room, "m.space.child", child), { via: ["localhost"], suggested: true });
    });

    it("refuses users without the power to send a tombstone, strangers, unknown versions and rooms", async () => {
      const roomId = await createRoom(alice, { preset: "public_chat" });
      await join(bob, roomId);
      const byMember = await bob.post(`${V3}/rooms/${enc(roomId)}/upgrade`, { new_version: "11" });
      assert.equal(byMember.status, 403);
      assert.equal(byMember.body["errcode"], "M_FORBIDDEN");
      const byStranger = await charlie.post(`${V3}/rooms/${enc(roomId)}/upgrade`, { new_version: "11" });
      assert.equal(byStranger.status, 403);
      assert.equal(byStranger.body["errcode"], "M_FORBIDDEN");
      const unknownVersion = await alice.post(`${V3}/rooms/${enc(roomId)}/upgrade`, { new_version: "999" });
      assert.equal(unknownVersion.status, 400);
      assert.equal(unknownVersion.body["errcode"], "M_UNSUPPORTED_ROOM_VERSION");
      const missingVersion = await alice.post(`${V3}/rooms/${enc(roomId)}/upgrade`, {});
      assert.equal(missingVersion.status, 400);
      const badCreators = await alice.post(`${V3}/rooms/${enc(roomId)}/upgrade`, { new_version: "12", additional_creators: ["bob"] });
      assert.equal(badCreators.status, 400);
      assert.equal(badCreators.body["errcode"], "M_INVALID_PARAM");
      const unknownRoom = await alice.post(`${V3}/rooms/${enc("!nowhere:localhost")}/upgrade`, { new_version: "11" });
      assert.equal(unknownRoom.status, 404);
      assert.equal(unknownRoom.body["errcode"], "M_NOT_FOUND");
      assert.equal((await alice.get(`${V3}/rooms/${enc(roomId)}/state/m.room.tombstone`)).status, 404, "a refused upgrade leaves the room alone");
    });

    it("carries tags and m.direct over to the replacement room when users join it", async () => {
      const oldRoomId = await createRoom(alice, { preset: "public_chat" });
      await join(bob, oldRoomId);
      const tag = (client: ApiClient, user: string, roomId: string, name: string) =>
        client.put(`${V3}/user/${enc(user)}/rooms/${enc(roomId)}/tags/${name}`, { order: 0.5 });
      assert.equal((await tag(alice, "@alice:localhost", oldRoomId, "m.favourite")).status, 200);
      assert.equal((await tag(bob, "@bob:localhost", oldRoomId, "u.work")).status, 200);
      const other = "!other:localhost";
      assert.equal((await bob.put(`${V3}/user/${enc("@bob:localhost")}/account_data/m.direct`, { "@alice:localhost": [oldRoomId, other] })).status, 200);

      const upgraded = await alice.post<{ replacement_room: string }>(`${V3}/rooms/${enc(oldRoomId)}/upgrade`, { new_version: "11" });
      assert.equal(upgraded.status, 200, JSON.stringify(upgraded.body));
      const newRoomId = upgraded.body.replacement_room;
      const tagsOf = async (client: ApiClient, user: string): Promise<Record<string, unknown>> =>
        (await client.get<{ tags: Record<string, unknown> }>(`${V3}/user/${enc(user)}/rooms/${enc(newRoomId)}/tags`)).body.tags;
      const eventually = async <T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> => {
        let value = await read();
        for (let i = 0; i < 50 && !done(value); i++) {
          await sleep(20);
          value = await read();
        }
        return value;
      };

      const aliceTags = await eventually(() => tagsOf(alice, "@alice:localhost"), (tags) => Object.keys(tags).length > 0);
      assert.deepEqual(aliceTags, { "m.favourite": { order: 0.5 } }, "the upgrader's tags follow at once");
      assert.deepEqual(await tagsOf(bob, "@bob:localhost"), {}, "nothing is copied before bob joins");
      await join(bob, newRoomId);
      assert.deepEqual(await eventually(() => tagsOf(bob, "@bob:localhost"), (tags) => Object.keys(tags).length > 0), { "u.work": { order: 0.5 } });
      const direct = await eventually(
        async () => (await bob.get(`${V3}/user/${enc("@bob:localhost")}/account_data/m.direct`)).body,
        (body) => (body["@alice:localhost"] as string[]).length === 3,
      );
      assert.deepEqual(direct, { "@alice:localhost": [oldRoomId, other, newRoomId] });
    });

    it("answers repeated requests with the same replacement room", async () => {
      const roomId = await createRoom(alice, { preset: "public_chat" });
      const [first, second] = await Promise.all([
        alice.post<{ replacement_room: string }>(`${V3}/rooms/${enc(roomId)}/upgrade`, { new_version: "11" }),
        alice.post<{ replacement_room: string }>(`${V3}/rooms/${enc(roomId)}/upgrade`, { new_version: "11" }),
      ]);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal(second.status, 200, JSON.stringify(second.body));
      assert.equal(second.body.replacement_room, first.body.replacement_room);
      const retried = await alice.post<{ replacement_room: string }>(`${V3}/rooms/${enc(roomId)}/upgrade`, { new_version: "11" });
      assert.equal(retried.body.replacement_room, first.body.replacement_room, "a retry shortly after gets the same answer");
      const joined = await alice.get<{ joined_rooms: string[] }>(`${V3}/joined_rooms`);
      const replacements = [];
      for (const candidate of joined.body.joined_rooms) {
        const create = await alice.get(`${V3}/rooms/${enc(candidate)}/state/m.room.create`);
        if ((create.body["predecessor"] as { room_id?: string } | undefined)?.room_id === roomId) replacements.push(candidate);
      }
      assert.deepEqual(replacements, [first.body.replacement_room], "one replacement room only");
    });

    it("makes additional creators in version 12", async () => {
      const roomId = await createRoom(alice, { preset: "public_chat", room_version: "11" });
      await join(bob, roomId);
      const upgraded = await alice.post<{ replacement_room: string }>(`${V3}/rooms/${enc(roomId)}/upgrade`, { new_version: "12", additional_creators: ["@bob:localhost"] });
      assert.equal(upgraded.status, 200, JSON.stringify(upgraded.body));
      assert.deepEqual((await state(alice, upgraded.body.replacement_room, "m.room.create"))["additional_creators"], ["@bob:localhost"]);
    });
  });

  describe("getSpaceHierarchy", () => {
    let space: string;
    let roomA: string;
    let roomB: string;
    let subspace: string;
    let roomD: string;
    let secret: string;

    before(async () => {
      space = await createRoom(alice, { preset: "public_chat", name: "Space", creation_content: { type: "m.space" } });
      roomA = await createRoom(alice, { preset: "public_chat", name: "A" });
      roomB = await createRoom(alice, { preset: "public_chat", name: "B" });
      subspace = await createRoom(alice, { preset: "public_chat", name: "C", creation_content: { type: "m.space" } });
      roomD = await createRoom(alice, { preset: "public_chat", name: "D" });
      secret = await createRoom(alice, { preset: "private_chat", name: "Secret" });
      const link = async (parent: string, child: string, content: Record<string, unknown>) => {
        const put = await alice.put(`${V3}/rooms/${enc(parent)}/state/m.space.child/${enc(child)}`, { via: ["localhost"], ...content });
        assert.equal(put.status, 200, JSON.stringify(put.body));
      };
      await link(space, roomB, { order: "b" });
      await link(space, roomA, { order: "a", suggested: true });
      await link(space, subspace, { order: "c" });
      await link(space, secret, { order: "d" });
      await link(subspace, roomD, {});
      // A loop back to the top: each room is still listed once.
      await link(subspace, space, {});
      // A removed child (no via) is not part of the tree.
      assert.equal((await alice.put(`${V3}/rooms/${enc(space)}/state/m.space.child/${enc(roomD)}`, {})).status, 200);
    });

    const hierarchy = (client: ApiClient, roomId: string, query = ""): Promise<{ status: number; body: Hierarchy & { errcode?: string } }> =>
      client.get<Hierarchy & { errcode?: string }>(`${V1}/rooms/${enc(roomId)}/hierarchy${query}`);

    it("walks the tree depth first in child order, showing only rooms the user may see", async () => {
      const walked = await hierarchy(bob, space);
      assert.equal(walked.status, 200, JSON.stringify(walked.body));
      assert.deepEqual(walked.body.rooms.map((r) => r.name), ["Space", "A", "B", "C", "D"], "the private room is left out for bob");
      assert.equal(walked.body.next_batch, undefined);
      const root = walked.body.rooms[0]!;
      assert.equal(root.room_type, "m.space");
      assert.equal(root.num_joined_members, 1);
      assert.deepEqual(root.children_state.map((c) => c.state_key), [roomA, roomB, subspace, secret], "ordered by `order`, live children only");
      for (const child of root.children_state) {
        assert.equal(child.type, "m.space.child");
        assert.equal(child.sender, "@alice:localhost");
        assert.equal(typeof child.origin_server_ts, "number");
      }
      assert.deepEqual(walked.body.rooms[1]!.children_state, [], "a room that is not a space has no children");
      const byAlice = await hierarchy(alice, space);
      assert.deepEqual(byAlice.body.rooms.map((r) => r.name), ["Space", "A", "B", "C", "D", "Secret"]);
    });

    it("paginates with next_batch, and honours suggested_only and max_depth", async () => {
      const names: string[] = [];
      let from: string | undefined;
      let pages = 0;
      do {
        const page = await hierarchy(bob, space, `?limit=2${from ? `&from=${enc(from)}` : ""}`);
        assert.equal(page.status, 200, JSON.stringify(page.body));
        assert.ok(page.body.rooms.length <= 2);
        names.push(...page.body.rooms.map((r) => r.name ?? "?"));
        from = page.body.next_batch;
        pages++;
      } while (from && pages < 10);
      assert.deepEqual(names, ["Space", "A", "B", "C", "D"]);

      assert.deepEqual((await hierarchy(bob, space, "?suggested_only=true")).body.rooms.map((r) => r.name), ["Space", "A"]);
      assert.deepEqual((await hierarchy(bob, space, "?max_depth=0")).body.rooms.map((r) => r.name), ["Space"]);
      assert.deepEqual((await hierarchy(bob, space, "?max_depth=1")).body.rooms.map((r) => r.name), ["Space", "A", "B", "C"]);
      assert.deepEqual((await hierarchy(bob, subspace)).body.rooms.map((r) => r.name), ["C", "D", "Space", "A", "B"], "any space can be the root");
    });

    it("refuses bad parameters, changed parameters while paginating, and rooms the user may not see", async () => {
      const first = await hierarchy(bob, space, "?limit=1");
      const token = first.body.next_batch!;
      assert.ok(token);
      const changed = await hierarchy(bob, space, `?limit=1&suggested_only=true&from=${enc(token)}`);
      assert.equal(changed.status, 400);
      assert.equal(changed.body.errcode, "M_INVALID_PARAM");
      const changedDepth = await hierarchy(bob, space, `?limit=1&max_depth=3&from=${enc(token)}`);
      assert.equal(changedDepth.status, 400);
      const otherRoot = await hierarchy(bob, subspace, `?from=${enc(token)}`);
      assert.equal(otherRoot.status, 400, "a token belongs to its root");
      for (const query of ["?from=garbage", "?limit=0", "?limit=x", "?max_depth=-1", "?suggested_only=maybe"]) {
        const bad = await hierarchy(bob, space, query);
        assert.equal(bad.status, 400, query);
        assert.equal(bad.body.errcode, "M_INVALID_PARAM", query);
      }
      const privateRoot = await hierarchy(bob, secret);
      assert.equal(privateRoot.status, 403);
      assert.equal(privateRoot.body.errcode, "M_FORBIDDEN");
      const unknown = await hierarchy(bob, "!nowhere:localhost");
      assert.equal(unknown.status, 403);
      const unauthenticated = await hierarchy(anonymous, space);
      assert.equal(unauthenticated.status, 401);

      const banned = await createRoom(alice, { preset: "public_chat", creation_content: { type: "m.space" } });
      assert.equal((await alice.post(`${V3}/rooms/${enc(banned)}/ban`, { user_id: "@charlie:localhost" })).status, 200);
      const refused = await hierarchy(charlie, banned);
      assert.equal(refused.status, 403, "banned users may not look, even in a public space");
    });
  });

  describe("getRoomSummary", () => {
    const summary = (client: ApiClient, roomIdOrAlias: string) => client.get(`${V1}/room_summary/${enc(roomIdOrAlias)}`);

    it("summarises a public room by ID or alias, with the caller's membership", async () => {
      const roomId = await createRoom(alice, { preset: "public_chat", name: "Summarised", topic: "A topic", room_alias_name: "summarised", room_version: "11" });
      const anon = await summary(anonymous, roomId);
      assert.equal(anon.status, 200, JSON.stringify(anon.body));
      assert.deepEqual(anon.body, {
        room_id: roomId,
        name: "Summarised",
        topic: "A topic",
        canonical_alias: "#summarised:localhost",
        num_joined_members: 1,
        join_rule: "public",
        world_readable: false,
        guest_can_join: false,
        room_version: "11",
      });
      const byAlias = await summary(bob, "#summarised:localhost");
      assert.equal(byAlias.status, 200);
      assert.equal(byAlias.body["room_id"], roomId);
      assert.equal(byAlias.body["membership"], "leave");
      assert.equal((await summary(alice, roomId)).body["membership"], "join");
    });

    it("shows private rooms to members and invitees only", async () => {
      const roomId = await createRoom(alice, {
        preset: "private_chat",
        initial_state: [{ type: "m.room.encryption", content: { algorithm: "m.megolm.v1.aes-sha2" } }],
        creation_content: { type: "m.space" },
      });
      const stranger = await summary(bob, roomId);
      assert.equal(stranger.status, 404);
      assert.equal(stranger.body["errcode"], "M_NOT_FOUND");
      assert.equal((await summary(anonymous, roomId)).status, 404);
      assert.equal((await alice.post(`${V3}/rooms/${enc(roomId)}/invite`, { user_id: "@bob:localhost" })).status, 200);
      const invited = await summary(bob, roomId);
      assert.equal(invited.status, 200, JSON.stringify(invited.body));
      assert.equal(invited.body["membership"], "invite");
      assert.equal(invited.body["encryption"], "m.megolm.v1.aes-sha2");
      assert.equal(invited.body["room_type"], "m.space");
      assert.equal(invited.body["join_rule"], "invite");
    });

    it("answers 404 for unknown rooms and aliases and 400 for anything else", async () => {
      assert.equal((await summary(bob, "!nowhere:localhost")).status, 404);
      const unknownAlias = await summary(bob, "#nowhere:localhost");
      assert.equal(unknownAlias.status, 404);
      assert.equal(unknownAlias.body["errcode"], "M_NOT_FOUND");
      const garbage = await summary(bob, "nowhere");
      assert.equal(garbage.status, 400);
      assert.equal(garbage.body["errcode"], "M_INVALID_PARAM");
    });
  });

  describe("getMutualRooms", () => {
    it("lists the rooms both users are joined to", async () => {
      const dave = new ApiClient(hs.url);
      const erin = new ApiClient(hs.url);
      await dave.register("dave");
      await erin.register("erin");
      const shared = [await createRoom(dave, { preset: "public_chat" }), await createRoom(dave, { preset: "public_chat" })];
      for (const roomId of shared) await join(erin, roomId);
      await createRoom(dave, { preset: "public_chat" });
      const left = await createRoom(dave, { preset: "public_chat" });
      await join(erin, left);
      assert.equal((await erin.post(`${V3}/rooms/${enc(left)}/leave`, {})).status, 200);
      const invitedOnly = await createRoom(dave, { invite: ["@erin:localhost"] });
      assert.ok(invitedOnly);

      const mutual = await dave.get<{ joined: string[]; count: number; next_batch?: string }>(`${V1}/mutual_rooms?user_id=${enc("@erin:localhost")}`);
      assert.equal(mutual.status, 200, JSON.stringify(mutual.body));
      assert.deepEqual([...mutual.body.joined].sort(), [...shared].sort());
      assert.equal(mutual.body.count, 2);
      assert.equal(mutual.body.next_batch, undefined);
      const reverse = await erin.get<{ joined: string[] }>(`${V1}/mutual_rooms?user_id=${enc("@dave:localhost")}`);
      assert.deepEqual([...reverse.body.joined].sort(), [...shared].sort());
      const nobody = await dave.get<{ joined: string[]; count: number }>(`${V1}/mutual_rooms?user_id=${enc("@nobody:localhost")}`);
      assert.equal(nobody.status, 200, "an unknown user shares nothing");
      assert.deepEqual(nobody.body, { joined: [], count: 0 });

      // Pages of one room, through the service itself (the server's pages hold 100 rooms).
      const paged = new RoomLookups(undefined as never, undefined as never, hs.server.context.stores.events, hs.server.context.stores.roomLookups, 1);
      const first = await paged.mutualRooms("@dave:localhost", "@erin:localhost", undefined);
      assert.equal(first.joined.length, 1);
      assert.equal(first.count, 2, "the count covers every page");
      assert.ok(first.next_batch);
      const second = await paged.mutualRooms("@dave:localhost", "@erin:localhost", first.next_batch);
      assert.deepEqual([...first.joined, ...second.joined].sort(), [...shared].sort());
      assert.equal(second.next_batch, undefined);
      await assert.rejects(paged.mutualRooms("@dave:localhost", "@alice:localhost", first.next_batch), { errcode: "M_INVALID_PARAM" }, "a token is for one user only");
    });

    it("refuses a missing, invalid or own user ID and bad tokens", async () => {
      const missing = await alice.get(`${V1}/mutual_rooms`);
      assert.equal(missing.status, 400);
      assert.equal(missing.body["errcode"], "M_MISSING_PARAM");
      for (const userId of ["bob", "@:localhost", "@bob", "@alice:localhost"]) {
        const bad = await alice.get(`${V1}/mutual_rooms?user_id=${enc(userId)}`);
        assert.equal(bad.status, 400, userId);
        assert.equal(bad.body["errcode"], "M_INVALID_PARAM", userId);
      }
      const badToken = await alice.get(`${V1}/mutual_rooms?user_id=${enc("@bob:localhost")}&from=garbage`);
      assert.equal(badToken.status, 400);
      assert.equal(badToken.body["errcode"], "M_INVALID_PARAM");
      assert.equal((await anonymous.get(`${V1}/mutual_rooms?user_id=${enc("@bob:localhost")}`)).status, 401);
    });
  });

  describe("getEventByTimestamp", () => {
    const lookup = (client: ApiClient, roomId: string, query: string) =>
      client.get<{ event_id: string; origin_server_ts: number; errcode?: string }>(`${V1}/rooms/${enc(roomId)}/timestamp_to_event${query}`);

    it("finds the closest event forwards and backwards", async () => {
      const roomId = await createRoom(alice, { preset: "private_chat" });
      const ids: string[] = [];
      for (const body of ["one", "two", "three"]) {
        await sleep(15);
        ids.push(await send(alice, roomId, body));
        await sleep(15);
      }
      const ts: number[] = [];
      for (const id of ids) ts.push((await alice.get<{ origin_server_ts: number }>(`${V3}/rooms/${enc(roomId)}/event/${enc(id)}`)).body.origin_server_ts);

      const exactForward = await lookup(alice, roomId, `?ts=${ts[1]}&dir=f`);
      assert.equal(exactForward.status, 200, JSON.stringify(exactForward.body));
      assert.deepEqual(exactForward.body, { event_id: ids[1], origin_server_ts: ts[1] });
      assert.equal((await lookup(alice, roomId, `?ts=${ts[1]}&dir=b`)).body.event_id, ids[1]);
      assert.equal((await lookup(alice, roomId, `?ts=${ts[1]! + 1}&dir=f`)).body.event_id, ids[2]);
      assert.equal((await lookup(alice, roomId, `?ts=${ts[1]! - 1}&dir=b`)).body.event_id, ids[0]);
      const pastTheEnd = await lookup(alice, roomId, `?ts=${ts[2]! + 60_000}&dir=f`);
      assert.equal(pastTheEnd.status, 404);
      assert.equal(pastTheEnd.body.errcode, "M_NOT_FOUND");
      const beforeTheStart = await lookup(alice, roomId, `?ts=1&dir=b`);
      assert.equal(beforeTheStart.status, 404);
      assert.equal(beforeTheStart.body.errcode, "M_NOT_FOUND");
      const fromTheStart = await lookup(alice, roomId, `?ts=1&dir=f`);
      assert.equal(fromTheStart.status, 200);
      assert.equal((await alice.get<{ type: string }>(`${V3}/rooms/${enc(roomId)}/event/${enc(fromTheStart.body.event_id)}`)).body.type, "m.room.create");
    });

    it("refuses bad parameters and users who cannot see the room", async () => {
      const roomId = await createRoom(alice, { preset: "public_chat" });
      for (const [query, errcode] of [
        ["?ts=1", "M_MISSING_PARAM"],
        ["?dir=f", "M_MISSING_PARAM"],
        ["?ts=1&dir=x", "M_INVALID_PARAM"],
        ["?ts=soon&dir=f", "M_INVALID_PARAM"],
        ["?ts=-5&dir=f", "M_INVALID_PARAM"],
      ] as const) {
        const bad = await lookup(alice, roomId, query);
        assert.equal(bad.status, 400, query);
        assert.equal(bad.body.errcode, errcode, query);
      }
      const stranger = await lookup(bob, roomId, "?ts=1&dir=f");
      assert.equal(stranger.status, 403);
      assert.equal(stranger.body.errcode, "M_FORBIDDEN");
      const unknown = await lookup(bob, "!nowhere:localhost", "?ts=1&dir=f");
      assert.equal(unknown.status, 403, "unknown rooms look like rooms the user cannot see");
      await join(bob, roomId);
      assert.equal((await lookup(bob, roomId, "?ts=1&dir=f")).status, 200);
      assert.equal((await bob.post(`${V3}/rooms/${enc(roomId)}/leave`, {})).status, 200);
      assert.equal((await lookup(bob, roomId, "?ts=1&dir=f")).status, 200, "former members may still look (as Synapse)");

      const readable = await createRoom(alice, { initial_state: [{ type: "m.room.history_visibility", content: { history_visibility: "world_readable" } }] });
      assert.equal((await lookup(charlie, readable, "?ts=1&dir=f")).status, 200, "anyone may look into a world-readable room");
    });
  });

  describe("reporting", () => {
    it("records reports of events by members, and refuses the rest with one 404", async () => {
      const roomId = await createRoom(alice, { preset: "public_chat" });
      await join(bob, roomId);
      const eventId = await send(alice, roomId, "offensive");
      const reported = await bob.post(`${V3}/rooms/${enc(roomId)}/report/${enc(eventId)}`, { reason: "rude", score: -100 });
      assert.equal(reported.status, 200, JSON.stringify(reported.body));
      assert.deepEqual(reported.body, {});
      assert.equal((await bob.post(`${V3}/rooms/${enc(roomId)}/report/${enc(eventId)}`, {})).status, 200, "the reason is optional");

      const otherRoom = await createRoom(alice, { preset: "public_chat" });
      await join(bob, otherRoom);
      const elsewhere = await send(alice, otherRoom, "elsewhere");
      const redacted = await send(alice, roomId, "to be redacted");
      assert.equal((await alice.put(`${V3}/rooms/${enc(roomId)}/redact/${enc(redacted)}/r1`, {})).status, 200);
      const cases: [ApiClient, string, string, string][] = [
        [charlie, roomId, eventId, "a reporter who is not joined"],
        [bob, roomId, "$nonexistent", "an unknown event"],
        [bob, roomId, elsewhere, "an event of another room"],
        [bob, "!nowhere:localhost", eventId, "an unknown room"],
        [bob, roomId, redacted, "a redacted event"],
      ];
      for (const [client, room, event, what] of cases) {
        const refused = await client.post(`${V3}/rooms/${enc(room)}/report/${enc(event)}`, { reason: "x" });
        assert.equal(refused.status, 404, what);
        assert.equal(refused.body["errcode"], "M_NOT_FOUND", what);
      }
      const tooLong = await bob.post(`${V3}/rooms/${enc(roomId)}/report/${enc(eventId)}`, { reason: "x".repeat(1001) });
      assert.equal(tooLong.status, 400);
      const badReason = await bob.post(`${V3}/rooms/${enc(roomId)}/report/${enc(eventId)}`, { reason: 5 });
      assert.equal(badReason.status, 400);

      const stored = await hs.server.context.stores.reports.contentReports({ roomId });
      assert.deepEqual(stored.map((r) => [r.eventId, r.reporter, r.reason]), [
        [eventId, "@bob:localhost", "rude"],
        [eventId, "@bob:localhost", null],
      ]);
    });

    it("records reports of rooms by anyone", async () => {
      const roomId = await createRoom(alice, { preset: "private_chat" });
      const reported = await charlie.post(`${V3}/rooms/${enc(roomId)}/report`, { reason: "spam room" });
      assert.equal(reported.status, 200, JSON.stringify(reported.body));
      assert.equal((await charlie.post(`${V3}/rooms/${enc(roomId)}/report`, { reason: "" })).status, 200, "the reason may be blank");
      const stored = await hs.server.context.stores.reports.contentReports({ roomId });
      assert.deepEqual(stored.map((r) => [r.eventId, r.reporter, r.reason]), [
        [null, "@charlie:localhost", "spam room"],
        [null, "@charlie:localhost", ""],
      ]);
      const unknown = await charlie.post(`${V3}/rooms/${enc("!nowhere:localhost")}/report`, { reason: "x" });
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body["errcode"], "M_NOT_FOUND");
      const noReason = await charlie.post(`${V3}/rooms/${enc(roomId)}/report`, {});
      assert.equal(noReason.status, 400, "the reason is required");
      assert.equal((await anonymous.post(`${V3}/rooms/${enc(roomId)}/report`, { reason: "x" })).status, 401);
    });

    it("records reports of users", async () => {
      const reported = await charlie.post(`${V3}/users/${enc("@alice:localhost")}/report`, { reason: "harassment" });
      assert.equal(reported.status, 200, JSON.stringify(reported.body));
      const remote = await charlie.post(`${V3}/users/${enc("@someone:example.org")}/report`, { reason: "remote spam" });
      assert.equal(remote.status, 200, "users of other servers cannot be checked and are recorded");
      const stored = await hs.server.context.stores.reports.userReports({ targetUserId: "@alice:localhost" });
      assert.deepEqual(stored.map((r) => [r.reporter, r.reason]), [["@charlie:localhost", "harassment"]]);
      const unknown = await charlie.post(`${V3}/users/${enc("@nobody:localhost")}/report`, { reason: "x" });
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body["errcode"], "M_NOT_FOUND");
      const invalid = await charlie.post(`${V3}/users/${enc("alice")}/report`, { reason: "x" });
      assert.equal(invalid.status, 400);
      assert.equal(invalid.body["errcode"], "M_INVALID_PARAM");
      const noReason = await charlie.post(`${V3}/users/${enc("@alice:localhost")}/report`, {});
      assert.equal(noReason.status, 400);
    });
  });
});
}
