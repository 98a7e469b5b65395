/**
 * Thumbnails (client-server API "Thumbnails"): PNG, JPEG, GIF and WebP sources made here with sharp;
 * scale and crop dimensions; animated thumbnails only when asked for; originals smaller than asked
 * served as they are; decompression bombs refused; cached thumbnails served from their file; non-images
 * refused; thumbnails deleted with their media; the deprecated endpoint frozen like downloads.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { deflateSync, crc32 } from "node:zlib";
import sharp from "sharp";
import { registeredClients, type ApiClient } from "../harness/client.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { DATABASE_KINDS, isPostgresAvailable, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";
import { chooseThumbnailSize, thumbnailDimensions } from "../../src/services/media/thumbnail-sizes.js";
import { DEFAULT_THUMBNAIL_SIZES } from "../../src/config/thumbnail-schema.js";

const V1 = "/_matrix/client/v1/media";

interface Fetched {
  status: number;
  contentType: string;
  disposition: string | null;
  bytes: Buffer;
}

async function upload(hs: TestServer, client: ApiClient, data: Buffer, contentType: string): Promise<string> {
  const response = await fetch(`${hs.url}/_matrix/media/v3/upload`, { method: "POST", headers: { authorization: `Bearer ${client.accessToken}`, "content-type": contentType }, body: data });
  const body = (await response.json()) as { content_uri: string };
  assert.equal(response.status, 200, JSON.stringify(body));
  return body.content_uri.slice("mxc://".length);
}

async function thumbnail(hs: TestServer, client: ApiClient | undefined, path: string, query: string, prefix = V1): Promise<Fetched> {
  const headers: Record<string, string> = client ? { authorization: `Bearer ${client.accessToken}` } : {};
  const response = await fetch(`${hs.url}${prefix}/thumbnail/${path}?${query}`, { headers });
  return { status: response.status, contentType: response.headers.get("content-type") ?? "", disposition: response.headers.get("content-disposition"), bytes: Buffer.from(await response.arrayBuffer()) };
}

function errcode(fetched: Fetched): string {
  return (JSON.parse(fetched.bytes.toString("utf8")) as { errcode: string }).errcode;
}

async function dimensions(bytes: Buffer): Promise<{ width: number; height: number; pages: number; format: string }> {
  const metadata = await sharp(bytes).metadata();
  return { width: metadata.width, height: metadata.pageHeight ?? metadata.height, pages: metadata.pages ?? 1, format: metadata.format };
}

/** An RGB(A) test pattern: colour gradients, so that encoders have something to compress. */
function pattern(width: number, height: number, channels: 3 | 4, frames = 1): Buffer {
  const raw = Buffer.alloc(width * height * channels * frames);
  for (let f = 0; f < frames; f++) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const o = ((f * height + y) * width + x) * channels;
        raw[o] = (x * 255) / width;
        raw[o + 1] = (y * 255) / height;
        raw[o + 2] = (f * 80) % 256;
        if (channels === 4) raw[o + 3] = 128 + (x % 128);
      }
    }
  }
  return raw;
}

const image = (width: number, height: number, channels: 3 | 4 = 3) => sharp(pattern(width, height, channels), { raw: { width, height, channels } });

async function animatedGif(width: number, height: number, frames: number): Promise<Buffer> {
  return sharp(pattern(width, height, 4, frames), { raw: { width, height: height * frames, channels: 4, pageHeight: height } })
    .gif({ delay: Array.from({ length: frames }, () => 100), loop: 0 })
    .toBuffer();
}

