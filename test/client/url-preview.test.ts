/**
 * URL previews (client-server API "GET /media/preview_url"): Open Graph data of a page served by this
 * test on loopback (allowed by config), its image stored as local media, oEmbed discovery, charsets,
 * the cache, and what is refused: loopback and private addresses with the default blocklist (before
 * any connection is made), redirects to them, oversized and slow pages, other schemes, and the whole
 * endpoint when previews are off (the default).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import sharp from "sharp";
import { registeredClients, type ApiClient } from "../harness/client.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { DATABASE_KINDS, isPostgresAvailable, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";
import { IpRangeFilter } from "../../src/services/ip-range-filter.js";
import { PreviewFetcher } from "../../src/services/media/url-preview-fetch.js";
import { DEFAULT_IP_RANGE_BLOCKLIST } from "../../src/config/ip-ranges.js";
import { MatrixError } from "../../src/errors.js";

const V1 = "/_matrix/client/v1/media";
type Og = Record<string, unknown>;

/** The web site the previews are made of, on a free loopback port. */
class TestSite {
  readonly hits = new Map<string, number>();
  private server!: http.Server;
  image!: Buffer;
  port = 0;

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.image = await sharp({ create: { width: 300, height: 200, channels: 3, background: "#2080c0" } }).png().toBuffer();
    this.server = http.createServer((request, response) => this.serve(request, response));
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private serve(request: http.IncomingMessage, response: http.ServerResponse): void {
    const path = (request.url ?? "/").split("?")[0]!;
    this.hits.set(path, (this.hits.get(path) ?? 0) + 1);
    const html = (body: string, type = "text/html; charset=utf-8"): void => {
      response.writeHead(200, { "content-type": type });
      response.end(body);
    };
    if (path.startsWith("/page")) {
      html(`<!doctype html><html><head><title>Fallback title</title>
        <meta property="og:title" content="A &amp; B: the page">
        <meta property="og:description" content="What the page is about">
        <meta property="og:type" content="article">
        <meta property="og:image" content="/image.png">
        <meta property="og:image:width" content="9999">
        <meta name="description" content="not used: og:description wins">
        </head><body><h1>Hello</h1><script>var x = "<meta property='og:title' content='fake'>";</script></body></html>`);
    } else if (path === "/image.png") {
      response.writeHead(200, { "content-type": "image/png" });
      response.end(this.image);
    } else if (path === "/oembed-page") {
      html(`<html><head><link rel="alternate" type="application/json+oembed" href="/oembed.json?format=json"></head><body>no tags</body></html>`);
    } else if (path === "/oembed.json") {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ version: "1.0", type: "video", title: "An embedded video", provider_name: "Loopback Tube", thumbnail_url: `${this.origin}/image.png`, html: "<iframe></iframe><p>Watch <b>this</b></p>" }));
    } else if (path === "/latin1") {
      response.writeHead(200, { "content-type": "text/html" });
      response.end(Buffer.concat([Buffer.from('<html><head><meta charset="windows-1252"><title>Caf'), Buffer.from([0xe9]), Buffer.from(" cr"), Buffer.from([0xe8]), Buffer.from("me</title></head></html>")]));
    } else if (path === "/redirect-ok") {
      response.writeHead(302, { location: "/page-after-redirect" });
      response.end();
    } else if (path === "/redirect-private") {
      response.writeHead(302, { location: "http://10.0.0.1/internal" });
      response.end();
    } else if (path === "/redirect-loopback") {
      response.writeHead(301, { location: `http://127.0.0.2:${this.port}/page-never` });
      response.end();
    } else if (path === "/redirect-loop") {
      response.writeHead(302, { location: "/redirect-loop" });
      response.end();
    } else if (path === "/big") {
      html(`<html><head><title>big</title></head><body>${"x".repeat(200_000)}</body></html>`);
    } else if (path === "/slow") {
      response.writeHead(200, { "content-type": "text/html" });
      response.write("<html><head>");
      // ... and never finishes.
    } else if (path === "/plain") {
      html("just text", "text/plain");
    } else {
      response.writeHead(404);
      response.end();
    }
  }
}

async function preview(client: ApiClient, url: string, extra = "", prefix = V1): Promise<{ status: number; body: Og }> {
  const response = await client.get<Og>(`${prefix}/preview_url?url=${encodeURIComponent(url)}${extra}`);
  return { status: response.status, body: response.body };
}

