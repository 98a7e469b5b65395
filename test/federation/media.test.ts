/**
 * Remote media (server-server API "Content Repository"): bob on server two downloads and thumbnails
 * alice's upload on server one through his own server, which fetches it once over federation
 * (multipart answer), caches it, serves it from the cache while one is down, refuses media over its
 * size limit, and drops the cache by retention and by Synapse's purge_media_cache. The federation
 * endpoints themselves: signed requests only, local media only, a well-formed multipart answer.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash, createHmac, randomBytes } from "node:crypto";
import { request } from "node:https";
import { Readable } from "node:stream";
import sharp from "sharp";
import { ApiClient, registeredClients } from "../harness/client.js";
import { startFederatedServer, type FederatedServer } from "../harness/federation.js";
import { blobFiles, fetchBytes, tempFiles, uploadBytes } from "../harness/media-client.js";
import type { TestServer } from "../harness/server.js";
import { FederationError } from "../../src/services/federation/federation-client.js";
import { FederationStreams } from "../../src/services/federation/federation-stream.js";
import { multipartBoundary, readMultipartMedia } from "../../src/services/media/multipart-reader.js";

const CLIENT_MEDIA = "/_matrix/client/v1/media";
const DAY_MS = 86_400_000;
/** Server two's media limit: the image fits, the large file does not. */
const TWO_MAX_BYTES = 1_000_000;

const sha256 = (bytes: Buffer): string => createHash("sha256").update(bytes).digest("hex");

async function registerAdmin(hs: TestServer, name: string): Promise<ApiClient> {
  const client = new ApiClient(hs.url);
  const password = "admin password";
  const { nonce } = (await client.get("/_synapse/admin/v1/register")).body as { nonce: string };
  const mac = createHmac("sha1", "test-shared-secret-0123456789").update(`${nonce}\x00${name}\x00${password}\x00admin`).digest("hex");
  const res = await client.post<{ access_token: string }>("/_synapse/admin/v1/register", { nonce, username: name, password, admin: true, mac }, { token: null });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  client.accessToken = res.body.access_token;
  return client;
}