/** A valid PNG whose header declares `width` x `height` with a few bytes of (truncated) data. */
function pngDeclaring(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const typed = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(typed));
    return Buffer.concat([length, typed, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, deflate, no filter set, no interlace
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", header), chunk("IDAT", deflateSync(Buffer.alloc(1024))), chunk("IEND", Buffer.alloc(0))]);
}

describe("thumbnail geometry", () => {
  it("scales inside the box, crops to fill it, never upscales", () => {
    assert.deepEqual(thumbnailDimensions({ width: 1000, height: 500 }, { width: 320, height: 240, method: "scale" }), { width: 320, height: 160 });
    assert.deepEqual(thumbnailDimensions({ width: 1000, height: 500 }, { width: 96, height: 96, method: "crop" }), { width: 96, height: 96 });
    assert.deepEqual(thumbnailDimensions({ width: 100, height: 50 }, { width: 800, height: 600, method: "scale" }), { width: 100, height: 50 });
    // Too small to fill 96x96: the largest square it holds.
    assert.deepEqual(thumbnailDimensions({ width: 50, height: 200 }, { width: 96, height: 96, method: "crop" }), { width: 50, height: 50 });
  });

  it("picks the smallest configured size at least as large as the request", () => {
    const source = { width: 4000, height: 3000 };
    assert.deepEqual(chooseThumbnailSize(DEFAULT_THUMBNAIL_SIZES, source, { width: 40, height: 40, method: "crop" }), { width: 96, height: 96, method: "crop" });
    assert.deepEqual(chooseThumbnailSize(DEFAULT_THUMBNAIL_SIZES, source, { width: 300, height: 300, method: "scale" }), { width: 320, height: 240, method: "scale" });
    assert.deepEqual(chooseThumbnailSize(DEFAULT_THUMBNAIL_SIZES, source, { width: 700, height: 500, method: "scale" }), { width: 800, height: 600, method: "scale" });
    assert.equal(chooseThumbnailSize(DEFAULT_THUMBNAIL_SIZES, source, { width: 1000, height: 1000, method: "scale" }), undefined);
  });
});

for (const database of DATABASE_KINDS) {
  describe(`thumbnails on ${database}`, { skip: database === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false }, () => {
    let hs: TestServer;
    let alice: ApiClient;

    before(async () => {
      hs = await startTestServer({ database });
      [alice] = await registeredClients(hs.url, "alice");
    });
    after(async () => hs.destroy());

    it("thumbnails a PNG with transparency as PNG, scaled and cropped", async () => {
      const path = await upload(hs, alice, await image(1000, 500, 4).png().toBuffer(), "image/png");
      const scaled = await thumbnail(hs, alice, path, "width=320&height=240&method=scale");
      assert.equal(scaled.status, 200);
      assert.equal(scaled.contentType, "image/png");
      assert.equal(scaled.disposition, 'inline; filename="thumbnail.png"');
      assert.deepEqual(await dimensions(scaled.bytes), { width: 320, height: 160, pages: 1, format: "png" });
      const cropped = await thumbnail(hs, alice, path, "width=90&height=90&method=crop");
      assert.deepEqual(await dimensions(cropped.bytes), { width: 96, height: 96, pages: 1, format: "png" });
    });

    it("thumbnails a JPEG as JPEG, at the smallest configured size that covers the request", async () => {
      const original = await image(1200, 900).jpeg().toBuffer();
      const path = await upload(hs, alice, original, "image/jpeg");
      const scaled = await thumbnail(hs, alice, path, "width=300&height=300&method=scale");
      assert.equal(scaled.contentType, "image/jpeg");
      assert.deepEqual(await dimensions(scaled.bytes), { width: 320, height: 240, pages: 1, format: "jpeg" });
      const large = await thumbnail(hs, alice, path, "width=640&height=480");
      assert.deepEqual(await dimensions(large.bytes), { width: 640, height: 480, pages: 1, format: "jpeg" });
      const small = await thumbnail(hs, alice, path, "width=32&height=32&method=crop");
      assert.deepEqual(await dimensions(small.bytes), { width: 32, height: 32, pages: 1, format: "jpeg" });
      // Larger than every configured size: a smaller thumbnail is forbidden, so the original comes back.
      const huge = await thumbnail(hs, alice, path, "width=1000&height=1000");
      assert.equal(huge.status, 200);
      assert.ok(huge.bytes.equals(original));
    });

    it("applies EXIF orientation before measuring", async () => {
      const path = await upload(hs, alice, await image(400, 200).withMetadata({ orientation: 6 }).jpeg().toBuffer(), "image/jpeg");
      const scaled = await thumbnail(hs, alice, path, "width=320&height=240&method=scale");
      assert.deepEqual(await dimensions(scaled.bytes), { width: 120, height: 240, pages: 1, format: "jpeg" });
    });

    it("thumbnails a WebP photo as JPEG", async () => {
      const path = await upload(hs, alice, await image(800, 800).webp().toBuffer(), "image/webp");
      const scaled = await thumbnail(hs, alice, path, "width=320&height=240&method=scale");
      assert.equal(scaled.contentType, "image/jpeg");
      assert.deepEqual(await dimensions(scaled.bytes), { width: 240, height: 240, pages: 1, format: "jpeg" });
    });

    it("keeps an animated GIF animated only when animated=true", async () => {
      const gif = await animatedGif(400, 300, 3);
      const path = await upload(hs, alice, gif, "image/gif");
      const animated = await thumbnail(hs, alice, path, "width=96&height=96&method=crop&animated=true");
      assert.equal(animated.status, 200);
      assert.equal(animated.contentType, "image/webp");
      assert.deepEqual(await dimensions(animated.bytes), { width: 96, height: 96, pages: 3, format: "webp" });
      for (const query of ["width=96&height=96&method=crop", "width=96&height=96&method=crop&animated=false"]) {
        const still = await thumbnail(hs, alice, path, query);
        assert.equal(still.contentType, "image/png");
        assert.deepEqual(await dimensions(still.bytes), { width: 96, height: 96, pages: 1, format: "png" });
      }
      // A JPEG cannot be animated: animated=true behaves as false.
      const jpegPath = await upload(hs, alice, await image(400, 300).jpeg().toBuffer(), "image/jpeg");
      assert.equal((await thumbnail(hs, alice, jpegPath, "width=96&height=96&method=crop&animated=true")).contentType, "image/jpeg");
    });

    it("serves an original smaller than the request as it is, unless that would animate what must not be", async () => {
      const png = await image(20, 20).png().toBuffer();
      const pngPath = await upload(hs, alice, png, "image/png");
      const small = await thumbnail(hs, alice, pngPath, "width=32&height=32&method=crop");
      assert.equal(small.status, 200);
      assert.ok(small.bytes.equals(png));
      assert.equal(small.disposition, 'inline; filename="thumbnail.png"');

      const gif = await animatedGif(60, 40, 4);
      const gifPath = await upload(hs, alice, gif, "image/gif");
      const animated = await thumbnail(hs, alice, gifPath, "width=96&height=96&method=scale&animated=true");
      assert.equal(animated.contentType, "image/gif");
      assert.ok(animated.bytes.equals(gif));
      const still = await thumbnail(hs, alice, gifPath, "width=96&height=96&method=scale");
      assert.equal(still.contentType, "image/png");
      assert.deepEqual(await dimensions(still.bytes), { width: 60, height: 40, pages: 1, format: "png" });
    });

    it("refuses a decompression bomb with 413 M_TOO_LARGE without decoding it", async () => {
      const bomb = pngDeclaring(50_000, 50_000);
      assert.ok(bomb.length < 2000);
      const path = await upload(hs, alice, bomb, "image/png");
      const started = performance.now();
      const answer = await thumbnail(hs, alice, path, "width=96&height=96&method=crop");
      assert.equal(answer.status, 413);
      assert.equal(errcode(answer), "M_TOO_LARGE");
      assert.ok(performance.now() - started < 5000, "answered from the header, nothing decoded");
      // The server is still fine.
      assert.equal((await alice.get("/_matrix/client/v3/account/whoami")).status, 200);
    });

    it("serves a cached thumbnail from its file, identical, and makes it only once", async () => {
      const path = await upload(hs, alice, await image(900, 700).jpeg().toBuffer(), "image/jpeg");
      const [first, concurrent] = await Promise.all([thumbnail(hs, alice, path, "width=640&height=480"), thumbnail(hs, alice, path, "width=600&height=450")]);
      const again = await thumbnail(hs, alice, path, "width=640&height=480");
      assert.ok(first.bytes.equals(again.bytes));
      assert.ok(first.bytes.equals(concurrent.bytes));
      const [serverName, mediaId] = path.split("/") as [string, string];
      const rows = await hs.server.context.db.kysely.selectFrom("media_thumbnails").selectAll().where("server_name", "=", serverName).where("media_id", "=", mediaId).execute();
      assert.equal(rows.length, 1);
      assert.deepEqual([rows[0]!.width, rows[0]!.height, rows[0]!.method, Number(rows[0]!.size)], [640, 480, "scale", first.bytes.length]);
    });

    it("answers 400 M_UNKNOWN for media that is not an image, and for an image uploaded as another type", async () => {
      const path = await upload(hs, alice, Buffer.from("just some text, not a picture"), "text/plain");
      const answer = await thumbnail(hs, alice, path, "width=96&height=96");
      assert.equal(answer.status, 400);
      assert.equal(errcode(answer), "M_UNKNOWN");
      const svg = await upload(hs, alice, Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'), "image/svg+xml");
      assert.equal((await thumbnail(hs, alice, svg, "width=96&height=96")).status, 400);
      // PNG bytes declared as text/html: thumbnailed (the bytes decide), never served as the original.
      const disguised = await upload(hs, alice, await image(20, 20).png().toBuffer(), "text/html");
      const safe = await thumbnail(hs, alice, disguised, "width=96&height=96");
      assert.equal(safe.status, 200);
      assert.equal(safe.contentType, "image/png");
    });

    it("refuses bad parameters and unknown media", async () => {
      const path = await upload(hs, alice, await image(100, 100).png().toBuffer(), "image/png");
      for (const query of ["height=96", "width=96", "width=-1&height=96", "width=abc&height=96", "width=96&height=96&method=stretch", "width=96&height=96&animated=yes"]) {
        const answer = await thumbnail(hs, alice, path, query);
        assert.equal(answer.status, 400, query);
      }
      const unknown = await thumbnail(hs, alice, `${hs.serverName}/NoSuchMedia`, "width=96&height=96");
      assert.equal(unknown.status, 404);
      assert.equal(errcode(unknown), "M_NOT_FOUND");
      const anonymous = await thumbnail(hs, undefined, path, "width=96&height=96");
      assert.equal(anonymous.status, 401);
    });

    it("freezes the deprecated endpoint for new media, as downloads", async () => {
      const path = await upload(hs, alice, await image(100, 100).png().toBuffer(), "image/png");
      const legacy = await thumbnail(hs, undefined, path, "width=32&height=32&method=crop", "/_matrix/media/v3");
      assert.equal(legacy.status, 404);
      assert.equal(errcode(legacy), "M_NOT_FOUND");
    });

    it("deletes thumbnails with their media", async () => {
      const path = await upload(hs, alice, await image(500, 400).png().toBuffer(), "image/png");
      assert.equal((await thumbnail(hs, alice, path, "width=96&height=96&method=crop")).status, 200);
      assert.equal((await thumbnail(hs, alice, path, "width=320&height=240")).status, 200);
      const [serverName, mediaId] = path.split("/") as [string, string];
      const context = hs.server.context;
      const count = async (): Promise<number> => (await context.db.kysely.selectFrom("media_thumbnails").select("media_id").where("media_id", "=", mediaId).execute()).length;
      assert.equal(await count(), 2);
      const thumbnailRoot = join(hs.config.data_dir, "media", "thumbnails");
      const files = (): number => (existsSync(thumbnailRoot) ? readdirSync(thumbnailRoot, { recursive: true }).filter((name) => String(name).includes("x")).length : 0);
      const before = files();
      await context.services.media.deleteMedia(serverName, [mediaId]);
      assert.equal(await count(), 0);
      assert.equal(files(), before - 2);
      assert.equal((await thumbnail(hs, alice, path, "width=96&height=96&method=crop")).status, 404);
    });
  });
}

describe("thumbnail pre-generation", () => {
  let hs: TestServer;
  let alice: ApiClient;

  before(async () => {
    hs = await startTestServer({ config: { media: { thumbnails: { pregenerate: true } } } });
    [alice] = await registeredClients(hs.url, "alice");
  });
  after(async () => hs.destroy());

  it("makes every configured size at upload", async () => {
    const path = await upload(hs, alice, await image(1000, 800).jpeg().toBuffer(), "image/jpeg");
    const mediaId = path.split("/")[1]!;
    const db = hs.server.context.db.kysely;
    let rows: unknown[] = [];
    for (let i = 0; i < 100 && rows.length < DEFAULT_THUMBNAIL_SIZES.length; i++) {
      rows = await db.selectFrom("media_thumbnails").select("width").where("media_id", "=", mediaId).execute();
      if (rows.length < DEFAULT_THUMBNAIL_SIZES.length) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(rows.length, DEFAULT_THUMBNAIL_SIZES.length);
  });
});
