/**
 * Push rules over HTTP (every rule endpoint and its errors), m.push_rules in /sync, unread counts in
 * /sync (mentions, one-to-one rooms, keywords, receipts, threads) and GET /notifications, on SQLite
 * and PostgreSQL. Presence is off so that no presence update wakes a long-poll early.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ApiClient } from "../harness/client.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { DATABASE_KINDS, isPostgresAvailable, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";

const V3 = "/_matrix/client/v3";
const q = encodeURIComponent;

type Counts = { notification_count?: number; highlight_count?: number };
type JoinedRoom = { unread_notifications: Counts; unread_thread_notifications?: Record<string, Counts> };
type Sync = {
  next_batch: string;
  account_data: { events: { type: string; content: Record<string, unknown> }[] };
  rooms: { join: Record<string, JoinedRoom> };
};
type Rule = { rule_id: string; default: boolean; enabled: boolean; actions: unknown[]; pattern?: string; conditions?: unknown[] };
type Ruleset = Record<"override" | "content" | "room" | "sender" | "underride", Rule[]>;
type Notification = { actions: unknown[]; event: { event_id: string; content: Record<string, unknown> }; read: boolean; room_id: string; ts: number };

const THREAD_FILTER = JSON.stringify({ room: { timeline: { unread_thread_notifications: true } } });

for (const database of DATABASE_KINDS) {
  describe(`push rules and notifications on ${database}`, { skip: database === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false }, () => {
    let hs: TestServer;
    let alice: ApiClient;
    let bob: ApiClient;
    let carol: ApiClient;
    let aliceId: string;

    before(async () => {
      hs = await startTestServer({ database, config: { presence: { enabled: false } } });
      alice = new ApiClient(hs.url);
      bob = new ApiClient(hs.url);
      carol = new ApiClient(hs.url);
      aliceId = (await alice.register("alice")).user_id;
      await bob.register("bob");
      await carol.register("carol");
    });
    after(async () => hs.destroy());

    async function room(members: ApiClient[]): Promise<string> {
      const created = await alice.post<{ room_id: string }>(`${V3}/createRoom`, { preset: "public_chat" });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      for (const member of members) assert.equal((await member.post(`${V3}/join/${q(created.body.room_id)}`, {})).status, 200);
      return created.body.room_id;
    }

    async function send(client: ApiClient, roomId: string, content: Record<string, unknown>, type = "m.room.message"): Promise<string> {
      const res = await client.put<{ event_id: string }>(`${V3}/rooms/${q(roomId)}/send/${type}/${Math.random().toString(36).slice(2)}`, content);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.event_id;
    }

    async function receipt(client: ApiClient, roomId: string, eventId: string, threadId?: string, type = "m.read"): Promise<void> {
      const res = await client.post(`${V3}/rooms/${q(roomId)}/receipt/${type}/${q(eventId)}`, threadId === undefined ? {} : { thread_id: threadId });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }

    async function sync(client: ApiClient, query = ""): Promise<Sync> {
      const res = await client.get<Sync>(`${V3}/sync${query}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body;
    }

    /**
     * The room's counts in an initial sync (every room's positions and counts read at once), checked
     * against an incremental one from the beginning of time (each room counted on its own).
     */
    async function countsOf(client: ApiClient, roomId: string, filter?: string): Promise<JoinedRoom> {
      const body = await sync(client, filter ? `?filter=${q(filter)}` : "");
      const joined = body.rooms.join[roomId];
      assert.ok(joined, `${roomId} is in the sync`);
      const incremental = (await sync(client, `?since=s0&timeout=0${filter ? `&filter=${q(filter)}` : ""}`)).rooms.join[roomId];
      assert.ok(incremental, `${roomId} is in the incremental sync`);
      assert.deepEqual(
        { unread: incremental.unread_notifications, threads: incremental.unread_thread_notifications },
        { unread: joined.unread_notifications, threads: joined.unread_thread_notifications },
        "an incremental sync counts as an initial one",
      );
      return joined;
    }

    async function rules(client: ApiClient): Promise<Ruleset> {
      const res = await client.get<Ruleset>(`${V3}/pushrules/global/`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body;
    }

    const rulePath = (kind: string, ruleId: string, suffix = ""): string => `${V3}/pushrules/global/${kind}/${q(ruleId)}${suffix}`;

    describe("the rules API", () => {
      it("lists the server-default rules of v1.19 for a new user", async () => {
        const all = await alice.get<{ global: Ruleset }>(`${V3}/pushrules/`);
        assert.equal(all.status, 200);
        const global = all.body.global;
        assert.deepEqual(
          global.override.map((r) => r.rule_id),
          [
            ".m.rule.master",
            ".m.rule.suppress_notices",
            ".m.rule.invite_for_me",
            ".m.rule.member_event",
            ".m.rule.is_user_mention",
            ".m.rule.is_room_mention",
            ".m.rule.tombstone",
            ".m.rule.reaction",
            ".m.rule.room.server_acl",
            ".m.rule.suppress_edits",
          ],
        );
        assert.deepEqual(
          global.underride.map((r) => r.rule_id),
          [".m.rule.call", ".m.rule.encrypted_room_one_to_one", ".m.rule.room_one_to_one", ".m.rule.message", ".m.rule.encrypted"],
        );
        assert.deepEqual(global.content, []);
        assert.deepEqual(global.room, []);
        assert.deepEqual(global.sender, []);
        const mention = global.override.find((r) => r.rule_id === ".m.rule.is_user_mention");
        assert.deepEqual(mention?.conditions, [{ kind: "event_property_contains", key: "content.m\\.mentions.user_ids", value: aliceId }]);
        assert.deepEqual(await rules(alice), global, "GET /pushrules/global/ is the same ruleset");
        const master = await alice.get<Rule>(rulePath("override", ".m.rule.master"));
        assert.deepEqual(master.body, { rule_id: ".m.rule.master", default: true, enabled: false, conditions: [], actions: [] });
      });

      it("answers unknown rules with 404 and unknown kinds or scopes with 400", async () => {
        for (const path of [rulePath("override", "nope"), rulePath("override", "nope", "/enabled"), rulePath("override", "nope", "/actions"), rulePath("content", ".m.rule.master")]) {
          const res = await alice.get(path);
          assert.equal(res.status, 404, path);
          assert.equal(res.body["errcode"], "M_NOT_FOUND");
        }
        const kind = await alice.get(rulePath("bogus", "x"));
        assert.equal(kind.status, 400);
        assert.equal(kind.body["errcode"], "M_INVALID_PARAM");
        const scope = await alice.get(`${V3}/pushrules/device/override/x`);
        assert.equal(scope.status, 400);
        const scopeList = await alice.get(`${V3}/pushrules/device/`);
        assert.equal(scopeList.status, 400);
        const unauthenticated = await alice.get(`${V3}/pushrules/`, { token: null });
        assert.equal(unauthenticated.status, 401);
      });

      it("creates rules enabled and most important first, and places them with before and after", async () => {
        for (const id of ["one", "two"]) {
          const res = await bob.put(rulePath("content", id), { pattern: `${id}*`, actions: ["notify"] });
          assert.equal(res.status, 200, JSON.stringify(res.body));
          assert.deepEqual(res.body, {});
        }
        assert.deepEqual((await rules(bob)).content.map((r) => r.rule_id), ["two", "one"], "a new rule comes first");
        assert.equal((await bob.put(`${rulePath("content", "three")}?after=${q("two")}`, { pattern: "3", actions: [] })).status, 200);
        assert.deepEqual((await rules(bob)).content.map((r) => r.rule_id), ["two", "three", "one"]);
        assert.equal((await bob.put(`${rulePath("content", "four")}?before=${q("one")}&after=${q("two")}`, { pattern: "4", actions: [] })).status, 200);
        assert.deepEqual((await rules(bob)).content.map((r) => r.rule_id), ["two", "three", "four", "one"], "before wins over after");
        // Replacing a rule moves it to the top, as in Synapse, and keeps its new body.
        assert.equal((await bob.put(rulePath("content", "one"), { pattern: "uno", actions: ["notify", { set_tweak: "highlight" }] })).status, 200);
        const content = (await rules(bob)).content;
        assert.deepEqual(content.map((r) => r.rule_id), ["one", "two", "three", "four"]);
        assert.deepEqual(content[0], { rule_id: "one", default: false, enabled: true, pattern: "uno", actions: ["notify", { set_tweak: "highlight" }] });

        const missing = await bob.put(`${rulePath("content", "five")}?before=${q("nothing")}`, { pattern: "5", actions: [] });
        assert.equal(missing.status, 400);
        assert.equal(missing.body["errcode"], "M_UNKNOWN");
        const nextToDefault = await bob.put(`${rulePath("override", "six")}?after=${q(".m.rule.master")}`, { conditions: [], actions: [] });
        assert.equal(nextToDefault.status, 400, "no rule can be placed relative to a server-default rule");
        assert.ok(!(await rules(bob)).content.some((r) => r.rule_id === "five"));

        for (const id of ["one", "two", "three", "four"]) assert.equal((await bob.delete(rulePath("content", id))).status, 200);
        assert.deepEqual((await rules(bob)).content, []);
      });

      it("keeps each kind's own parts: conditions for override, nothing extra for room and sender rules", async () => {
        const conditions = [{ kind: "event_match", key: "content.body", pattern: "lunch" }, { kind: "room_member_count", is: ">2" }];
        assert.equal((await bob.put(rulePath("override", "lunch"), { conditions, actions: ["notify"] })).status, 200);
        const got = await bob.get<Rule>(rulePath("override", "lunch"));
        assert.deepEqual(got.body, { rule_id: "lunch", default: false, enabled: true, conditions, actions: ["notify"] });
        const roomRule = await bob.put(rulePath("room", "!somewhere:localhost"), { actions: [], conditions: [{ kind: "x" }], pattern: "x" });
        assert.equal(roomRule.status, 200);
        assert.deepEqual((await bob.get(rulePath("room", "!somewhere:localhost"))).body, { rule_id: "!somewhere:localhost", default: false, enabled: true, actions: [] });
        assert.equal((await bob.delete(rulePath("override", "lunch"))).status, 200);
        assert.equal((await bob.delete(rulePath("room", "!somewhere:localhost"))).status, 200);
      });

      it("refuses invalid rules", async () => {
        const cases: [string, unknown, number, string][] = [
          [rulePath("override", ".mine"), { actions: [] }, 400, "M_INVALID_PARAM"],
          [rulePath("override", "back\\slash"), { actions: [] }, 400, "M_INVALID_PARAM"],
          [rulePath("override", "a/b"), { actions: [] }, 400, "M_INVALID_PARAM"],
          [rulePath("override", "noactions"), { conditions: [] }, 400, "M_MISSING_PARAM"],
          [rulePath("override", "badaction"), { actions: ["dance"] }, 400, "M_INVALID_PARAM"],
          [rulePath("override", "badcond"), { actions: [], conditions: [{ kind: "event_match", key: "type" }] }, 400, "M_INVALID_PARAM"],
          [rulePath("override", "badcount"), { actions: [], conditions: [{ kind: "room_member_count", is: "lots" }] }, 400, "M_INVALID_PARAM"],
          [rulePath("content", "nopattern"), { actions: [] }, 400, "M_INVALID_PARAM"],
          [rulePath("bogus", "x"), { actions: [] }, 400, "M_INVALID_PARAM"],
        ];
        for (const [path, body, status, errcode] of cases) {
          const res = await bob.put(path, body);
          assert.equal(res.status, status, `${path} ${JSON.stringify(res.body)}`);
          assert.equal(res.body["errcode"], errcode, path);
        }
        const ruleset = await rules(bob);
        assert.deepEqual([...ruleset.override, ...ruleset.content].filter((r) => !r.default), [], "nothing was stored");
      });

      it("deletes only rules the user made", async () => {
        const def = await bob.delete(rulePath("override", ".m.rule.master"));
        assert.equal(def.status, 404);
        assert.equal(def.body["errcode"], "M_NOT_FOUND");
        assert.equal((await bob.delete(rulePath("sender", "@nobody:localhost"))).status, 404);
      });

      it("enables and disables default and user rules", async () => {
        const path = rulePath("override", ".m.rule.master", "/enabled");
        assert.deepEqual((await bob.get(path)).body, { enabled: false });
        assert.equal((await bob.put(path, { enabled: true })).status, 200);
        assert.deepEqual((await bob.get(path)).body, { enabled: true });
        assert.equal((await bob.get<Rule>(rulePath("override", ".m.rule.master"))).body.enabled, true);
        assert.equal((await bob.put(path, { enabled: false })).status, 200);
        assert.deepEqual((await bob.get(path)).body, { enabled: false });

        assert.equal((await bob.put(rulePath("sender", "@carol:localhost"), { actions: [] })).status, 200);
        assert.equal((await bob.put(rulePath("sender", "@carol:localhost", "/enabled"), { enabled: false })).status, 200);
        assert.equal((await bob.get<Rule>(rulePath("sender", "@carol:localhost"))).body.enabled, false);
        // Deleting and re-creating a rule starts enabled again ("MUST be enabled by default").
        assert.equal((await bob.delete(rulePath("sender", "@carol:localhost"))).status, 200);
        assert.equal((await bob.put(rulePath("sender", "@carol:localhost"), { actions: [] })).status, 200);
        assert.equal((await bob.get<Rule>(rulePath("sender", "@carol:localhost"))).body.enabled, true);
        assert.equal((await bob.delete(rulePath("sender", "@carol:localhost"))).status, 200);

        const unknown = await bob.put(rulePath("override", ".m.rule.nothing", "/enabled"), { enabled: true });
        assert.equal(unknown.status, 404);
        assert.equal(unknown.body["errcode"], "M_NOT_FOUND");
        const bad = await bob.put(path, { enabled: "yes" });
        assert.equal(bad.status, 400);
        assert.equal((await bob.put(path, {})).body["errcode"], "M_MISSING_PARAM");
      });

      it("changes the actions of default and user rules", async () => {
        const path = rulePath("underride", ".m.rule.message", "/actions");
        assert.deepEqual((await bob.get(path)).body, { actions: ["notify"] });
        const actions = ["notify", { set_tweak: "sound", value: "bing" }];
        assert.equal((await bob.put(path, { actions })).status, 200);
        assert.deepEqual((await bob.get(path)).body, { actions });
        const rule = (await bob.get<Rule>(rulePath("underride", ".m.rule.message"))).body;
        assert.equal(rule.default, true);
        assert.deepEqual(rule.actions, actions);
        // Historical actions are accepted and dropped.
        assert.equal((await bob.put(path, { actions: ["notify", "coalesce"] })).status, 200);
        assert.deepEqual((await bob.get(path)).body, { actions: ["notify"] });

        assert.equal((await bob.put(rulePath("room", "!r:localhost"), { actions: [] })).status, 200);
        assert.equal((await bob.put(rulePath("room", "!r:localhost", "/actions"), { actions: ["notify"] })).status, 200);
        assert.deepEqual((await bob.get(rulePath("room", "!r:localhost", "/actions"))).body, { actions: ["notify"] });
        assert.equal((await bob.delete(rulePath("room", "!r:localhost"))).status, 200);

        const unknown = await bob.put(rulePath("override", "nothing", "/actions"), { actions: [] });
        assert.equal(unknown.status, 404);
        assert.equal(unknown.body["errcode"], "M_NOT_FOUND");
        assert.equal((await bob.put(path, { actions: [42] })).status, 400);
        assert.equal((await bob.put(path, {})).body["errcode"], "M_MISSING_PARAM");
      });
    });

    describe("m.push_rules in /sync", () => {
      it("comes with every initial sync and after each change, waking a long-poll", async () => {
        const initial = await sync(carol);
        const pushRules = initial.account_data.events.find((e) => e.type === "m.push_rules");
        assert.ok(pushRules, "the initial sync has m.push_rules");
        assert.deepEqual(pushRules.content, { global: await rules(carol) });

        const quiet = await sync(carol, `?since=${q(initial.next_batch)}&timeout=0`);
        assert.ok(!quiet.account_data.events.some((e) => e.type === "m.push_rules"), "unchanged rules are not sent again");

        const started = Date.now();
        const poll = carol.get<Sync>(`${V3}/sync?since=${q(quiet.next_batch)}&timeout=5000`);
        await new Promise((r) => setTimeout(r, 100));
        assert.equal((await carol.put(rulePath("content", "cake"), { pattern: "cake", actions: ["notify"] })).status, 200);
        const woken = (await poll).body;
        assert.ok(Date.now() - started < 4000, "the change woke the long-poll");
        const changed = woken.account_data.events.find((e) => e.type === "m.push_rules");
        assert.deepEqual((changed?.content["global"] as Ruleset | undefined)?.content.map((r) => r.rule_id), ["cake"]);

        const filtered = await sync(carol, `?filter=${q(JSON.stringify({ account_data: { not_types: ["m.push_rules"] } }))}`);
        assert.ok(!filtered.account_data.events.some((e) => e.type === "m.push_rules"), "the account data filter applies");
        assert.equal((await carol.delete(rulePath("content", "cake"))).status, 200);
      });

      it("is readable as global account data, as Synapse answers it, and not writable there", async () => {
        const path = `${V3}/user/${q("@carol:localhost")}/account_data/m.push_rules`;
        const read = await carol.get<{ global: Ruleset }>(path);
        assert.equal(read.status, 200);
        assert.deepEqual(read.body, { global: await rules(carol) });
        const write = await carol.put(path, { global: {} });
        assert.equal(write.status, 405);
      });
    });

    describe("unread counts", () => {
      it("count messages in one-to-one rooms and clear on a read receipt", async () => {
        const roomId = await room([bob]);
        assert.deepEqual((await countsOf(alice, roomId)).unread_notifications, { notification_count: 0, highlight_count: 0 });
        await send(bob, roomId, { msgtype: "m.text", body: "hi" });
        const second = await send(bob, roomId, { msgtype: "m.text", body: "there" });
        assert.deepEqual((await countsOf(alice, roomId)).unread_notifications, { notification_count: 2, highlight_count: 0 });
        assert.deepEqual((await countsOf(bob, roomId)).unread_notifications, { notification_count: 0, highlight_count: 0 }, "not for the sender");

        const before = await sync(alice);
        await receipt(alice, roomId, second);
        const after = await sync(alice, `?since=${q(before.next_batch)}&timeout=0`);
        assert.deepEqual(after.rooms.join[roomId]?.unread_notifications, { notification_count: 0, highlight_count: 0 }, "the receipt brings the room into the next sync with its count cleared");
      });

      it("highlight mentions and keywords, count plain messages in bigger rooms, and clear on the user's own message", async () => {
        const roomId = await room([bob, carol]);
        await send(bob, roomId, { msgtype: "m.text", body: "plain" });
        assert.deepEqual((await countsOf(alice, roomId)).unread_notifications, { notification_count: 1, highlight_count: 0 });
        await send(bob, roomId, { msgtype: "m.text", body: "hey alice", "m.mentions": { user_ids: [aliceId] } });
        assert.deepEqual((await countsOf(alice, roomId)).unread_notifications, { notification_count: 2, highlight_count: 1 });
        await send(bob, roomId, { msgtype: "m.notice", body: "a bot speaks" });
        await send(bob, roomId, { msgtype: "m.text", body: "edited", "m.new_content": { body: "x" }, "m.relates_to": { rel_type: "m.replace", event_id: "$x" } });
        assert.deepEqual((await countsOf(alice, roomId)).unread_notifications, { notification_count: 2, highlight_count: 1 }, "notices and edits do not notify");

        assert.equal((await alice.put(rulePath("content", "pizza"), { pattern: "pizza", actions: ["notify", { set_tweak: "highlight" }] })).status, 200);
        await send(bob, roomId, { msgtype: "m.text", body: "who wants Pizza?" });
        await send(bob, roomId, { msgtype: "m.text", body: "pizzas are not a word match" });
        assert.deepEqual((await countsOf(alice, roomId)).unread_notifications, { notification_count: 4, highlight_count: 2 });

        // @room needs the power level in notifications.room (50): bob has 0, alice as creator 100.
        await send(bob, roomId, { msgtype: "m.text", body: "@room", "m.mentions": { room: true } });
        assert.deepEqual((await countsOf(carol, roomId)).unread_notifications, { notification_count: 5, highlight_count: 0 });
        await send(alice, roomId, { msgtype: "m.text", body: "@room", "m.mentions": { room: true } });
        assert.deepEqual((await countsOf(carol, roomId)).unread_notifications, { notification_count: 6, highlight_count: 1 });

        assert.deepEqual((await countsOf(alice, roomId)).unread_notifications, { notification_count: 0, highlight_count: 0 }, "alice's own message reads the room");
        assert.equal((await alice.delete(rulePath("content", "pizza"))).status, 200);
      });

      it("follow rule changes: the master rule silences everything, a room rule silences one room", async () => {
        const roomId = await room([bob]);
        assert.equal((await alice.put(rulePath("room", roomId), { actions: [] })).status, 200);
        await send(bob, roomId, { msgtype: "m.text", body: "quiet" });
        assert.deepEqual((await countsOf(alice, roomId)).unread_notifications, { notification_count: 0, highlight_count: 0 });
        assert.equal((await alice.delete(rulePath("room", roomId))).status, 200);
        await send(bob, roomId, { msgtype: "m.text", body: "loud" });
        assert.deepEqual((await countsOf(alice, roomId)).unread_notifications, { notification_count: 1, highlight_count: 0 });

        assert.equal((await alice.put(rulePath("override", ".m.rule.master", "/enabled"), { enabled: true })).status, 200);
        await send(bob, roomId, { msgtype: "m.text", body: "muted", "m.mentions": { user_ids: [aliceId] } });
        assert.deepEqual((await countsOf(alice, roomId)).unread_notifications, { notification_count: 1, highlight_count: 0 });
        assert.equal((await alice.put(rulePath("override", ".m.rule.master", "/enabled"), { enabled: false })).status, 200);
      });

      it("apply the user's own display-name and sender rules", async () => {
        const roomId = await room([bob, carol]);
        const rule = { conditions: [{ kind: "contains_display_name" }], actions: ["notify", { set_tweak: "highlight" }] };
        assert.equal((await carol.put(rulePath("override", "my-name"), rule)).status, 200);
        assert.equal((await carol.put(`${V3}/profile/${q("@carol:localhost")}/displayname`, { displayname: "Carol Smith" })).status, 200);
        await send(bob, roomId, { msgtype: "m.text", body: "ask carol smith!" });
        await send(bob, roomId, { msgtype: "m.text", body: "ask carol" });
        assert.deepEqual((await countsOf(carol, roomId)).unread_notifications, { notification_count: 2, highlight_count: 1 });

        assert.equal((await carol.put(rulePath("sender", "@bob:localhost"), { actions: [] })).status, 200);
        await send(bob, roomId, { msgtype: "m.text", body: "carol smith, you muted me" });
        assert.deepEqual((await countsOf(carol, roomId)).unread_notifications, { notification_count: 3, highlight_count: 2 }, "override rules come before sender rules");
        assert.equal((await carol.delete(rulePath("override", "my-name"))).status, 200);
        await send(bob, roomId, { msgtype: "m.text", body: "carol smith?" });
        assert.deepEqual((await countsOf(carol, roomId)).unread_notifications, { notification_count: 3, highlight_count: 2 }, "the sender rule silences bob");
        assert.equal((await carol.delete(rulePath("sender", "@bob:localhost"))).status, 200);
      });

      it("leave out senders the user ignores and drop redacted notifications", async () => {
        const roomId = await room([bob]);
        assert.equal((await carol.post(`${V3}/join/${q(roomId)}`, {})).status, 200);
        const redacted = await send(bob, roomId, { msgtype: "m.text", body: "oops" });
        assert.deepEqual((await countsOf(alice, roomId)).unread_notifications, { notification_count: 1, highlight_count: 0 });
        assert.equal((await bob.put(`${V3}/rooms/${q(roomId)}/redact/${q(redacted)}/r1`, {})).status, 200);
        assert.deepEqual((await countsOf(alice, roomId)).unread_notifications, { notification_count: 0, highlight_count: 0 });

        assert.equal((await alice.put(`${V3}/user/${q(aliceId)}/account_data/m.ignored_user_list`, { ignored_users: { "@carol:localhost": {} } })).status, 200);
        await send(carol, roomId, { msgtype: "m.text", body: "you cannot hear me" });
        assert.deepEqual((await countsOf(alice, roomId)).unread_notifications, { notification_count: 0, highlight_count: 0 });
        assert.equal((await alice.put(`${V3}/user/${q(aliceId)}/account_data/m.ignored_user_list`, { ignored_users: {} })).status, 200);
      });

      it("count threads apart when the filter asks, and clear them with threaded receipts", async () => {
        const roomId = await room([bob]);
        const root = await send(bob, roomId, { msgtype: "m.text", body: "root" });
        const inThread = (body: string) => ({ msgtype: "m.text", body, "m.relates_to": { rel_type: "m.thread", event_id: root } });
        await send(bob, roomId, inThread("reply 1"));
        const reply2 = await send(bob, roomId, inThread("reply 2"));
        const main2 = await send(bob, roomId, { msgtype: "m.text", body: "main again" });

        assert.deepEqual((await countsOf(alice, roomId)).unread_notifications, { notification_count: 4, highlight_count: 0 }, "without the option, one count for the room");
        const split = await countsOf(alice, roomId, THREAD_FILTER);
        assert.deepEqual(split.unread_notifications, { notification_count: 2, highlight_count: 0 });
        assert.deepEqual(split.unread_thread_notifications, { [root]: { notification_count: 2, highlight_count: 0 } });

        await receipt(alice, roomId, reply2, root);
        const threadRead = await countsOf(alice, roomId, THREAD_FILTER);
        assert.deepEqual(threadRead.unread_notifications, { notification_count: 2, highlight_count: 0 }, "a thread receipt leaves the main timeline unread");
        assert.equal(threadRead.unread_thread_notifications, undefined);

        await send(bob, roomId, inThread("reply 3"));
        await receipt(alice, roomId, main2, "main");
        const mainRead = await countsOf(alice, roomId, THREAD_FILTER);
        assert.deepEqual(mainRead.unread_notifications, { notification_count: 0, highlight_count: 0 });
        assert.deepEqual(mainRead.unread_thread_notifications, { [root]: { notification_count: 1, highlight_count: 0 } }, "a main receipt leaves threads unread");

        const last = await send(bob, roomId, { msgtype: "m.text", body: "last" });
        await receipt(alice, roomId, last, undefined, "m.read.private");
        const allRead = await countsOf(alice, roomId, THREAD_FILTER);
        assert.deepEqual(allRead.unread_notifications, { notification_count: 0, highlight_count: 0 });
        assert.equal(allRead.unread_thread_notifications, undefined, "an unthreaded (private) receipt reads everything before it");
      });
    });

    describe("GET /notifications", () => {
      it("lists notifications newest first with read flags, highlights only on request, in pages", async () => {
        const fresh = new ApiClient(hs.url);
        const freshId = (await fresh.register("dave")).user_id;
        const created = await bob.post<{ room_id: string }>(`${V3}/createRoom`, { preset: "public_chat" });
        const roomId = created.body.room_id;
        assert.equal((await fresh.post(`${V3}/join/${q(roomId)}`, {})).status, 200);
        const first = await send(bob, roomId, { msgtype: "m.text", body: "first" });
        const mention = await send(bob, roomId, { msgtype: "m.text", body: "dave!", "m.mentions": { user_ids: [freshId] } });
        const third = await send(bob, roomId, { msgtype: "m.text", body: "third" });
        await receipt(fresh, roomId, mention);

        const all = await fresh.get<{ notifications: Notification[]; next_token?: string }>(`${V3}/notifications`);
        assert.equal(all.status, 200, JSON.stringify(all.body));
        assert.deepEqual(
          all.body.notifications.map((n) => [n.event.event_id, n.read]),
          [
            [third, false],
            [mention, true],
            [first, true],
          ],
        );
        assert.equal(all.body.next_token, undefined, "no more results");
        const top = all.body.notifications[0] as Notification;
        assert.equal(top.room_id, roomId);
        assert.deepEqual(top.actions, ["notify", { set_tweak: "sound", value: "default" }], "a one-to-one room's rule");
        assert.equal(typeof top.ts, "number");
        assert.deepEqual(top.event.content, { msgtype: "m.text", body: "third" });
        assert.deepEqual(all.body.notifications[1]?.actions, ["notify", { set_tweak: "sound", value: "default" }, { set_tweak: "highlight" }]);

        const highlights = await fresh.get<{ notifications: Notification[] }>(`${V3}/notifications?only=highlight`);
        assert.deepEqual(highlights.body.notifications.map((n) => n.event.event_id), [mention]);

        const page1 = await fresh.get<{ notifications: Notification[]; next_token?: string }>(`${V3}/notifications?limit=2`);
        assert.deepEqual(page1.body.notifications.map((n) => n.event.event_id), [third, mention]);
        assert.ok(page1.body.next_token);
        const page2 = await fresh.get<{ notifications: Notification[]; next_token?: string }>(`${V3}/notifications?limit=2&from=${q(page1.body.next_token)}`);
        assert.deepEqual(page2.body.notifications.map((n) => n.event.event_id), [first]);
        assert.equal(page2.body.next_token, undefined);

        // An invitation notifies the invitee (.m.rule.invite_for_me) though they are not in the room.
        const other = await bob.post<{ room_id: string }>(`${V3}/createRoom`, { preset: "private_chat" });
        assert.equal((await bob.post(`${V3}/rooms/${q(other.body.room_id)}/invite`, { user_id: freshId })).status, 200);
        const invited = await fresh.get<{ notifications: Notification[] }>(`${V3}/notifications?limit=1`);
        const invite = invited.body.notifications[0];
        assert.equal(invite?.room_id, other.body.room_id);
        assert.deepEqual(invite?.event.content["membership"], "invite");
        assert.deepEqual(invite?.actions, ["notify", { set_tweak: "sound", value: "default" }]);

        assert.equal((await fresh.get(`${V3}/notifications?limit=many`)).status, 400);
        assert.equal((await fresh.get(`${V3}/notifications?from=nonsense`)).status, 400);
      });
    });
  });
}
