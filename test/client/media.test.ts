/** The content repository: uploads, downloads, asynchronous uploads, limits, quotas, admin deletion and retention. */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash, createHmac, randomBytes } from "node:crypto";
import { ApiClient, registeredClients } from "../harness/client.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { DATABASE_KINDS, isPostgresAvailable, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";
import { abortHalfway, sendHeadOfHugeBody, streamChunkedUntilAnswered } from "../harness/raw-http.js";
import { blobFiles, chunkedUpload, CLIENT_MEDIA, fetchBytes, MEDIA_V1, MEDIA_V3, mediaIdOf, streamDownload, streamUpload, tempFiles, uploadBytes } from "../harness/media-client.js";

const MIB = 1024 * 1024;
const DAY_MS = 86_400_000;
const CSP = "sandbox; default-src 'none'; script-src 'none'; plugin-types application/pdf; style-src 'unsafe-inline'; object-src 'self';";
const enc = encodeURIComponent;

async function registerAdmin(hs: TestServer, name: string): Promise<ApiClient> {
  const client = new ApiClient(hs.url);
  const password = "correct horse battery";
  const { nonce } = (await client.get("/_synapse/admin/v1/register")).body as { nonce: string };
  const mac = createHmac("sha1", "test-shared-secret-0123456789").update(`${nonce}\x00${name}\x00${password}\x00admin`).digest("hex");
  const res = await client.post<{ access_token: string }>("/_synapse/admin/v1/register", { nonce, username: name, password, admin: true, mac }, { token: null });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  client.accessToken = res.body.access_token;
  return client;
}

/** Uploads and returns the media ID (asserting success). */
async function uploaded(client: ApiClient, bytes: Buffer, options: { contentType?: string; filename?: string } = {}): Promise<string> {
  const res = await uploadBytes(client, bytes, options);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return mediaIdOf(res.body["content_uri"] as string);
}

const download = (id: string): string => `${CLIENT_MEDIA}/download/localhost/${id}`;
const sha256 = (bytes: Buffer): string => createHash("sha256").update(bytes).digest("hex");

