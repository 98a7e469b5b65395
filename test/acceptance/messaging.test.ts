/**
 * Acceptance: two people chat through matrix-js-sdk against a real Tessera, on SQLite and PostgreSQL.
 * Register, log in, rooms of several versions (public and private), invite, join, messages, edits,
 * reactions, redactions, scrollback through 500 messages and a server restart mid-conversation. Parts whose
 * endpoints are still being built are `todo` until the server has their route (see `pending` below).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { EventType, KnownMembership, MsgType, Preset, RelationType, type MatrixEvent, type Room, Visibility } from "matrix-js-sdk";
import type { RoomMessageEventContent } from "matrix-js-sdk/lib/@types/events.js";
import { ApiClient } from "../harness/client.js";
import { DATABASE_KINDS, isPostgresAvailable, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";
import { loginWithSdk, registerWithSdk, SdkClient } from "../harness/sdk-client.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { pending } from "./pending-features.js";
import { bodiesIn, messageIn, sendMany } from "./timeline.js";

const PASSWORD = "correct horse battery staple";
const VERSIONS = ["1", "9", "10", "11", "12"] as const;

for (const database of DATABASE_KINDS) {
  const skip = database === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false;
  describe(`messaging through matrix-js-sdk on ${database}`, { skip }, () => {
    let hs: TestServer;
    let alice: SdkClient;
    let bob: SdkClient;
    let aliceApi: ApiClient;
    const clients: SdkClient[] = [];
    /** Rooms both users joined, by `${version}/${public|private}`. */
    const rooms = new Map<string, string>();

    const startClient = async (user: string, startOptions: { threadSupport?: boolean } = {}, initialSyncLimit = 20): Promise<SdkClient> => {
      const client = new SdkClient(hs.url, await loginWithSdk(hs.url, user, PASSWORD));
      clients.push(client);
      await client.start({ initialSyncLimit, ...startOptions });
      return client;
    };
    const room = (client: SdkClient, roomId: string): Room | undefined => client.client.getRoom(roomId) ?? undefined;
    const membership = (client: SdkClient, roomId: string, userId: string): string | undefined =>
      room(client, roomId)?.getMember(userId)?.membership;
    const bothJoined = async (roomId: string): Promise<void> => {
      for (const viewer of [alice, bob]) {
        for (const member of [alice, bob]) {
          await viewer.waitFor(`${member.userId} joined ${roomId} as seen by ${viewer.userId}`, () => membership(viewer, roomId, member.userId) === KnownMembership.Join);
        }
      }
    };
    const seen = (client: SdkClient, roomId: string, eventId: string): Promise<MatrixEvent> =>
      client.waitFor(`event ${eventId} in ${roomId}`, () => room(client, roomId)?.findEventById(eventId));

    before(async () => {
      hs = await startTestServer({ database });
      // One user registers through the SDK, the other through the API client; both log in with the SDK.
      const registered = await registerWithSdk(hs.url, "alice", PASSWORD);
      assert.equal(registered.userId, "@alice:localhost");
      aliceApi = new ApiClient(hs.url, registered.accessToken);
      await new ApiClient(hs.url).register("bob", PASSWORD);
      alice = await startClient("alice");
      bob = await startClient("bob");
    });

    after(async () => {
      for (const client of clients) client.stop();
      await hs?.destroy();
    });

    it("logs both users in on new devices and syncs", async () => {
      assert.notEqual(alice.credentials.deviceId, bob.credentials.deviceId);
      assert.equal(alice.client.getSyncState() !== null, true);
      const whoami = await alice.client.whoami();
      assert.equal(whoami.user_id, "@alice:localhost");
      assert.equal(whoami.device_id, alice.credentials.deviceId);
    });

    for (const version of VERSIONS) {
      it(`creates a public and a private room of version ${version}; bob joins one and is invited to the other`, async () => {
        const pub = await alice.client.createRoom({ room_version: version, preset: Preset.PublicChat, visibility: Visibility.Private, name: `public v${version}` });
        const priv = await alice.client.createRoom({ room_version: version, preset: Preset.PrivateChat, name: `private v${version}` });
        rooms.set(`${version}/public`, pub.room_id);
        rooms.set(`${version}/private`, priv.room_id);

        await bob.client.joinRoom(pub.room_id);
        await alice.client.invite(priv.room_id, bob.userId);
        await bob.waitFor(`the invite to ${priv.room_id}`, () => room(bob, priv.room_id)?.getMyMembership() === KnownMembership.Invite);
        assert.equal(room(bob, priv.room_id)!.getDMInviter() ?? alice.userId, alice.userId);
        await bob.client.joinRoom(priv.room_id);

        for (const roomId of [pub.room_id, priv.room_id]) {
          await bothJoined(roomId);
          for (const client of [alice, bob]) assert.equal(room(client, roomId)!.getVersion(), version);
        }
        assert.equal(room(bob, pub.room_id)!.getJoinRule(), "public");
        assert.equal(room(bob, priv.room_id)!.getJoinRule(), "invite");
        assert.equal(room(bob, priv.room_id)!.name, `private v${version}`);
      });

      it(`exchanges messages both ways in the version ${version} rooms`, async () => {
        for (const kind of ["public", "private"]) {
          const roomId = rooms.get(`${version}/${kind}`)!;
          const hello = await alice.client.sendTextMessage(roomId, `hello from alice (${kind} v${version})`);
          const received = await seen(bob, roomId, hello.event_id);
          assert.equal(received.getSender(), alice.userId);
          assert.equal(received.getContent()["body"], `hello from alice (${kind} v${version})`);

          const answer = await bob.client.sendMessage(roomId, {
            msgtype: MsgType.Text,
            body: "hi alice",
            "m.relates_to": { "m.in_reply_to": { event_id: hello.event_id } },
          });
          const reply = await seen(alice, roomId, answer.event_id);
          assert.equal(reply.replyEventId, hello.event_id);
          const order = room(alice, roomId)!.getLiveTimeline().getEvents().map((e) => e.getId());
          assert.ok(order.indexOf(hello.event_id) < order.indexOf(answer.event_id), "the reply comes after the message it answers");
        }
      });
    }

    it("edits a message: the other side shows the new content", async () => {
      const roomId = rooms.get("11/private")!;
      const original = await alice.client.sendTextMessage(roomId, "teh original");
      await seen(bob, roomId, original.event_id);
      const edit = await alice.client.sendMessage(roomId, {
        msgtype: MsgType.Text,
        body: "* the original",
        "m.new_content": { msgtype: MsgType.Text, body: "the original" },
        "m.relates_to": { rel_type: RelationType.Replace, event_id: original.event_id },
      });
      const edited = await bob.waitFor("the edit applied", () => {
        const event = room(bob, roomId)?.findEventById(original.event_id);
        return event?.replacingEventId() === edit.event_id ? event : undefined;
      });
      assert.equal(edited.getContent()["body"], "the original");
      assert.equal(edited.getOriginalContent()["body"], "teh original");
    });

    it("reacts to a message and takes the reaction back with a redaction", async () => {
      const roomId = rooms.get("10/public")!;
      const message = await alice.client.sendTextMessage(roomId, "react to me");
      await seen(bob, roomId, message.event_id);
      const reaction = await bob.client.sendEvent(roomId, EventType.Reaction, {
        "m.relates_to": { rel_type: RelationType.Annotation, event_id: message.event_id, key: "👍" },
      });
      const annotations = (): [string, Set<MatrixEvent>][] =>
        room(alice, roomId)?.relations.getChildEventsForEvent(message.event_id, "m.annotation", EventType.Reaction)?.getSortedAnnotationsByKey() ?? [];
      const counted = await alice.waitFor("bob's reaction", () => (annotations().length > 0 ? annotations() : undefined));
      assert.equal(counted[0]![0], "👍");
      assert.deepEqual([...counted[0]![1]].map((e) => e.getSender()), [bob.userId]);

      await bob.client.redactEvent(roomId, reaction.event_id);
      await alice.waitFor("the reaction withdrawn", () => annotations().every(([, events]) => events.size === 0));
    });

    it("redacts a message: the other side sees it emptied, with the reason", async () => {
      const roomId = rooms.get("12/private")!;
      const secret = await alice.client.sendTextMessage(roomId, "oops, my password");
      await seen(bob, roomId, secret.event_id);
      const redaction = await alice.client.redactEvent(roomId, secret.event_id, undefined, { reason: "typed in the wrong window" });
      const redacted = await bob.waitFor("the redaction applied", () => {
        const event = room(bob, roomId)?.findEventById(secret.event_id);
        return event?.isRedacted() ? event : undefined;
      });
      assert.deepEqual(redacted.getContent(), {});
      assert.equal(redacted.getUnsigned().redacted_because?.event_id ?? redaction.event_id, redaction.event_id);
      assert.equal(redacted.getUnsigned().redacted_because?.content["reason"], "typed in the wrong window");
      // A client that loads the room afterwards gets the redacted form from the server.
      const fromServer = await aliceApi.get<{ content: Record<string, unknown> }>(`/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(secret.event_id)}`);
      assert.deepEqual(fromServer.body.content, {});
    });

    it("paginates back through 500 messages from a fresh login (scrollback)", async () => {
      const roomId = rooms.get("11/public")!;
      const sent = await sendMany(aliceApi, roomId, 500, (i) => `scroll ${i}`);
      await seen(bob, roomId, sent[sent.length - 1]!);

      const reader = await startClient("bob", {}, 10);
      const readerRoom = await reader.waitFor("the room in the fresh sync", () => room(reader, roomId));
      const live = readerRoom.getLiveTimeline();
      assert.ok(live.getEvents().length <= 10 + 1, "the initial sync honours initialSyncLimit");
      let pages = 0;
      while (await reader.client.paginateEventTimeline(live, { backwards: true, limit: 100 })) {
        pages += 1;
        assert.ok(pages < 50, "pagination ends");
      }
      const events = live.getEvents();
      assert.equal(events[0]!.getType(), EventType.RoomCreate, "scrollback reaches the start of the room");
      const ids = events.map((e) => e.getId());
      assert.equal(new Set(ids).size, ids.length, "no event appears twice");
      const scrolled = bodiesIn(events).filter((b) => b.startsWith("scroll "));
      assert.deepEqual(scrolled, sent.map((_, i) => `scroll ${i}`));
      reader.stop();
    });

    it("keeps every message and every sync token across a server restart", async () => {
      const roomId = rooms.get("12/public")!;
      const before = [];
      for (let i = 0; i < 3; i++) before.push((await alice.client.sendTextMessage(roomId, `before restart ${i}`)).event_id);
      await seen(bob, roomId, before[2]!);
      const tokenBefore = bob.client.store.getSyncToken();
      assert.ok(tokenBefore, "bob has a sync token");
      const apiToken = (await aliceApi.get<{ next_batch: string }>("/_matrix/client/v3/sync?timeout=0")).body.next_batch;
      // One more message right before the stop: acknowledged, so it must survive.
      const last = await aliceApi.put<{ event_id: string }>(`/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/just-before-stop`, { msgtype: MsgType.Text, body: "just before the stop" });
      assert.equal(last.status, 200);
      const syncsBefore = bob.syncRequests().length;

      hs = await hs.restart();

      const afterRestart: string[] = [];
      for (let i = 0; i < 3; i++) afterRestart.push((await alice.client.sendTextMessage(roomId, `after restart ${i}`)).event_id);
      await bob.waitFor("the messages sent after the restart", () => room(bob, roomId)?.findEventById(afterRestart[2]!), { timeoutMs: 30_000 });
      const timeline = room(bob, roomId)!.getLiveTimeline().getEvents();
      const bodies = bodiesIn(timeline);
      for (const body of ["before restart 2", "just before the stop", "after restart 0", "after restart 2"]) assert.ok(bodies.includes(body), `bob has "${body}"`);
      assert.equal(messageIn(timeline, last.body.event_id)?.getContent()["body"], "just before the stop");

      // The SDK went on from its token: no /sync without `since` after the restart, and the server accepted them.
      const later = bob.syncRequests().slice(syncsBefore);
      assert.ok(later.some((r) => r.status === 200), "bob synced after the restart");
      for (const request of later) {
        assert.ok(request.url.searchParams.get("since"), "every sync after the restart is incremental");
        assert.ok(request.status === 200 || request.status === 0, `sync answered ${request.status}`);
      }
      // A token handed out before the restart still works and yields what happened since.
      const resumed = await aliceApi.get<{ rooms: { join: Record<string, { timeline: { events: { event_id: string }[] } }> } }>(`/_matrix/client/v3/sync?timeout=0&since=${encodeURIComponent(apiToken)}`);
      assert.equal(resumed.status, 200, JSON.stringify(resumed.body));
      const resumedIds = resumed.body.rooms.join[roomId]!.timeline.events.map((e) => e.event_id);
      assert.deepEqual(resumedIds.slice(-4), [last.body.event_id, ...afterRestart]);
    });

    // ---- Parts waiting for features under construction (enabled by `pending` once the route exists) ----

    it("replies in a thread: both sides see the thread and the server aggregates it", { todo: pending.threads }, async () => {
      const roomId = rooms.get("11/private")!;
      const root = await alice.client.sendTextMessage(roomId, "thread root");
      await seen(bob, roomId, root.event_id);
      // The SDK's content typing has no `is_falling_back`, which thread-aware clients send.
      const threadReply = {
        msgtype: MsgType.Text,
        body: "in the thread",
        "m.relates_to": { rel_type: RelationType.Thread, event_id: root.event_id, is_falling_back: true, "m.in_reply_to": { event_id: root.event_id } },
      };
      const reply = await bob.client.sendEvent(roomId, EventType.RoomMessage, threadReply as unknown as RoomMessageEventContent);
      const relations = await aliceApi.get<{ chunk: { event_id: string }[] }>(
        `/_matrix/client/v1/rooms/${encodeURIComponent(roomId)}/relations/${encodeURIComponent(root.event_id)}/m.thread`,
      );
      assert.equal(relations.status, 200, JSON.stringify(relations.body));
      assert.deepEqual(relations.body.chunk.map((e) => e.event_id), [reply.event_id]);
      const threads = await aliceApi.get<{ chunk: { event_id: string; unsigned: { "m.relations"?: { "m.thread"?: { count: number } } } }[] }>(
        `/_matrix/client/v1/rooms/${encodeURIComponent(roomId)}/threads`,
      );
      assert.equal(threads.status, 200, JSON.stringify(threads.body));
      assert.equal(threads.body.chunk[0]?.event_id, root.event_id);
      assert.equal(threads.body.chunk[0]?.unsigned["m.relations"]?.["m.thread"]?.count, 1);
      // A thread-aware SDK client sees the reply inside the root's thread.
      const threaded = await startClient("alice", { threadSupport: true });
      const thread = await threaded.waitFor("the thread in alice's thread-aware client", () => {
        const found = room(threaded, roomId)?.getThread(root.event_id);
        return found && found.events.some((e) => e.getId() === reply.event_id) ? found : undefined;
      });
      assert.equal(thread.rootEvent?.getId(), root.event_id);
      threaded.stop();
    });

    it("shows typing notifications to the other user", { todo: pending.typing }, async () => {
      const roomId = rooms.get("10/private")!;
      await alice.client.sendTyping(roomId, true, 20_000);
      await bob.waitFor("alice typing", () => room(bob, roomId)?.getMember(alice.userId)?.typing === true);
      await alice.client.sendTyping(roomId, false, 0);
      await bob.waitFor("alice stopped typing", () => room(bob, roomId)?.getMember(alice.userId)?.typing === false);
    });

    it("delivers read receipts to the other user", { todo: pending.receipts }, async () => {
      const roomId = rooms.get("10/private")!;
      const message = await alice.client.sendTextMessage(roomId, "did you read this?");
      const event = await seen(bob, roomId, message.event_id);
      await bob.client.sendReadReceipt(event);
      await alice.waitFor("bob's read receipt", () => room(alice, roomId)?.getEventReadUpTo(bob.userId) === message.event_id);
      assert.ok(room(alice, roomId)!.getUsersReadUpTo(room(alice, roomId)!.findEventById(message.event_id)!).includes(bob.userId));
    });

    it("shows a profile change in the other user's sync", { todo: pending.profile }, async () => {
      await alice.client.setDisplayName("Alice Liddell");
      for (const key of ["9/public", "12/private"]) {
        const roomId = rooms.get(key)!;
        await bob.waitFor(`alice's new name in ${key}`, () => room(bob, roomId)?.getMember(alice.userId)?.name === "Alice Liddell");
      }
      const profile = await bob.client.getProfileInfo(alice.userId);
      assert.equal(profile.displayname, "Alice Liddell");
    });

    it("upgrades a room and moves both users to the replacement", { todo: pending.upgrades }, async () => {
      const oldRoomId = rooms.get("9/public")!;
      const { replacement_room: newRoomId } = await alice.client.upgradeRoom(oldRoomId, "12");
      const tombstone = await bob.waitFor("the tombstone in the old room", () => room(bob, oldRoomId)?.currentState.getStateEvents(EventType.RoomTombstone, "") ?? undefined);
      assert.equal(tombstone.getContent()["replacement_room"], newRoomId);
      await bob.client.joinRoom(newRoomId);
      await bothJoined(newRoomId);
      const replacement = room(bob, newRoomId)!;
      assert.equal(replacement.getVersion(), "12");
      assert.equal(replacement.findPredecessor()?.roomId, oldRoomId);
      assert.equal(replacement.name, "public v9", "the name moves with the room");
      const hello = await alice.client.sendTextMessage(newRoomId, "welcome to the new room");
      await seen(bob, newRoomId, hello.event_id);
    });
  });
}