/** A 640x480 PNG with a gradient (something for the thumbnailer to scale). */
async function testImage(): Promise<Buffer> {
  const width = 640;
  const height = 480;
  const raw = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    raw[i * 3] = (i % width) % 256;
    raw[i * 3 + 1] = Math.floor(i / width) % 256;
    raw[i * 3 + 2] = 90;
  }
  return sharp(raw, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

/** A GET to a federation listener without any signature. */
function unsignedGet(port: number, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, rejectUnauthorized: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString() || "{}") as Record<string, unknown> }));
    });
    req.on("error", reject);
    req.end();
  });
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe("federation: remote media, fetched once, cached and served, both directions", () => {
  let one: FederatedServer;
  let two: FederatedServer;
  let alice: ApiClient;
  let bob: ApiClient;
  let admin: ApiClient;
  let image: Buffer;
  let imageId: string;

  before(async () => {
    one = await startFederatedServer();
    two = await startFederatedServer({ config: { media: { max_upload_size: TWO_MAX_BYTES } } });
    [alice] = await registeredClients(one.url, "alice");
    [bob] = await registeredClients(two.url, "bob");
    admin = await registerAdmin(two, "root");
    image = await testImage();
    const uploaded = await uploadBytes(alice, image, { contentType: "image/png", filename: "gradient.png" });
    assert.equal(uploaded.status, 200, JSON.stringify(uploaded.body));
    imageId = (uploaded.body["content_uri"] as string).split("/").pop()!;
  });
  after(async () => {
    await one?.destroy();
    await two?.destroy();
  });

  it("serves local media to a signed request as multipart/mixed, and nothing to an unsigned one", async () => {
    const streams = new FederationStreams(two.server.context.services.federationClient);
    const answer = await streams.get(one.serverName, `/_matrix/federation/v1/media/download/${imageId}`, { maxBytes: 1_000_000 });
    const boundary = multipartBoundary(answer.headers["content-type"]);
    assert.ok(boundary, `multipart/mixed with a boundary: ${answer.headers["content-type"]}`);
    const parts = await readMultipartMedia(answer.body, boundary);
    assert.deepEqual(parts.metadata, {});
    assert.equal(parts.headers["content-type"], "image/png");
    assert.match(parts.headers["content-disposition"] ?? "", /^inline; filename="gradient.png"$/);
    assert.ok((await collect(parts.body)).equals(image));

    const thumb = await streams.get(one.serverName, `/_matrix/federation/v1/media/thumbnail/${imageId}?width=96&height=96&method=crop`, { maxBytes: 1_000_000 });
    const thumbParts = await readMultipartMedia(thumb.body, multipartBoundary(thumb.headers["content-type"])!);
    const meta = await sharp(await collect(thumbParts.body)).metadata();
    assert.deepEqual([meta.width, meta.height], [96, 96]);

    const unsigned = await unsignedGet(one.federationPort, `/_matrix/federation/v1/media/download/${imageId}`);
    assert.equal(unsigned.status, 401);
    const client = two.server.context.services.federationClient;
    await assert.rejects(client.request(one.serverName, "GET", "/_matrix/federation/v1/media/download/NoSuchMediaHere"), (error: unknown) => {
      assert.ok(error instanceof FederationError);
      assert.deepEqual([error.status, error.errcode], [404, "M_NOT_FOUND"]);
      return true;
    });
  });

  it("lets bob download alice's image through his own server with identical bytes and type, and a thumbnail of it", async () => {
    const download = await fetchBytes(two.url, `${CLIENT_MEDIA}/download/${one.serverName}/${imageId}`, bob.accessToken);
    assert.equal(download.status, 200, download.bytes.toString());
    assert.equal(download.headers.get("content-type"), "image/png");
    assert.match(download.headers.get("content-disposition") ?? "", /gradient\.png/);
    assert.ok(download.bytes.equals(image), "identical bytes");
    assert.ok(blobFiles(two).includes(sha256(image)), "cached in two's content store");

    const thumbnail = await fetchBytes(two.url, `${CLIENT_MEDIA}/thumbnail/${one.serverName}/${imageId}?width=320&height=240&method=scale`, bob.accessToken);
    assert.equal(thumbnail.status, 200, thumbnail.bytes.toString());
    const meta = await sharp(thumbnail.bytes).metadata();
    assert.deepEqual([meta.width, meta.height], [320, 240]);

    const unknown = await fetchBytes(two.url, `${CLIENT_MEDIA}/download/${one.serverName}/NoSuchMediaHere`, bob.accessToken);
    assert.deepEqual([unknown.status, unknown.json?.["errcode"]], [404, "M_NOT_FOUND"]);
  });

  it("fetches media that several requests want at the same time once", async () => {
    const bytes = randomBytes(50_000);
    const id = ((await uploadBytes(alice, bytes, { contentType: "application/octet-stream" })).body["content_uri"] as string).split("/").pop()!;
    const media = one.server.context.services.media;
    const resolve = media.resolve.bind(media);
    let served = 0;
    media.resolve = (serverName, mediaId, options) => {
      if (mediaId === id) served++;
      return resolve(serverName, mediaId, options);
    };
    try {
      const downloads = await Promise.all([1, 2, 3, 4].map(() => fetchBytes(two.url, `${CLIENT_MEDIA}/download/${one.serverName}/${id}`, bob.accessToken)));
      for (const download of downloads) assert.ok(download.status === 200 && download.bytes.equals(bytes));
      assert.equal(served, 1, "one federation download for four requests");
    } finally {
      media.resolve = resolve;
    }
  });

  it("refuses remote media larger than its limit with 502 M_TOO_LARGE and keeps nothing of it", async () => {
    const large = randomBytes(TWO_MAX_BYTES + 50_000);
    const id = ((await uploadBytes(alice, large, { contentType: "application/octet-stream" })).body["content_uri"] as string).split("/").pop()!;
    const refused = await fetchBytes(two.url, `${CLIENT_MEDIA}/download/${one.serverName}/${id}`, bob.accessToken);
    assert.deepEqual([refused.status, refused.json?.["errcode"]], [502, "M_TOO_LARGE"]);
    assert.ok(!blobFiles(two).includes(sha256(large)));
    assert.deepEqual(tempFiles(two), []);
  });

  it("drops cached remote media not accessed within media.remote_media_retention_days", async () => {
    const bytes = randomBytes(10_000);
    const id = ((await uploadBytes(alice, bytes, { contentType: "text/plain" })).body["content_uri"] as string).split("/").pop()!;
    assert.equal((await fetchBytes(two.url, `${CLIENT_MEDIA}/download/${one.serverName}/${id}`, bob.accessToken)).status, 200);
    assert.ok(blobFiles(two).includes(sha256(bytes)));
    const store = two.server.context.stores.media;
    await store.setLastAccess(one.serverName, id, Date.now() - 91 * DAY_MS);
    const result = await two.server.context.services.mediaMaintenance.runOnce();
    assert.equal(result.remoteDeleted, 1, "only the media not accessed for 90 days");
    assert.equal(await store.get(one.serverName, id), undefined);
    assert.ok(!blobFiles(two).includes(sha256(bytes)));
    assert.ok(await store.get(one.serverName, imageId), "recently used remote media stays");
  });

  it("serves cached media while its origin is down, until the admin purges the cache", async () => {
    await one.stop();
    const cached = await fetchBytes(two.url, `${CLIENT_MEDIA}/download/${one.serverName}/${imageId}`, bob.accessToken);
    assert.equal(cached.status, 200);
    assert.ok(cached.bytes.equals(image));
    // A size not made before: thumbnailed from the cached original, with its origin down.
    const thumbnail = await fetchBytes(two.url, `${CLIENT_MEDIA}/thumbnail/${one.serverName}/${imageId}?width=32&height=32&method=crop`, bob.accessToken);
    assert.equal(thumbnail.status, 200);

    const forbidden = await bob.post(`/_synapse/admin/v1/purge_media_cache?before_ts=${Date.now() + 1_000}`);
    assert.equal(forbidden.status, 403);
    const purged = await admin.post<{ deleted: number }>(`/_synapse/admin/v1/purge_media_cache?before_ts=${Date.now() + 1_000}`);
    assert.equal(purged.status, 200, JSON.stringify(purged.body));
    assert.ok(purged.body.deleted >= 1);
    assert.ok(!blobFiles(two).includes(sha256(image)), "the cached file is gone");
    const gone = await fetchBytes(two.url, `${CLIENT_MEDIA}/download/${one.serverName}/${imageId}`, bob.accessToken);
    assert.deepEqual([gone.status, gone.json?.["errcode"]], [502, "M_UNKNOWN"], "its origin cannot be reached");
  });
});