for (const database of DATABASE_KINDS) {
  describe(`content repository on ${database}`, { skip: database === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false }, () => {
    let hs: TestServer;
    let alice: ApiClient;
    let bob: ApiClient;
    let admin: ApiClient;

    before(async () => {
      hs = await startTestServer({ database, config: { media: { max_upload_size: 60 * MIB, local_retention_days: 1 } } });
      [alice, bob] = await registeredClients(hs.url, "alice", "bob");
      admin = await registerAdmin(hs, "root");
    });
    after(async () => hs.destroy());

    it("round-trips bytes exactly with the spec's headers", async () => {
      const bytes = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(100_000)]);
      const id = await uploaded(alice, bytes, { contentType: "image/png", filename: "cat.png" });
      assert.match(id, /^[A-Za-z0-9]{24}$/);
      const got = await fetchBytes(hs.url, download(id), bob.accessToken);
      assert.equal(got.status, 200);
      assert.ok(got.bytes.equals(bytes), "the bytes come back unchanged");
      assert.equal(got.headers.get("content-type"), "image/png");
      assert.equal(got.headers.get("content-length"), String(bytes.length));
      assert.equal(got.headers.get("content-disposition"), 'inline; filename="cat.png"');
      assert.equal(got.headers.get("content-security-policy"), CSP);
      assert.equal(got.headers.get("cross-origin-resource-policy"), "cross-origin");
      assert.equal(got.headers.get("cache-control"), "private, max-age=86400");
      assert.equal(got.headers.get("etag"), `"${sha256(bytes)}"`);

      const renamed = await fetchBytes(hs.url, `${download(id)}/other%20name.png`, bob.accessToken);
      assert.equal(renamed.headers.get("content-disposition"), 'inline; filename="other name.png"');
      assert.ok(renamed.bytes.equals(bytes));
    });

    it("serves unsafe types as attachments and encodes file names", async () => {
      const html = await uploaded(alice, Buffer.from("<script>alert(1)</script>"), { contentType: "text/html", filename: "page.html" });
      assert.equal((await fetchBytes(hs.url, download(html), alice.accessToken)).headers.get("content-disposition"), 'attachment; filename="page.html"');
      const svg = await uploaded(alice, Buffer.from("<svg/>"), { contentType: "image/svg+xml" });
      const svgGot = await fetchBytes(hs.url, download(svg), alice.accessToken);
      assert.equal(svgGot.headers.get("content-disposition"), "attachment", "no filename: none in the header");
      assert.equal(svgGot.headers.get("content-type"), "image/svg+xml");

      const untyped = await uploaded(alice, Buffer.from("?"));
      const untypedGot = await fetchBytes(hs.url, download(untyped), alice.accessToken);
      assert.equal(untypedGot.headers.get("content-type"), "application/octet-stream");
      assert.equal(untypedGot.headers.get("content-disposition"), "attachment");

      const text = await uploaded(alice, Buffer.from("hé"), { contentType: "text/plain; charset=utf-8", filename: 'naïve "quote".txt' });
      const textGot = await fetchBytes(hs.url, download(text), alice.accessToken);
      assert.equal(textGot.headers.get("content-type"), "text/plain; charset=utf-8");
      assert.equal(textGot.headers.get("content-disposition"), "inline; filename*=utf-8''na%C3%AFve%20%22quote%22.txt");
      assert.equal(textGot.bytes.toString("utf8"), "hé");

      const bogus = await uploaded(alice, Buffer.from("?"), { contentType: "not a type" });
      assert.equal((await fetchBytes(hs.url, download(bogus), alice.accessToken)).headers.get("content-type"), "application/octet-stream", "a malformed type is stored as the default");

      const badName = await uploadBytes(alice, Buffer.from("x"), { filename: "a\nb" });
      assert.equal(badName.status, 400);
      assert.equal(badName.body["errcode"], "M_INVALID_PARAM");
    });

    it("requires an access token on the v1 endpoints and announces the upload size", async () => {
      const id = await uploaded(alice, Buffer.from("secret"), { contentType: "text/plain" });
      for (const path of [download(id), `${download(id)}/x.txt`, `${CLIENT_MEDIA}/config`, `${MEDIA_V3}/config`]) {
        const res = await alice.get(path, { token: null });
        assert.equal(res.status, 401, path);
        assert.equal(res.body["errcode"], "M_MISSING_TOKEN", path);
      }
      const noToken = await uploadBytes(alice, Buffer.from("x"), { token: null });
      assert.equal(noToken.status, 401);
      assert.equal((await alice.post(`${MEDIA_V1}/create`, {}, { token: null })).status, 401);
      assert.deepEqual((await alice.get(`${CLIENT_MEDIA}/config`)).body, { "m.upload.size": 60 * MIB });
      assert.deepEqual((await alice.get(`${MEDIA_V3}/config`)).body, { "m.upload.size": 60 * MIB });
      // The access token may come in the query string too (spec: accessTokenQuery).
      assert.equal((await fetchBytes(hs.url, `${download(id)}?access_token=${alice.accessToken!}`, null)).status, 200);
    });

    it("freezes the deprecated unauthenticated download for new media", async () => {
      const id = await uploaded(alice, Buffer.from("frozen"), { contentType: "text/plain" });
      for (const path of [`${MEDIA_V3}/download/localhost/${id}`, `/_matrix/media/r0/download/localhost/${id}/f.txt`]) {
        const res = await fetchBytes(hs.url, path, null);
        assert.equal(res.status, 404, path);
        assert.equal(res.json?.["errcode"], "M_NOT_FOUND");
      }
      assert.equal((await fetchBytes(hs.url, download(id), alice.accessToken)).status, 200);
    });

    it("answers 404 for unknown and malformed media, 502 for media of a server that cannot be reached", async () => {
      for (const path of [download("nosuchmedia"), `${CLIENT_MEDIA}/download/localhost/bad.id`]) {
        const res = await fetchBytes(hs.url, path, alice.accessToken);
        assert.equal(res.status, 404, path);
        assert.equal(res.json?.["errcode"], "M_NOT_FOUND", path);
      }
      // Remote media is fetched over federation (test/federation/media.test.ts); .example never resolves.
      const remote = await fetchBytes(hs.url, `${CLIENT_MEDIA}/download/elsewhere.example/abcdef`, alice.accessToken);
      assert.deepEqual([remote.status, remote.json?.["errcode"]], [502, "M_UNKNOWN"]);
    });

    it("serves byte ranges for seeking (206) and refuses unsatisfiable ones (416)", async () => {
      const bytes = randomBytes(1000);
      const id = await uploaded(alice, bytes, { contentType: "video/mp4" });
      const first = await fetchBytes(hs.url, download(id), alice.accessToken, { range: "bytes=0-9" });
      assert.equal(first.status, 206);
      assert.equal(first.headers.get("content-range"), "bytes 0-9/1000");
      assert.equal(first.headers.get("content-length"), "10");
      assert.ok(first.bytes.equals(bytes.subarray(0, 10)));
      const middle = await fetchBytes(hs.url, download(id), alice.accessToken, { range: "bytes=500-" });
      assert.equal(middle.headers.get("content-range"), "bytes 500-999/1000");
      assert.ok(middle.bytes.equals(bytes.subarray(500)));
      const suffix = await fetchBytes(hs.url, download(id), alice.accessToken, { range: "bytes=-5" });
      assert.ok(suffix.bytes.equals(bytes.subarray(995)));
      const clipped = await fetchBytes(hs.url, download(id), alice.accessToken, { range: "bytes=990-5000" });
      assert.equal(clipped.headers.get("content-range"), "bytes 990-999/1000");
      const beyond = await fetchBytes(hs.url, download(id), alice.accessToken, { range: "bytes=1000-" });
      assert.equal(beyond.status, 416);
      assert.equal(beyond.headers.get("content-range"), "bytes */1000");
      const stale = await fetchBytes(hs.url, download(id), alice.accessToken, { range: "bytes=0-9", "if-range": '"not-this-content"' });
      assert.equal(stale.status, 200, "If-Range of other content: the whole content");
      assert.equal(stale.bytes.length, 1000);
      const several = await fetchBytes(hs.url, download(id), alice.accessToken, { range: "bytes=0-1,5-6" });
      assert.equal(several.status, 200);
    });

    it("uploads and downloads 50 MB streamed, without the server's memory growing with it", async () => {
      const size = 50 * 1000 * 1000;
      // A first, smaller transfer grows the heap and the allocator's pools to their working size, so
      // that what is measured is what moving 50 MB more costs, not the process warming up.
      const warmUp = await streamUpload(hs.url, alice.accessToken!, 8 * 1000 * 1000, 7);
      assert.equal(warmUp.status, 200);
      assert.equal((await streamDownload(hs.url, download(mediaIdOf(warmUp.body["content_uri"] as string)), bob.accessToken!)).status, 200);
      const rssBefore = process.memoryUsage().rss;
      let peak = rssBefore;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 20);
      try {
        const up = await streamUpload(hs.url, alice.accessToken!, size, 42);
        assert.equal(up.status, 200, JSON.stringify(up.body));
        const id = mediaIdOf(up.body["content_uri"] as string);
        const down = await streamDownload(hs.url, download(id), bob.accessToken!);
        assert.equal(down.status, 200);
        assert.equal(down.size, size);
        assert.equal(down.sha256, up.sha256, "the 50 MB come back unchanged");
        assert.equal(down.headers["content-length"], String(size));
      } finally {
        clearInterval(sampler);
      }
      peak = Math.max(peak, process.memoryUsage().rss);
      const growthMb = (peak - rssBefore) / 1e6;
      assert.ok(growthMb < 30, `RSS grew by ${growthMb.toFixed(1)} MB while moving 50 MB`);
    });

    it("stores one file per distinct content and deletes it with its last user", async () => {
      const bytes = randomBytes(5000);
      const countBefore = blobFiles(hs).length;
      const a = await uploaded(alice, bytes, { contentType: "application/pdf", filename: "a.pdf" });
      const b = await uploaded(bob, bytes, { contentType: "image/jpeg" });
      assert.notEqual(a, b);
      assert.equal(blobFiles(hs).length, countBefore + 1, "the same content twice is one file");
      assert.ok(blobFiles(hs).includes(sha256(bytes)));
      const asB = await fetchBytes(hs.url, download(b), alice.accessToken);
      assert.equal(asB.headers.get("content-type"), "image/jpeg", "each upload keeps its own metadata");

      assert.deepEqual((await admin.delete(`/_synapse/admin/v1/media/localhost/${a}`)).body, { deleted_media: [a], total: 1 });
      assert.ok(blobFiles(hs).includes(sha256(bytes)), "still named by the other upload");
      assert.ok((await fetchBytes(hs.url, download(b), alice.accessToken)).bytes.equals(bytes));
      assert.equal((await fetchBytes(hs.url, download(a), alice.accessToken)).status, 404);
      await admin.delete(`/_synapse/admin/v1/media/localhost/${b}`);
      assert.ok(!blobFiles(hs).includes(sha256(bytes)), "gone with its last upload");
    });

    it("creates mxc URIs for asynchronous uploads and wakes the downloads waiting for them", async () => {
      const created = await alice.post(`${MEDIA_V1}/create`, {});
      assert.equal(created.status, 200, JSON.stringify(created.body));
      const uri = created.body["content_uri"] as string;
      const id = mediaIdOf(uri);
      const expires = created.body["unused_expires_at"] as number;
      assert.ok(Math.abs(expires - (Date.now() + DAY_MS)) < 60_000, "expires in 24 hours");

      const early = await fetchBytes(hs.url, `${download(id)}?timeout_ms=100`, bob.accessToken);
      assert.equal(early.status, 504);
      assert.equal(early.json?.["errcode"], "M_NOT_YET_UPLOADED");

      const waiting = fetchBytes(hs.url, `${download(id)}?timeout_ms=10000`, bob.accessToken);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const started = Date.now();
      const put = await alice.request("PUT", `${MEDIA_V3}/upload/localhost/${id}?filename=late.txt`, undefined, { rawBody: Buffer.from("at last"), headers: { "content-type": "text/plain" } });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.deepEqual(put.body, {});
      const woken = await waiting;
      assert.equal(woken.status, 200);
      assert.equal(woken.bytes.toString(), "at last");
      assert.equal(woken.headers.get("content-disposition"), 'inline; filename="late.txt"');
      assert.ok(Date.now() - started < 3000, "woken by the upload, not by a poll");

      const again = await alice.request("PUT", `${MEDIA_V3}/upload/localhost/${id}`, undefined, { rawBody: Buffer.from("overwrite") });
      assert.equal(again.status, 409);
      assert.equal(again.body["errcode"], "M_CANNOT_OVERWRITE_MEDIA");

      const other = mediaIdOf((await alice.post(`${MEDIA_V1}/create`, {})).body["content_uri"] as string);
      const byBob = await bob.request("PUT", `${MEDIA_V3}/upload/localhost/${other}`, undefined, { rawBody: Buffer.from("mine") });
      assert.equal(byBob.status, 403);
      assert.equal(byBob.body["errcode"], "M_FORBIDDEN");
      for (const path of [`${MEDIA_V3}/upload/localhost/neverCreated`, `${MEDIA_V3}/upload/elsewhere.example/${other}`]) {
        const unknown = await alice.request("PUT", path, undefined, { rawBody: Buffer.from("x") });
        assert.equal(unknown.status, 404, path);
        assert.equal(unknown.body["errcode"], "M_NOT_FOUND");
      }
      assert.equal((await alice.request("PUT", `${MEDIA_V3}/upload/localhost/${other}`, undefined, { rawBody: Buffer.from("mine") })).status, 200);
    });

    it("deletes media by ID, by user and by age for admins only, with their files and thumbnails", async () => {
      const deletedHook: string[] = [];
      hs.server.context.services.media.onMediaDeleted(async (media) => {
        deletedHook.push(...media.map((m) => m.mediaId));
      });
      const carol = (await registeredClients(hs.url, "carol"))[0];
      const id = await uploaded(carol, randomBytes(300));
      const forbidden = await alice.delete(`/_synapse/admin/v1/media/localhost/${id}`);
      assert.equal(forbidden.status, 403);
      assert.equal(forbidden.body["errcode"], "M_FORBIDDEN");
      assert.equal((await admin.delete(`/_synapse/admin/v1/media/elsewhere.example/${id}`)).status, 400);
      assert.equal((await admin.delete("/_synapse/admin/v1/media/localhost/nosuchmedia")).status, 404);
      assert.deepEqual((await admin.delete(`/_synapse/admin/v1/media/localhost/${id}`)).body, { deleted_media: [id], total: 1 });
      assert.deepEqual(deletedHook, [id], "the deletion hooks ran (thumbnails)");

      const files = [randomBytes(100), randomBytes(200), randomBytes(300)];
      const ids = [];
      for (const bytes of files) ids.push(await uploaded(carol, bytes));
      assert.equal((await alice.delete(`/_synapse/admin/v1/users/${enc("@carol:localhost")}/media`)).status, 403);
      assert.equal((await admin.delete(`/_synapse/admin/v1/users/${enc("@nobody:localhost")}/media`)).status, 404);
      assert.equal((await admin.delete(`/_synapse/admin/v1/users/${enc("@carol:elsewhere.example")}/media`)).status, 400);
      const page = await admin.delete<{ deleted_media: string[]; total: number }>(`/_synapse/admin/v1/users/${enc("@carol:localhost")}/media?limit=2`);
      assert.equal(page.body.total, 2);
      const rest = await admin.delete<{ deleted_media: string[]; total: number }>(`/_synapse/admin/v1/users/${enc("@carol:localhost")}/media`);
      assert.deepEqual([...page.body.deleted_media, ...rest.body.deleted_media].sort(), [...ids].sort());
      for (const bytes of files) assert.ok(!blobFiles(hs).includes(sha256(bytes)));

      // By age: last access before before_ts; avatars kept unless keep_profiles=false.
      const store = hs.server.context.stores.media;
      const old = await uploaded(carol, randomBytes(400));
      const avatar = await uploaded(carol, randomBytes(500));
      const fresh = await uploaded(carol, randomBytes(600));
      const longAgo = Date.now() - 10 * DAY_MS;
      await store.setLastAccess("localhost", old, longAgo);
      await store.setLastAccess("localhost", avatar, longAgo);
      assert.equal((await carol.put(`/_matrix/client/v3/profile/${enc("@carol:localhost")}/avatar_url`, { avatar_url: `mxc://localhost/${avatar}` })).status, 200);
      const cutoff = Date.now() - DAY_MS;
      assert.equal((await alice.post(`/_synapse/admin/v1/media/delete?before_ts=${cutoff}`)).status, 403);
      const missing = await admin.post("/_synapse/admin/v1/media/delete");
      assert.equal(missing.body["errcode"], "M_MISSING_PARAM");
      const seconds = await admin.post("/_synapse/admin/v1/media/delete?before_ts=1700000000");
      assert.equal(seconds.body["errcode"], "M_INVALID_PARAM");
      const byAge = await admin.post(`/_synapse/admin/v1/media/delete?before_ts=${cutoff}`);
      assert.deepEqual(byAge.body, { deleted_media: [old], total: 1 });
      const withAvatars = await admin.post(`/_synapse/admin/v1/media/localhost/delete?before_ts=${cutoff}&keep_profiles=false`);
      assert.deepEqual(withAvatars.body, { deleted_media: [avatar], total: 1 });
      assert.equal((await fetchBytes(hs.url, download(fresh), carol.accessToken)).status, 200);
    });

    it("refuses uploads of suspended accounts", async () => {
      const [dave] = await registeredClients(hs.url, "dave");
      assert.equal((await admin.put(`/_matrix/client/v1/admin/suspend/${enc("@dave:localhost")}`, { suspended: true })).status, 200);
      for (const res of [await uploadBytes(dave, Buffer.from("x")), await dave.post(`${MEDIA_V1}/create`, {})]) {
        assert.equal(res.status, 403);
        assert.equal(res.body["errcode"], "M_USER_SUSPENDED");
      }
      const existing = await uploaded(alice, Buffer.from("still readable"));
      assert.equal((await fetchBytes(hs.url, download(existing), dave.accessToken)).status, 200, "downloads stay allowed");
    });

    it("runs the retention job on local media not accessed for local_retention_days", async () => {
      const store = hs.server.context.stores.media;
      const staleBytes = randomBytes(700);
      const stale = await uploaded(alice, staleBytes);
      const read = await uploaded(alice, randomBytes(800));
      await store.setLastAccess("localhost", stale, Date.now() - 2 * DAY_MS);
      await store.setLastAccess("localhost", read, Date.now() - 2 * DAY_MS);
      // A download counts as an access: this one is kept.
      assert.equal((await fetchBytes(hs.url, download(read), alice.accessToken)).status, 200);
      const result = await hs.server.context.services.mediaMaintenance.runOnce();
      assert.equal(result.deleted, 1);
      assert.equal((await fetchBytes(hs.url, download(stale), alice.accessToken)).status, 404);
      assert.ok(!blobFiles(hs).includes(sha256(staleBytes)), "its file is gone");
      assert.equal((await fetchBytes(hs.url, download(read), alice.accessToken)).status, 200);
    });
  });

  describe(`content repository limits on ${database}`, { skip: database === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false }, () => {
    let hs: TestServer;
    let alice: ApiClient;
    let admin: ApiClient;

    before(async () => {
      hs = await startTestServer({
        database,
        config: {
          media: {
            max_upload_size: MIB,
            user_quota: { max_bytes: 1.5 * MIB, admin_contact: "mailto:admin@example.org" },
            max_pending_uploads_per_user: 2,
            pending_upload_expiry_ms: 600,
            legacy_unauthenticated_downloads: true,
          },
        },
      });
      [alice] = await registeredClients(hs.url, "alice");
      admin = await registerAdmin(hs, "root");
    });
    after(async () => hs.destroy());

    it("refuses a declared length over the limit before reading the body", async () => {
      const answer = await sendHeadOfHugeBody({ url: hs.url, method: "POST", path: `${MEDIA_V3}/upload`, headers: { authorization: `Bearer ${alice.accessToken!}` } }, 10 * MIB, "abc");
      assert.equal(answer.status, 413);
      assert.equal(answer.body["errcode"], "M_TOO_LARGE");
      assert.deepEqual(blobFiles(hs), []);
    });

    it("cuts off a streamed body at the limit and keeps nothing of it", async () => {
      const answer = await streamChunkedUntilAnswered({ url: hs.url, method: "POST", path: `${MEDIA_V3}/upload`, headers: { authorization: `Bearer ${alice.accessToken!}` } }, 64 * 1024, 20 * MIB);
      assert.equal(answer.status, 413);
      assert.equal(answer.body["errcode"], "M_TOO_LARGE");
      assert.ok(answer.bytesSent < 20 * MIB, "answered before the whole body was sent");
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.deepEqual(blobFiles(hs), []);
      assert.deepEqual(tempFiles(hs), [], "the partial file is removed");
    });

    it("keeps nothing of an upload whose client hangs up halfway", async () => {
      const files = blobFiles(hs);
      await abortHalfway({ url: hs.url, method: "POST", path: `${MEDIA_V3}/upload`, headers: { authorization: `Bearer ${alice.accessToken!}` } }, 500_000, "x".repeat(100_000));
      assert.deepEqual(tempFiles(hs), []);
      assert.deepEqual(blobFiles(hs), files);
      assert.equal((await alice.get(`${CLIENT_MEDIA}/config`)).status, 200, "the server carries on");
    });

    it("enforces the per-user quota as Synapse does", async () => {
      const first = await uploaded(alice, randomBytes(MIB), { contentType: "image/png" });
      const over = await uploadBytes(alice, randomBytes(0.6 * MIB));
      assert.equal(over.status, 400);
      assert.equal(over.body["errcode"], "M_RESOURCE_LIMIT_EXCEEDED");
      assert.equal(over.body["admin_contact"], "mailto:admin@example.org");
      // Without a Content-Length the body is received first, then refused and removed.
      const chunked = await chunkedUpload(hs.url, alice.accessToken!, randomBytes(0.7 * MIB));
      assert.equal(chunked.status, 400);
      assert.equal(chunked.body["errcode"], "M_RESOURCE_LIMIT_EXCEEDED");
      assert.equal(blobFiles(hs).length, 1);
      assert.equal((await uploadBytes(alice, randomBytes(0.4 * MIB))).status, 200, "what fits is still accepted");
      await admin.delete(`/_synapse/admin/v1/media/localhost/${first}`);
      assert.equal((await uploadBytes(alice, randomBytes(0.6 * MIB))).status, 200, "deleted media no longer counts");
    });

    it("limits pending uploads per user and expires them", async () => {
      const [bob] = await registeredClients(hs.url, "bob");
      const one = mediaIdOf((await bob.post(`${MEDIA_V1}/create`, {})).body["content_uri"] as string);
      assert.equal((await bob.post(`${MEDIA_V1}/create`, {})).status, 200);
      const third = await bob.post(`${MEDIA_V1}/create`, {});
      assert.equal(third.status, 429);
      assert.equal(third.body["errcode"], "M_LIMIT_EXCEEDED");
      assert.ok((third.body["retry_after_ms"] as number) > 0);
      await new Promise((resolve) => setTimeout(resolve, 700));
      const late = await bob.request("PUT", `${MEDIA_V3}/upload/localhost/${one}`, undefined, { rawBody: Buffer.from("too late") });
      assert.equal(late.status, 404);
      assert.equal(late.body["errcode"], "M_NOT_FOUND");
      assert.equal((await fetchBytes(hs.url, download(one), bob.accessToken)).status, 404);
      assert.equal((await bob.post(`${MEDIA_V1}/create`, {})).status, 200, "expired URIs no longer count");
      const swept = await hs.server.context.services.mediaMaintenance.runOnce();
      assert.equal(swept.expiredPending, 2);
    });

    it("serves media at the deprecated endpoints when legacy downloads are on", async () => {
      const id = await uploaded(alice, Buffer.from("public"), { contentType: "text/plain", filename: "p.txt" });
      const got = await fetchBytes(hs.url, `${MEDIA_V3}/download/localhost/${id}`, null);
      assert.equal(got.status, 200);
      assert.equal(got.bytes.toString(), "public");
      assert.equal(got.headers.get("cache-control"), "public, max-age=86400, s-maxage=86400");
      assert.equal(got.headers.get("content-security-policy"), CSP);
      const renamed = await fetchBytes(hs.url, `/_matrix/media/r0/download/localhost/${id}/q.txt`, null);
      assert.equal(renamed.headers.get("content-disposition"), 'inline; filename="q.txt"');
      const remote = await fetchBytes(hs.url, `${MEDIA_V3}/download/elsewhere.example/${id}?allow_remote=false`, null);
      assert.equal(remote.status, 404);
    });
  });
}