describe("URL preview address checks", () => {
  it("blocks private, loopback, link-local, CGNAT, multicast and reserved addresses, IPv4 and IPv6", () => {
    const filter = new IpRangeFilter(DEFAULT_IP_RANGE_BLOCKLIST, []);
    for (const address of ["127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "240.0.0.1", "255.255.255.255", "198.18.0.1", "::1", "::", "fe80::1", "fe80::1%eth0", "fd00::1", "ff02::1", "::ffff:10.0.0.1", "::ffff:127.0.0.1", "64:ff9b::a00:1", "64:ff9b::7f00:1", "2002:a00:1::1", "2001:db8::1"]) {
      assert.equal(filter.permits(address), false, address);
    }
    for (const address of ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]) assert.equal(filter.permits(address), true, address);
    const allowing = new IpRangeFilter(DEFAULT_IP_RANGE_BLOCKLIST, ["127.0.0.1/32"]);
    assert.equal(allowing.permits("127.0.0.1"), true);
    assert.equal(allowing.permits("127.0.0.2"), false);
  });

  it("connects only to the permitted addresses a name resolves to (no DNS rebinding past the check)", async () => {
    const site = new TestSite();
    await site.start();
    try {
      const filter = new IpRangeFilter(DEFAULT_IP_RANGE_BLOCKLIST, ["127.0.0.1"]);
      const limits = { maxBytes: 100_000, timeoutMs: 2000, maxRedirects: 3 };
      // A name answering with a blocked address and the allowed one: only the allowed one is used.
      const mixed = new PreviewFetcher(filter, limits, (_host, callback) => callback(null, [{ address: "10.0.0.1", family: 4 }, { address: "127.0.0.1", family: 4 }]));
      const page = await mixed.fetch(`http://site.test:${site.port}/page`, "text/html");
      assert.equal(page.mediaType, "text/html");
      // A name answering only with blocked addresses fails as a DNS failure, without connecting.
      const blocked = new PreviewFetcher(filter, limits, (_host, callback) => callback(null, [{ address: "10.0.0.1", family: 4 }, { address: "::1", family: 6 }]));
      await assert.rejects(blocked.fetch(`http://rebinding.test:${site.port}/page`, "text/html"), (error: unknown) => error instanceof MatrixError && error.status === 502);
    } finally {
      await site.stop();
    }
  });
});

for (const database of DATABASE_KINDS) {
  describe(`URL previews on ${database}`, { skip: database === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false }, () => {
    const site = new TestSite();
    let hs: TestServer;
    let alice: ApiClient;

    before(async () => {
      await site.start();
      hs = await startTestServer({
        database,
        config: { media: { url_preview: { enabled: true, ip_range_allowlist: ["127.0.0.1"], max_page_bytes: 100_000, timeout_ms: 1500 } } },
      });
      [alice] = await registeredClients(hs.url, "alice");
    });
    after(async () => {
      await hs.destroy();
      await site.stop();
    });

    it("returns the page's Open Graph data with its image stored as local media", async () => {
      const { status, body } = await preview(alice, `${site.origin}/page`);
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body["og:title"], "A & B: the page");
      assert.equal(body["og:description"], "What the page is about");
      assert.equal(body["og:type"], "article");
      assert.match(String(body["og:image"]), /^mxc:\/\/localhost\/[A-Za-z0-9_-]+$/);
      assert.equal(body["og:image:width"], 300);
      assert.equal(body["og:image:height"], 200);
      assert.equal(body["og:image:type"], "image/png");
      assert.equal(body["matrix:image:size"], site.image.length);
      const download = await fetch(`${hs.url}${V1}/download/${String(body["og:image"]).slice("mxc://".length)}`, { headers: { authorization: `Bearer ${alice.accessToken}` } });
      assert.equal(download.status, 200);
      assert.ok(Buffer.from(await download.arrayBuffer()).equals(site.image));
    });

    it("answers the deprecated endpoint the same, and only with an access token", async () => {
      const { status, body } = await preview(alice, `${site.origin}/page?legacy`, "", "/_matrix/media/v3");
      assert.equal(status, 200);
      assert.equal(body["og:title"], "A & B: the page");
      const anonymous = await alice.get(`/_matrix/media/v3/preview_url?url=${encodeURIComponent(`${site.origin}/page`)}`, { token: null });
      assert.equal(anonymous.status, 401);
    });

    it("caches previews: the page is fetched once, also for an older ts", async () => {
      const url = `${site.origin}/page-cached`;
      const first = await preview(alice, url);
      const [second, third] = await Promise.all([preview(alice, url), preview(alice, url, `&ts=${Date.now() - 86_400_000}`)]);
      assert.equal(first.status, 200);
      assert.deepEqual(second.body, first.body);
      assert.deepEqual(third.body, first.body);
      assert.equal(site.hits.get("/page-cached"), 1);
      const rows = await hs.server.context.db.kysely.selectFrom("url_previews").select("url").where("url", "=", url).execute();
      assert.equal(rows.length, 1);
    });

    it("uses the oEmbed document a page advertises", async () => {
      const { status, body } = await preview(alice, `${site.origin}/oembed-page`);
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body["og:title"], "An embedded video");
      assert.equal(body["og:site_name"], "Loopback Tube");
      assert.equal(body["og:description"], "Watch this");
      assert.match(String(body["og:image"]), /^mxc:\/\//);
    });

    it("decodes the page in the charset it declares, follows redirects, previews images and other types", async () => {
      assert.equal((await preview(alice, `${site.origin}/latin1`)).body["og:title"], "Café crème");
      const redirected = await preview(alice, `${site.origin}/redirect-ok`);
      assert.equal(redirected.body["og:title"], "A & B: the page");
      const image = await preview(alice, `${site.origin}/image.png`);
      assert.match(String(image.body["og:image"]), /^mxc:\/\//);
      assert.equal(image.body["og:image:width"], 300);
      assert.deepEqual((await preview(alice, `${site.origin}/plain`)).body, {});
    });

    it("refuses redirects to blocked addresses, redirect loops, large and slow pages, and other schemes", async () => {
      for (const path of ["/redirect-private", "/redirect-loopback"]) {
        const { status, body } = await preview(alice, `${site.origin}${path}`);
        assert.equal(status, 403, `${path}: ${JSON.stringify(body)}`);
      }
      assert.equal(site.hits.get("/page-never"), undefined, "nothing reached the site through 127.0.0.2");
      assert.equal((await preview(alice, `${site.origin}/redirect-loop`)).status, 502);
      const big = await preview(alice, `${site.origin}/big`);
      assert.equal(big.status, 502);
      assert.equal(big.body["errcode"], "M_TOO_LARGE");
      const started = performance.now();
      assert.equal((await preview(alice, `${site.origin}/slow`)).status, 502);
      assert.ok(performance.now() - started < 5000);
      for (const url of ["ftp://127.0.0.1/file", "file:///etc/passwd", "not a url", "javascript:alert(1)"]) {
        assert.equal((await preview(alice, url)).status, 400, url);
      }
      const missing = await alice.get(`${V1}/preview_url`);
      assert.equal(missing.status, 400);
      assert.equal(missing.body["errcode"], "M_MISSING_PARAM");
    });
  });
}