describe("multipart media answers, read as they stream", () => {
  it("finds the parts whatever the chunking, and a Location part", async () => {
    const media = randomBytes(5_000);
    const boundary = "b0und4ry";
    const body = Buffer.concat([
      Buffer.from(`preamble\r\n--${boundary}\r\nContent-Type: application/json\r\n\r\n{"a":1}\r\n--${boundary}  \r\nContent-Type: image/png\r\n\r\n`),
      media,
      Buffer.from(`\r\n--${boundary}--\r\nepilogue`),
    ]);
    for (const size of [1, 7, 64, 100_000]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < body.length; i += size) chunks.push(body.subarray(i, i + size));
      const parts = await readMultipartMedia(Readable.from(chunks), boundary);
      assert.deepEqual(parts.metadata, { a: 1 });
      assert.equal(parts.headers["content-type"], "image/png");
      assert.ok((await collect(parts.body)).equals(media), `chunks of ${size}`);
    }
    const redirect = `--${boundary}\r\nContent-Type: application/json\r\n\r\n{}\r\n--${boundary}\r\nLocation: https://example.org/x\r\n\r\n\r\n--${boundary}--\r\n`;
    const parts = await readMultipartMedia(Readable.from([Buffer.from(redirect)]), boundary);
    assert.equal(parts.headers["location"], "https://example.org/x");
    assert.equal((await collect(parts.body)).length, 0);
    assert.equal(multipartBoundary('multipart/mixed; boundary="abc"'), "abc");
    assert.equal(multipartBoundary("application/json"), undefined);
  });

  it("refuses an answer that ends inside the media part", async () => {
    const truncated = Buffer.from(`--b\r\nContent-Type: application/json\r\n\r\n{}\r\n--b\r\nContent-Type: text/plain\r\n\r\nhalf of it`);
    const parts = await readMultipartMedia(Readable.from([truncated]), "b");
    await assert.rejects(collect(parts.body), /ended inside the media part/);
  });
});
