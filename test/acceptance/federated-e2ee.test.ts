/**
 * Acceptance: end-to-end encryption across two Tessera servers federating over TLS on loopback, with
 * real matrix-js-sdk clients and their Rust crypto. Alice (server one) and Bob (server two) share an
 * encrypted room: each decrypts the other, which needs device keys queried across servers, one-time
 * keys claimed across servers and room keys sent to-device across servers. Then Bob logs in on a new
 * device: Alice's server hears of it by a device-list update, and her next message decrypts there.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { EventType, KnownMembership, type MatrixEvent, Preset, type Room } from "matrix-js-sdk";
import { ApiClient } from "../harness/client.js";
import { CryptoClient } from "../harness/crypto-client.js";
import { FAST_RETRIES, startFederatedServer, type FederatedServer } from "../harness/federation.js";
import { loginWithSdk } from "../harness/sdk-client.js";

const PASSWORD = "correct horse battery staple";
const MEGOLM = "m.megolm.v1.aes-sha2";
const STEP_TIMEOUT_MS = 90_000;

describe("end-to-end encryption across two servers, through matrix-js-sdk with Rust crypto", () => {
  let one: FederatedServer;
  let two: FederatedServer;
  let alice: CryptoClient;
  let bob: CryptoClient;
  const clients: CryptoClient[] = [];
  let roomId = "";

  const login = async (server: FederatedServer, user: string): Promise<CryptoClient> => {
    const client = new CryptoClient(server.url, await loginWithSdk(server.url, user, PASSWORD), PASSWORD);
    clients.push(client);
    await client.start();
    await client.waitForDeviceKeysOnServer();
    return client;
  };
  const room = (client: CryptoClient): Room | undefined => client.client.getRoom(roomId) ?? undefined;
  const body = (event: MatrixEvent): unknown => event.getContent()["body"];
  const knowsDevice = (viewer: CryptoClient, device: CryptoClient): Promise<true> =>
    viewer.waitForAsync(
      `${viewer.userId} to learn of device ${device.userId}/${device.deviceId}`,
      async () => (await viewer.crypto.getUserDeviceInfo([device.userId], true)).get(device.userId)?.has(device.deviceId) === true,
      { timeoutMs: 30_000 },
    );

  before(async () => {
    [one, two] = await Promise.all([startFederatedServer({ config: FAST_RETRIES }), startFederatedServer({ config: FAST_RETRIES })]);
    await new ApiClient(one.url).register("alice", PASSWORD);
    await new ApiClient(two.url).register("bob", PASSWORD);
    alice = await login(one, "alice");
    bob = await login(two, "bob");
  });

  after(async () => {
    for (const client of clients) client.stop();
    await Promise.all([one?.destroy(), two?.destroy()]);
  });

  it("alice@one and bob@two read each other's encrypted messages", { timeout: STEP_TIMEOUT_MS }, async () => {
    const created = await alice.client.createRoom({
      preset: Preset.PublicChat,
      name: "across servers, encrypted",
      initial_state: [{ type: EventType.RoomEncryption, state_key: "", content: { algorithm: MEGOLM } }],
    });
    roomId = created.room_id;
    await bob.client.joinRoom(roomId, { viaServers: [one.serverName] });
    await bob.waitFor("bob joined", () => room(bob)?.getMyMembership() === KnownMembership.Join);
    await alice.waitFor("alice sees bob joined", () => room(alice)?.getMember(bob.userId)?.membership === KnownMembership.Join);
    await knowsDevice(alice, bob);
    assert.equal(await bob.crypto.isEncryptionEnabledInRoom(roomId), true);

    const hello = await alice.client.sendTextMessage(roomId, "hello across the federation");
    const atBob = await bob.waitForDecrypted(roomId, hello.event_id, { timeoutMs: 30_000 });
    assert.equal(atBob.getWireType(), EventType.RoomMessageEncrypted, "it travelled encrypted");
    assert.equal(body(atBob), "hello across the federation");
    // The room key reached bob's device in an Olm message: alice claimed one of its one-time keys through her server.
    assert.ok(alice.requests.some((r) => r.method === "POST" && r.url.pathname.endsWith("/keys/claim") && r.status === 200), alice.keyRequestsSummary());

    await knowsDevice(bob, alice);
    const reply = await bob.client.sendTextMessage(roomId, "and back again");
    const atAlice = await alice.waitForDecrypted(roomId, reply.event_id, { timeoutMs: 30_000 });
    assert.equal(body(atAlice), "and back again");
    // Neither server stored the text.
    const stored = await new ApiClient(two.url, bob.credentials.accessToken).get<Record<string, unknown>>(
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(hello.event_id)}`,
    );
    assert.equal(JSON.stringify(stored.body).includes("hello across"), false);
  });

  it("bob's new device on two is announced to one, and alice's next message decrypts there", { timeout: STEP_TIMEOUT_MS }, async () => {
    const second = await login(two, "bob");
    assert.notEqual(second.deviceId, bob.deviceId);
    await second.waitFor("the room on bob's second device", () => room(second)?.getMyMembership() === KnownMembership.Join);
    await knowsDevice(alice, second);
    const later = await alice.client.sendTextMessage(roomId, "for both of bob's devices");
    const onSecond = await second.waitForDecrypted(roomId, later.event_id, { timeoutMs: 30_000 });
    assert.equal(body(onSecond), "for both of bob's devices");
    const onFirst = await bob.waitForDecrypted(roomId, later.event_id, { timeoutMs: 30_000 });
    assert.equal(body(onFirst), "for both of bob's devices");
  });
});
