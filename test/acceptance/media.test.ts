/**
 * Acceptance: matrix-js-sdk sends an image and the other person sees it, on SQLite and PostgreSQL.
 * Alice uploads a PNG with the SDK's uploadContent (as a browser File) and sends an m.image event with
 * its mxc URI and info; Bob receives it through his sync, downloads the media through the
 * authenticated URL the SDK makes for it (client v1 media, his access token as a Bearer header) and
 * gets the same bytes, then a 64x64 crop thumbnail of it.
 *
 * The thumbnail is checked against the spec ("Thumbnails"), not against 64x64 exactly: a server MUST
 * NOT return one smaller than asked (unless the image is) and answers with one of its configured
 * sizes, so with the default sizes a 64x64 crop request gets the 96x96 crop.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { EventType, KnownMembership, MsgType, Preset, type Room } from "matrix-js-sdk";
import sharp from "sharp";
import { DATABASE_KINDS, isPostgresAvailable, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";
import { registerWithSdk, SdkClient } from "../harness/sdk-client.js";
import { startTestServer, type TestServer } from "../harness/server.js";

const PASSWORD = "correct horse battery staple";
const WIDTH = 400;
const HEIGHT = 300;
const THUMBNAIL = 64;

/** A 400x300 PNG of gradients and stripes: not square, so a crop thumbnail shows in its shape. */
async function pngImage(): Promise<Buffer> {
  const raw = Buffer.alloc(WIDTH * HEIGHT * 3);
  for (let y = 0, i = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      raw[i++] = Math.round((x * 255) / WIDTH);
      raw[i++] = Math.round((y * 255) / HEIGHT);
      raw[i++] = ((x >> 4) + (y >> 4)) % 2 === 0 ? 230 : 30;
    }
  }
  return sharp(raw, { raw: { width: WIDTH, height: HEIGHT, channels: 3 } }).png().toBuffer();
}

/** GET with Bob's token as a Bearer header, as a client with authenticated media does. */
async function download(url: string, token: string | undefined): Promise<{ status: number; contentType: string | null; bytes: Buffer }> {
  const response = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: response.status, contentType: response.headers.get("content-type"), bytes: Buffer.from(await response.arrayBuffer()) };
}

for (const database of DATABASE_KINDS) {
  const skip = database === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false;
  describe(`media through matrix-js-sdk on ${database}`, { skip, timeout: 60_000 }, () => {
    let hs: TestServer;
    let alice: SdkClient;
    let bob: SdkClient;
    let roomId: string;
    let png: Buffer;
    let mxc: string;
    const clients: SdkClient[] = [];

    const room = (client: SdkClient): Room | undefined => client.client.getRoom(roomId) ?? undefined;

    before(async () => {
      hs = await startTestServer({ database });
      png = await pngImage();
      for (const name of ["alice", "bob"]) {
        const client = new SdkClient(hs.url, await registerWithSdk(hs.url, name, PASSWORD));
        clients.push(client);
        await client.start();
      }
      [alice, bob] = clients as [SdkClient, SdkClient];
      roomId = (await alice.client.createRoom({ preset: Preset.PrivateChat, name: "pictures", invite: [bob.userId] })).room_id;
      await bob.waitFor("the invite", () => room(bob)?.getMyMembership() === KnownMembership.Invite);
      await bob.client.joinRoom(roomId);
      await alice.waitFor("bob in the room", () => room(alice)?.getMember(bob.userId)?.membership === KnownMembership.Join);
    });

    after(async () => {
      for (const client of clients) client.stop();
      await hs?.destroy();
    });

    it("uploads a PNG with uploadContent and sends it as m.image; bob receives the event", async () => {
      const uploaded = await alice.client.uploadContent(new File([png], "pattern.png", { type: "image/png" }));
      mxc = uploaded.content_uri;
      assert.match(mxc, /^mxc:\/\/localhost\/[A-Za-z0-9_-]+$/);
      const upload = alice.requests.find((r) => r.method === "POST" && r.url.pathname === "/_matrix/media/v3/upload");
      assert.equal(upload?.status, 200, "the SDK uploaded through POST /_matrix/media/v3/upload");
      assert.equal(upload.url.searchParams.get("filename"), "pattern.png");

      const info = { w: WIDTH, h: HEIGHT, mimetype: "image/png", size: png.length };
      const sent = await alice.client.sendMessage(roomId, { msgtype: MsgType.Image, body: "pattern.png", url: mxc, info });
      const received = await bob.waitFor("the image event", () => room(bob)?.findEventById(sent.event_id));
      assert.equal(received.getType(), EventType.RoomMessage);
      assert.equal(received.getSender(), alice.userId);
      assert.deepEqual(received.getContent(), { msgtype: MsgType.Image, body: "pattern.png", url: mxc, info });
    });

    it("lets bob download the image through the SDK's authenticated URL: the same bytes", async () => {
      assert.ok(mxc, "the upload test ran");
      const event = room(bob)!.getLiveTimeline().getEvents().find((e) => e.getContent()["msgtype"] === MsgType.Image)!;
      const url = bob.client.mxcUrlToHttp(event.getContent()["url"] as string, undefined, undefined, undefined, false, true, true);
      assert.ok(url, "the SDK makes a URL of the mxc URI");
      assert.ok(url.startsWith(`${hs.url}/_matrix/client/v1/media/download/localhost/`), url);

      const got = await download(url, bob.credentials.accessToken);
      assert.equal(got.status, 200, got.bytes.toString("utf8"));
      assert.equal(got.contentType, "image/png");
      assert.ok(got.bytes.equals(png), `the bytes come back unchanged (${got.bytes.length} of ${png.length})`);
      const metadata = await sharp(got.bytes).metadata();
      assert.deepEqual([metadata.format, metadata.width, metadata.height], ["png", WIDTH, HEIGHT]);

      const anonymous = await download(url, undefined);
      assert.equal(anonymous.status, 401, "the authenticated endpoint wants a token");
    });

    it(`lets bob download a ${THUMBNAIL}x${THUMBNAIL} crop thumbnail through the SDK's URL: a small square image, not the original`, async () => {
      assert.ok(mxc, "the upload test ran");
      const url = bob.client.mxcUrlToHttp(mxc, THUMBNAIL, THUMBNAIL, "crop", false, true, true);
      assert.ok(url, "the SDK makes a thumbnail URL of the mxc URI");
      const parsed = new URL(url);
      assert.ok(parsed.pathname.startsWith("/_matrix/client/v1/media/thumbnail/localhost/"), url);
      assert.deepEqual([parsed.searchParams.get("width"), parsed.searchParams.get("height"), parsed.searchParams.get("method")], [String(THUMBNAIL), String(THUMBNAIL), "crop"]);

      const got = await download(url, bob.credentials.accessToken);
      assert.equal(got.status, 200, got.bytes.toString("utf8"));
      assert.ok(!got.bytes.equals(png), "a thumbnail, not the original");
      const metadata = await sharp(got.bytes).metadata();
      assert.equal(got.contentType, `image/${metadata.format === "jpeg" ? "jpeg" : metadata.format}`, "the content type says what the bytes are");
      const { width, height } = metadata;
      assert.ok(width !== undefined && height !== undefined);
      assert.equal(width, height, `a crop has the requested (square) aspect, got ${width}x${height}`);
      assert.ok(width >= THUMBNAIL, `never smaller than requested (spec "Thumbnails"), got ${width}x${height}`);
      assert.ok(width < HEIGHT, `smaller than the image, got ${width}x${height}`);
    });
  });
}