describe("URL preview expiry", () => {
  const site = new TestSite();
  let hs: TestServer;
  let alice: ApiClient;

  before(async () => {
    await site.start();
    hs = await startTestServer({ config: { media: { url_preview: { enabled: true, ip_range_allowlist: ["127.0.0.1"] } } } });
    [alice] = await registeredClients(hs.url, "alice");
  });
  after(async () => {
    await hs.destroy();
    await site.stop();
  });

  it("forgets previews older than a day, with their images", async () => {
    const upload = await fetch(`${hs.url}/_matrix/media/v3/upload`, { method: "POST", headers: { authorization: `Bearer ${alice.accessToken}`, "content-type": "image/png" }, body: site.image });
    const mediaId = ((await upload.json()) as { content_uri: string }).content_uri.split("/").pop()!;
    const old = Date.now() - 3 * 86_400_000;
    await hs.server.context.db.kysely
      .insertInto("url_previews")
      .values({ url_hash: "0".repeat(64), url: "https://old.example/", window_start: old, fetched_ts: old, og_json: "{}", image_media_id: mediaId })
      .execute();
    // The first preview this process stores sweeps the old ones.
    assert.equal((await preview(alice, `${site.origin}/page-sweep`)).status, 200);
    const left = await hs.server.context.db.kysely.selectFrom("url_previews").select("url").execute();
    assert.deepEqual(left.map((row) => row.url), [`${site.origin}/page-sweep`]);
    const download = await fetch(`${hs.url}${V1}/download/localhost/${mediaId}`, { headers: { authorization: `Bearer ${alice.accessToken}` } });
    assert.equal(download.status, 404);
  });
});

describe("URL previews with the default blocklist", () => {
  const site = new TestSite();
  let hs: TestServer;
  let alice: ApiClient;

  before(async () => {
    await site.start();
    hs = await startTestServer({ config: { media: { url_preview: { enabled: true } } } });
    [alice] = await registeredClients(hs.url, "alice");
  });
  after(async () => {
    await hs.destroy();
    await site.stop();
  });

  it("refuses loopback and private addresses without connecting", async () => {
    for (const url of [`${site.origin}/page`, "http://10.0.0.1/", "http://[::1]:1/", "http://[::ffff:10.0.0.1]/", "https://169.254.169.254/latest/meta-data/"]) {
      const { status, body } = await preview(alice, url);
      assert.equal(status, 403, `${url}: ${JSON.stringify(body)}`);
      assert.equal(body["errcode"], "M_FORBIDDEN");
    }
    // A name that resolves to loopback only: refused as a resolution failure (as Synapse answers).
    const named = await preview(alice, `http://localhost:${site.port}/page`);
    assert.equal(named.status, 502);
    assert.equal(site.hits.size, 0);
  });
});

describe("URL previews off (the default)", () => {
  let hs: TestServer;
  let alice: ApiClient;

  before(async () => {
    hs = await startTestServer();
    [alice] = await registeredClients(hs.url, "alice");
  });
  after(async () => hs.destroy());

  it("answers 404 M_UNRECOGNIZED, as Synapse does with previews disabled", async () => {
    const { status, body } = await preview(alice, "http://example.org/");
    assert.equal(status, 404);
    assert.equal(body["errcode"], "M_UNRECOGNIZED");
  });
});
