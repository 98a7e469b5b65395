/**
 * Acceptance: a room created on one, joined by users of two and three. Messages, an edit, a
 * reaction, a reply, a redaction, a profile change and state changes made on each server are seen on
 * every server, in the same order; a ban on one takes effect on two and three.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { registeredClients, type ApiClient } from "../harness/client.js";
import { FAST_RETRIES, startFederatedServer, type FederatedServer } from "../harness/federation.js";
import { syncPosition, syncUntil, type Json, type SyncEvent } from "../harness/federated-rooms.js";

const V3 = "/_matrix/client/v3";

describe("federation: one room across three servers", () => {
  let servers: FederatedServer[];
  let clients: ApiClient[];
  let ids: string[];
  let roomId: string;
  const path = (rest: string) => `${V3}/rooms/${encodeURIComponent(roomId)}/${rest}`;

  /** The room's timeline as a server holds it, oldest first (paged back through /messages). */
  async function timeline(client: ApiClient): Promise<SyncEvent[]> {
    const out: SyncEvent[] = [];
    let from: string | undefined;
    for (let page = 0; page < 10; page++) {
      const answer = await client.get<{ chunk: SyncEvent[]; end?: string }>(path(`messages?dir=b&limit=100${from ? `&from=${from}` : ""}`));
      assert.equal(answer.status, 200);
      out.push(...answer.body.chunk);
      if (!answer.body.end) break;
      from = answer.body.end;
    }
    return out.reverse();
  }

  /** Waits until every server's client holds `eventId`. */
  async function everywhere(eventId: string): Promise<void> {
    for (const client of clients) {
      const deadline = Date.now() + 20_000;
      while ((await client.get(path(`event/${encodeURIComponent(eventId)}`))).status !== 200) {
        if (Date.now() > deadline) assert.fail(`${eventId} never reached ${client.baseUrl}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  before(async () => {
    servers = await Promise.all([0, 1, 2].map(() => startFederatedServer({ config: FAST_RETRIES })));
    clients = [];
    for (const [i, name] of ["alice", "bob", "carol"].entries()) clients.push(...(await registeredClients(servers[i]!.url, name)));
    ids = ["alice", "bob", "carol"].map((name, i) => `@${name}:${servers[i]!.serverName}`);
    roomId = (await clients[0]!.post(`${V3}/createRoom`, { preset: "public_chat", name: "three servers" })).body["room_id"] as string;
    for (const client of clients.slice(1)) {
      assert.equal((await client.post(`${V3}/join/${encodeURIComponent(roomId)}?server_name=${encodeURIComponent(servers[0]!.serverName)}`, {})).status, 200);
    }
    for (const server of servers) await server.server.context.services.federationRooms.partialState.settled(roomId);
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.destroy()));
  });

  it("shows messages, an edit, a reaction, a reply, a redaction, a profile change and state changes everywhere, in one order", async () => {
    const [alice, bob, carol] = clients as [ApiClient, ApiClient, ApiClient];
    const sent: string[] = [];
    const send = async (client: ApiClient, type: string, content: Json, txn: string) => {
      const answer = await client.put(path(`send/${type}/${txn}`), content);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      const eventId = answer.body["event_id"] as string;
      sent.push(eventId);
      await everywhere(eventId); // one at a time: the graph stays a line, so every server orders it alike
      return eventId;
    };
    const first = await send(alice, "m.room.message", { msgtype: "m.text", body: "hello from one" }, "t1");
    await send(bob, "m.room.message", { msgtype: "m.text", body: "* hello from one (edited)", "m.new_content": { msgtype: "m.text", body: "hello" }, "m.relates_to": { rel_type: "m.replace", event_id: first } }, "t2");
    await send(carol, "m.reaction", { "m.relates_to": { rel_type: "m.annotation", event_id: first, key: "👍" } }, "t3");
    const doomed = await send(bob, "m.room.message", { msgtype: "m.text", body: "to be redacted", "m.relates_to": { "m.in_reply_to": { event_id: first } } }, "t4");
    const redaction = await bob.put(path(`redact/${encodeURIComponent(doomed)}/r1`), { reason: "oops" });
    assert.equal(redaction.status, 200);
    sent.push(redaction.body["event_id"] as string);
    await everywhere(redaction.body["event_id"] as string);
    const topic = await carol.put(path("state/m.room.topic"), { topic: "from three" });
    assert.equal(topic.status, 403, "carol may not set the topic: the power levels apply on every server");
    const name = await alice.put(path("state/m.room.name"), { name: "renamed on one" });
    sent.push(name.body["event_id"] as string);
    await everywhere(name.body["event_id"] as string);
    assert.equal((await bob.put(`${V3}/profile/${encodeURIComponent(ids[1]!)}/displayname`, { displayname: "Bob of Two" })).status, 200);

    for (const client of clients) {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const member = await client.get<Json>(path(`state/m.room.member/${encodeURIComponent(ids[1]!)}`));
        if (member.body["displayname"] === "Bob of Two") break;
        if (Date.now() > deadline) assert.fail(`bob's new display name never reached ${client.baseUrl}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const redacted = await client.get<SyncEvent>(path(`event/${encodeURIComponent(doomed)}`));
      assert.deepEqual(redacted.body.content, {}, "the redacted message is redacted on every server");
      const roomName = await client.get<Json>(path("state/m.room.name"));
      assert.equal(roomName.body["name"], "renamed on one");
    }
    const orders = await Promise.all(clients.map(async (c) => (await timeline(c)).map((e) => e.event_id).filter((id) => sent.includes(id))));
    for (const order of orders) assert.deepEqual(order, sent, "every server holds the events in the order they were sent");
    const relations = await carol.get<{ chunk: SyncEvent[] }>(`/_matrix/client/v1/rooms/${encodeURIComponent(roomId)}/relations/${encodeURIComponent(first)}`);
    assert.equal(relations.body.chunk.length, 2, "the edit and the reaction relate to the first message on three too");
  });

  it("makes a ban on one take effect on two and three", async () => {
    const [alice, bob, carol] = clients as [ApiClient, ApiClient, ApiClient];
    const carolSince = await syncPosition(carol);
    assert.equal((await alice.post(path("ban"), { user_id: ids[1], reason: "testing bans" })).status, 200);
    await syncUntil(carol, roomId, (v) => v.timeline.some((e) => e.type === "m.room.member" && e.state_key === ids[1] && e.content["membership"] === "ban"), carolSince);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const member = await bob.get<Json>(path(`state/m.room.member/${encodeURIComponent(ids[1]!)}`));
      if (member.body["membership"] === "ban") break;
      if (Date.now() > deadline) assert.fail("bob's server never learned of the ban");
      await new Promise((r) => setTimeout(r, 100));
    }
    const refused = await bob.put(path("send/m.room.message/banned"), { msgtype: "m.text", body: "still here?" });
    assert.equal(refused.status, 403, "two refuses its own banned user's message");
    const rejoin = await bob.post(`${V3}/join/${encodeURIComponent(roomId)}?server_name=${encodeURIComponent(servers[2]!.serverName)}`, {});
    assert.equal(rejoin.status, 403, "and three refuses his join");
  });
});
