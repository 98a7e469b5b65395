// Server discovery against a real DNS server (dns2) and a real HTTPS server with certificates from a
// test CA (selfsigned), both on loopback: nothing of ours is replaced, only the resolver's servers,
// the well-known port and the trusted CA are pointed at them.
import { after, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Resolver } from "node:dns/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer as createHttpsServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { createSecureContext, type SecureContext, type TLSSocket } from "node:tls";
import dns2 from "dns2";
import { generate } from "selfsigned";
import {
  ServerDiscovery,
  ServerResolutionError,
  type ServerDiscoveryOptions,
  type ServerTarget,
} from "../../src/services/federation/server-discovery.js";
import { isServiceRefused, orderSrvRecords, type SrvRecord } from "../../src/services/federation/server-discovery-srv.js";
import { freshnessFromHeaders } from "../../src/services/federation/well-known-cache-period.js";
import { createWellKnownFetcher, type WellKnownFetcherOptions } from "../../src/services/federation/well-known-fetch.js";

const { Packet } = dns2;
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

// ---- A DNS server on loopback with a zone the tests fill -------------------------------------------

class TestDns {
  private readonly zone = new Map<string, { a: string[]; aaaa: string[]; srv: { priority: number; weight: number; port: number; target: string }[]; ttl: number; servfail: boolean }>();
  /** Every question asked, as "TYPE name". */
  readonly queries: string[] = [];
  private server = dns2.createServer({ udp: true, handle: (request, send) => void send(this.answer(request)) });
  port = 0;

  async start(): Promise<void> {
    const addresses = await this.server.listen({ udp: { port: 0, address: "127.0.0.1" } });
    this.port = (addresses.udp as AddressInfo).port;
  }

  stop(): Promise<void> {
    return this.server.close();
  }

  private entry(name: string) {
    const key = name.toLowerCase();
    let entry = this.zone.get(key);
    if (entry === undefined) {
      entry = { a: [], aaaa: [], srv: [], ttl: 300, servfail: false };
      this.zone.set(key, entry);
    }
    return entry;
  }

  host(name: string, addresses: string[], ttl = 300): void {
    const entry = this.entry(name);
    entry.a = addresses.filter((address) => !address.includes(":"));
    entry.aaaa = addresses.filter((address) => address.includes(":"));
    entry.ttl = ttl;
  }

  srv(name: string, records: { priority: number; weight: number; port: number; target: string }[]): void {
    this.entry(name).srv = records;
  }

  servfail(name: string, on = true): void {
    this.entry(name).servfail = on;
  }

  count(type: "A" | "AAAA" | "SRV", name: string): number {
    return this.queries.filter((query) => query === `${type} ${name.toLowerCase()}`).length;
  }

  private answer(request: dns2.Packet): dns2.Packet {
    const response = Packet.createResponseFromRequest(request);
    const question = request.questions[0];
    if (question === undefined) return response;
    const name = question.name.toLowerCase();
    const typeName = question.type === Packet.TYPE.A ? "A" : question.type === Packet.TYPE.AAAA ? "AAAA" : question.type === Packet.TYPE.SRV ? "SRV" : String(question.type);
    this.queries.push(`${typeName} ${name}`);
    const entry = this.zone.get(name);
    if (entry === undefined) {
      response.header.rcode = 3; // NXDOMAIN
      return response;
    }
    if (entry.servfail) {
      response.header.rcode = 2;
      return response;
    }
    const add = (record: Partial<dns2.Packet.Resource>): void => {
      response.answers.push(Packet.createResourceFromQuestion(question, { class: Packet.CLASS.IN, ttl: entry.ttl, ...record }));
    };
    if (typeName === "A") for (const address of entry.a) add({ type: Packet.TYPE.A, address });
    if (typeName === "AAAA") for (const address of entry.aaaa) add({ type: Packet.TYPE.AAAA, address });
    if (typeName === "SRV") for (const record of entry.srv) add({ type: Packet.TYPE.SRV, ...record });
    return response; // no answers for a name that exists: NODATA
  }
}

// ---- An HTTPS server on loopback serving well-knowns per Host ---------------------------------------

type Route = (req: IncomingMessage, res: ServerResponse) => void;

class TestWellKnownServer {
  private readonly routes = new Map<string, Route>();
  private readonly contexts = new Map<string, Promise<SecureContext>>();
  /** Requests received, as "host/path" (host without port). */
  readonly hits: string[] = [];
  /** Server names for which the server presents a certificate of another name. */
  readonly wrongCertificate = new Set<string>();
  private server: Server | undefined;
  port = 0;

  constructor(private readonly ca: { cert: string; private: string }) {}

  async start(): Promise<void> {
    const fallback = await this.leaf("127.0.0.1");
    this.server = createHttpsServer(
      {
        ...fallback,
        SNICallback: (servername, callback) => {
          const name = this.wrongCertificate.has(servername) ? "someone-else.test" : servername;
          this.context(name).then((context) => callback(null, context), (error: Error) => callback(error));
        },
      },
      (req, res) => this.handle(req, res),
    );
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  /** Serves `route` at `https://<host>/<path>` (path defaults to the well-known). */
  route(host: string, route: Route, path = "/.well-known/matrix/server"): void {
    this.routes.set(`${host.toLowerCase()}${path}`, route);
  }

  /** A JSON (or any) body with the given status and headers. */
  serve(host: string, body: string, status = 200, headers: Record<string, string> = {}, path?: string): void {
    this.route(host, (_req, res) => res.writeHead(status, { "content-type": "application/json", ...headers }).end(body), path);
  }

  redirect(host: string, path: string, location: string, status = 302): void {
    this.route(host, (_req, res) => res.writeHead(status, { location }).end(), path);
  }

  count(host: string, path = "/.well-known/matrix/server"): number {
    return this.hits.filter((hit) => hit === `${host.toLowerCase()}${path}`).length;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const host = (req.headers.host ?? "").replace(/:[0-9]+$/, "").toLowerCase();
    const key = `${host}${req.url ?? ""}`;
    this.hits.push(key);
    const route = this.routes.get(key);
    if (route === undefined) res.writeHead(404).end('{"errcode":"M_NOT_FOUND"}');
    else route(req, res);
  }

  private context(name: string): Promise<SecureContext> {
    let context = this.contexts.get(name);
    if (context === undefined) {
      context = this.leaf(name).then((pems) => createSecureContext(pems));
      this.contexts.set(name, context);
    }
    return context;
  }

  private async leaf(name: string): Promise<{ key: string; cert: string }> {
    const altName = /^[0-9.]+$/.test(name) ? { type: 7 as const, ip: name } : { type: 2 as const, value: name };
    const pems = await generate([{ name: "commonName", value: name }], {
      keyType: "ec",
      algorithm: "sha256",
      ca: { key: this.ca.private, cert: this.ca.cert },
      extensions: [{ name: "basicConstraints", cA: false }, { name: "subjectAltName", altNames: [altName] }],
    });
    return { key: pems.private, cert: pems.cert };
  }
}

// ---- Fixtures ---------------------------------------------------------------------------------------

const dns = new TestDns();
let ca: { cert: string; private: string };
let web: TestWellKnownServer;
let now = Date.parse("2026-03-01T12:00:00Z");
const clock = { now: () => now };
// 0.5 puts the ±10% jitter at exactly 0, so periods can be checked to the millisecond.
const random = (): number => 0.5;

before(async () => {
  ca = await generate([{ name: "commonName", value: "Tessera test CA" }], {
    keyType: "ec",
    algorithm: "sha256",
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  web = new TestWellKnownServer(ca);
  await Promise.all([dns.start(), web.start()]);
});

after(async () => {
  await Promise.all([dns.stop(), web.stop()]);
});

beforeEach(() => {
  now = Date.parse("2026-03-01T12:00:00Z");
});

function makeResolver(): Resolver {
  const resolver = new Resolver({ timeout: 2000, tries: 1 });
  resolver.setServers([`127.0.0.1:${dns.port}`]);
  return resolver;
}

/** A discovery with fresh caches, its DNS and well-known on the loopback servers. */
function discovery(fetcher: Partial<WellKnownFetcherOptions> = {}, options: ServerDiscoveryOptions = {}): ServerDiscovery {
  const resolver = makeResolver();
  const fetchWellKnown = createWellKnownFetcher({ resolver, ca: ca.cert, port: web.port, ...fetcher });
  return new ServerDiscovery({ resolver, fetchWellKnown, clock, random }, options);
}

/** A host name that answers well-knowns: its A record is the loopback HTTPS server. */
function webHost(name: string): string {
  dns.host(name, ["127.0.0.1"]);
  return name;
}

/** The same port, Host header and certificate name for each of `addresses`. */
function targets(port: number, hostHeader: string, tlsServername: string, addresses: string[]): ServerTarget[] {
  return addresses.map((address) => ({ host: address, port, hostHeader, tlsServername }));
}

// ---- Step 1: IP literals ----------------------------------------------------------------------------

describe("server discovery: IP literals (step 1)", () => {
  const cases: [string, string, number][] = [
    ["127.0.0.42", "127.0.0.42", 8448],
    ["127.0.0.42:8449", "127.0.0.42", 8449],
    ["[::1]", "::1", 8448],
    ["[2001:db8::42]:8449", "2001:db8::42", 8449],
  ];
  for (const [serverName, address, port] of cases) {
    it(`connects to ${serverName} directly, Host = the server name`, async () => {
      const queries = dns.queries.length;
      const hits = web.hits.length;
      const resolved = await discovery().resolveServer(serverName);
      assert.deepEqual(resolved, {
        serverName,
        delegatedServerName: null,
        step: "ip-literal",
        targets: [{ host: address, port, hostHeader: serverName, tlsServername: address }],
      });
      assert.equal(dns.queries.length, queries, "no DNS lookup");
      assert.equal(web.hits.length, hits, "no well-known");
    });
  }
});

// ---- Step 2: host name with a port ------------------------------------------------------------------

describe("server discovery: host name with an explicit port (step 2)", () => {
  it("uses AAAA and A records with the given port, Host = name:port, certificate for the name", async () => {
    dns.host("explicit.test", ["127.0.0.5", "::5", "127.0.0.6"]);
    const resolved = await discovery().resolveServer("explicit.test:8449");
    assert.equal(resolved.step, "explicit-port");
    assert.equal(resolved.delegatedServerName, null);
    // IPv6 and IPv4 alternate, IPv6 first.
    assert.deepEqual(resolved.targets, targets(8449, "explicit.test:8449", "explicit.test", ["::5", "127.0.0.5", "127.0.0.6"]));
    assert.equal(web.count("explicit.test"), 0, "no well-known for a name with a port");
    assert.equal(dns.count("SRV", "_matrix-fed._tcp.explicit.test"), 0, "no SRV for a name with a port");
  });

  it("keeps the Host header and certificate name as written, whatever the case", async () => {
    dns.host("mixed.test", ["127.0.0.7"]);
    const resolved = await discovery().resolveServer("MiXeD.test:443");
    assert.deepEqual(resolved.targets, [{ host: "127.0.0.7", port: 443, hostHeader: "MiXeD.test:443", tlsServername: "MiXeD.test" }]);
  });

  it("fails when the name has no address", async () => {
    await assert.rejects(discovery().resolveServer("nowhere.test:8448"), (error: unknown) => {
      assert.ok(error instanceof ServerResolutionError);
      assert.equal(error.serverName, "nowhere.test:8448");
      return true;
    });
  });
});

// ---- Step 3: well-known delegation ------------------------------------------------------------------

describe("server discovery: /.well-known/matrix/server (step 3)", () => {
  it("3.1: delegation to an IPv4 literal with a port", async () => {
    web.serve(webHost("wk-ip.test"), '{"m.server": "127.0.0.9:8500"}');
    const resolved = await discovery().resolveServer("wk-ip.test");
    assert.deepEqual(resolved, {
      serverName: "wk-ip.test",
      delegatedServerName: "127.0.0.9:8500",
      step: "ip-literal",
      targets: [{ host: "127.0.0.9", port: 8500, hostHeader: "127.0.0.9:8500", tlsServername: "127.0.0.9" }],
    });
    assert.equal(dns.count("SRV", "_matrix-fed._tcp.wk-ip.test"), 0);
  });

  it("3.1: delegation to an IPv6 literal without a port uses 8448", async () => {
    web.serve(webHost("wk-ip6.test"), '{"m.server": "[2001:db8::9]"}');
    const resolved = await discovery().resolveServer("wk-ip6.test");
    assert.equal(resolved.step, "ip-literal");
    assert.deepEqual(resolved.targets, [{ host: "2001:db8::9", port: 8448, hostHeader: "[2001:db8::9]", tlsServername: "2001:db8::9" }]);
  });

  it("3.2: delegation to hostname:port resolves AAAA/A, Host = delegated:port, certificate for the delegated name", async () => {
    web.serve(webHost("wk-port.test"), '{"m.server": "delegated-port.test:8443"}');
    dns.host("delegated-port.test", ["127.0.0.10"]);
    const resolved = await discovery().resolveServer("wk-port.test");
    assert.equal(resolved.step, "explicit-port");
    assert.equal(resolved.delegatedServerName, "delegated-port.test:8443");
    assert.deepEqual(resolved.targets, [{ host: "127.0.0.10", port: 8443, hostHeader: "delegated-port.test:8443", tlsServername: "delegated-port.test" }]);
    assert.equal(dns.count("SRV", "_matrix-fed._tcp.delegated-port.test"), 0);
    assert.equal(web.count("delegated-port.test"), 0, "no well-known of the delegated name");
  });

  it("3.3: delegation to a hostname with a _matrix-fed._tcp SRV record, Host = delegated name", async () => {
    web.serve(webHost("wk-srv.test"), '{"m.server": "delegated-srv.test"}');
    dns.srv("_matrix-fed._tcp.delegated-srv.test", [{ priority: 10, weight: 0, port: 7000, target: "srv-target-1.test" }]);
    dns.host("srv-target-1.test", ["127.0.0.11"]);
    const resolved = await discovery().resolveServer("wk-srv.test");
    assert.equal(resolved.step, "srv");
    assert.equal(resolved.delegatedServerName, "delegated-srv.test");
    assert.deepEqual(resolved.targets, [{ host: "127.0.0.11", port: 7000, hostHeader: "delegated-srv.test", tlsServername: "delegated-srv.test" }]);
    assert.equal(dns.count("SRV", "_matrix-fed._tcp.wk-srv.test"), 0, "the original name's SRV is not used after a delegation");
  });

  it("3.4: delegation to a hostname with only a legacy _matrix._tcp SRV record", async () => {
    web.serve(webHost("wk-legacy.test"), '{"m.server": "delegated-legacy.test"}');
    dns.srv("_matrix._tcp.delegated-legacy.test", [{ priority: 0, weight: 0, port: 7001, target: "srv-target-2.test" }]);
    dns.host("srv-target-2.test", ["127.0.0.12"]);
    const resolved = await discovery().resolveServer("wk-legacy.test");
    assert.equal(resolved.step, "srv-legacy");
    assert.deepEqual(resolved.targets, [{ host: "127.0.0.12", port: 7001, hostHeader: "delegated-legacy.test", tlsServername: "delegated-legacy.test" }]);
    assert.equal(dns.count("SRV", "_matrix-fed._tcp.delegated-legacy.test"), 1, "the current service name is asked first");
  });

  it("3.5: delegation to a hostname without SRV records uses its addresses on 8448", async () => {
    web.serve(webHost("wk-plain.test"), '{"m.server": "delegated-plain.test"}');
    dns.host("delegated-plain.test", ["127.0.0.13", "::13"]);
    const resolved = await discovery().resolveServer("wk-plain.test");
    assert.equal(resolved.step, "default-port");
    assert.deepEqual(resolved.targets, targets(8448, "delegated-plain.test", "delegated-plain.test", ["::13", "127.0.0.13"]));
    assert.equal(dns.count("SRV", "_matrix-fed._tcp.delegated-plain.test"), 1);
    assert.equal(dns.count("SRV", "_matrix._tcp.delegated-plain.test"), 1);
  });

  it("a delegation to the name itself is resolved without a second well-known", async () => {
    web.serve(webHost("wk-self.test"), '{"m.server": "wk-self.test"}');
    const resolved = await discovery().resolveServer("wk-self.test");
    assert.equal(resolved.step, "default-port");
    assert.deepEqual(resolved.targets, [{ host: "127.0.0.1", port: 8448, hostHeader: "wk-self.test", tlsServername: "wk-self.test" }]);
    assert.equal(web.count("wk-self.test"), 1);
  });

  it("a delegated name without addresses fails rather than falling back", async () => {
    web.serve(webHost("wk-dead.test"), '{"m.server": "dead-delegate.test"}');
    await assert.rejects(discovery().resolveServer("wk-dead.test"), ServerResolutionError);
  });

  it("the request goes to https://<hostname>/.well-known/matrix/server with a certificate for <hostname>", async () => {
    let seen: IncomingMessage | undefined;
    webHost("wk-request.test");
    web.route("wk-request.test", (req, res) => {
      seen = req;
      res.end('{"m.server": "127.0.0.1:1"}');
    });
    await discovery().resolveServer("wk-request.test");
    assert.ok(seen);
    assert.equal(seen.method, "GET");
    assert.equal(seen.headers.host, `wk-request.test:${web.port}`);
    assert.equal((seen.socket as TLSSocket).servername, "wk-request.test");
  });
});

// ---- Invalid well-knowns fall through to steps 4 to 6 -----------------------------------------------

describe("server discovery: invalid or missing well-known (steps 4 to 6)", () => {
  const invalidBodies: [string, string][] = [
    ["bad JSON", "{not json"],
    ["an HTML page", "<html><body>Welcome</body></html>"],
    ["no m.server", '{"m.homeserver": {"base_url": "https://x.test"}}'],
    ["a non-string m.server", '{"m.server": 8448}'],
    ["an m.server that is not a server name", '{"m.server": "https://matrix.example.test"}'],
    ["a JSON array", '["delegated.test"]'],
  ];
  invalidBodies.forEach(([what, body], k) => {
    it(`${what}: as if there were no well-known`, async () => {
      const name = webHost(`wk-invalid-${k}.test`);
      web.serve(name, body);
      const resolved = await discovery().resolveServer(name);
      assert.equal(resolved.delegatedServerName, null);
      assert.equal(resolved.step, "default-port");
      assert.deepEqual(resolved.targets, [{ host: "127.0.0.1", port: 8448, hostHeader: name, tlsServername: name }]);
    });
  });

  for (const status of [404, 403, 500, 503]) {
    it(`status ${status}: as if there were no well-known`, async () => {
      const name = webHost(`wk-status-${status}.test`);
      web.serve(name, '{"m.server": "should-not-be-used.test"}', status);
      const resolved = await discovery().resolveServer(name);
      assert.equal(resolved.delegatedServerName, null);
      assert.equal(resolved.step, "default-port");
    });
  }

  it("a well-known host without an address: SRV and address of the name", async () => {
    dns.srv("_matrix-fed._tcp.no-web.test", [{ priority: 1, weight: 1, port: 8500, target: "srv-target-3.test" }]);
    dns.host("srv-target-3.test", ["127.0.0.14"]);
    const resolved = await discovery().resolveServer("no-web.test");
    assert.equal(resolved.step, "srv");
    assert.deepEqual(resolved.targets, [{ host: "127.0.0.14", port: 8500, hostHeader: "no-web.test", tlsServername: "no-web.test" }]);
  });

  it("4: _matrix-fed._tcp is preferred over _matrix._tcp; Host and certificate stay the server name", async () => {
    const name = webHost("both-srv.test");
    dns.srv("_matrix-fed._tcp.both-srv.test", [{ priority: 5, weight: 0, port: 8600, target: "fed-target.test" }]);
    dns.srv("_matrix._tcp.both-srv.test", [{ priority: 5, weight: 0, port: 8700, target: "legacy-target.test" }]);
    dns.host("fed-target.test", ["127.0.0.15"]);
    dns.host("legacy-target.test", ["127.0.0.16"]);
    const resolved = await discovery().resolveServer(name);
    assert.equal(resolved.step, "srv");
    assert.deepEqual(resolved.targets, [{ host: "127.0.0.15", port: 8600, hostHeader: "both-srv.test", tlsServername: "both-srv.test" }]);
    assert.equal(dns.count("SRV", "_matrix._tcp.both-srv.test"), 0, "the deprecated name is not asked when the current one answers");
  });

  it("5: the deprecated _matrix._tcp is used when only it exists", async () => {
    const name = webHost("legacy-only.test");
    dns.srv("_matrix._tcp.legacy-only.test", [{ priority: 5, weight: 0, port: 8701, target: "legacy-target-2.test" }]);
    dns.host("legacy-target-2.test", ["::17"]);
    const resolved = await discovery().resolveServer(name);
    assert.equal(resolved.step, "srv-legacy");
    assert.deepEqual(resolved.targets, [{ host: "::17", port: 8701, hostHeader: "legacy-only.test", tlsServername: "legacy-only.test" }]);
  });

  it("6: AAAA and A records on port 8448 without well-known or SRV", async () => {
    dns.host("plain.test", ["::18", "::19", "127.0.0.18"]);
    const resolved = await discovery().resolveServer("plain.test");
    assert.equal(resolved.step, "default-port");
    assert.deepEqual(resolved.targets, targets(8448, "plain.test", "plain.test", ["::18", "127.0.0.18", "::19"]));
  });

  it("SRV targets come in priority order, each with all its addresses", async () => {
    dns.srv("_matrix-fed._tcp.prio.test", [
      { priority: 20, weight: 100, port: 9020, target: "prio-20.test" },
      { priority: 10, weight: 0, port: 9010, target: "prio-10.test" },
      { priority: 15, weight: 1, port: 9015, target: "prio-15.test" },
    ]);
    dns.host("prio-10.test", ["127.0.0.20", "::20"]);
    dns.host("prio-15.test", ["127.0.0.21"]);
    dns.host("prio-20.test", ["127.0.0.22"]);
    const resolved = await discovery().resolveServer("prio.test");
    assert.deepEqual(
      resolved.targets.map((target) => `${target.host}:${target.port}`),
      ["::20:9010", "127.0.0.20:9010", "127.0.0.21:9015", "127.0.0.22:9020"],
    );
    assert.ok(resolved.targets.every((target) => target.hostHeader === "prio.test" && target.tlsServername === "prio.test"));
  });

  it("SRV targets without an address are skipped", async () => {
    dns.srv("_matrix-fed._tcp.half-srv.test", [
      { priority: 1, weight: 0, port: 9001, target: "missing-target.test" },
      { priority: 2, weight: 0, port: 9002, target: "present-target.test" },
    ]);
    dns.host("present-target.test", ["127.0.0.23"]);
    const resolved = await discovery().resolveServer("half-srv.test");
    assert.deepEqual(resolved.targets.map((target) => target.port), [9002]);
  });

  it('an SRV record with target "." means no service: no fallback', async () => {
    dns.srv("_matrix-fed._tcp.no-service.test", [{ priority: 0, weight: 0, port: 0, target: "." }]);
    dns.host("no-service.test", ["127.0.0.24"]);
    await assert.rejects(discovery().resolveServer("no-service.test"), /not available/);
  });

  it("a failing DNS server is an error, not a reason to skip SRV", async () => {
    dns.servfail("_matrix-fed._tcp.dns-broken.test");
    dns.host("dns-broken.test", ["127.0.0.25"]);
    await assert.rejects(discovery().resolveServer("dns-broken.test"), (error: unknown) => error instanceof ServerResolutionError && /SERVFAIL/.test(error.message));
  });

  it("refuses what is not a server name", async () => {
    for (const name of ["", "https://example.test", "a.test:0", "[::1"]) {
      await assert.rejects(discovery().resolveServer(name), ServerResolutionError, name);
    }
  });
});

// ---- Well-known transport: redirects, TLS, limits ---------------------------------------------------

describe("server discovery: fetching the well-known", () => {
  it("follows a relative redirect", async () => {
    const name = webHost("redirect-rel.test");
    web.redirect(name, "/.well-known/matrix/server", "/moved/server", 301);
    web.serve(name, '{"m.server": "127.0.0.30:8448"}', 200, {}, "/moved/server");
    const resolved = await discovery().resolveServer(name);
    assert.equal(resolved.delegatedServerName, "127.0.0.30:8448");
  });

  it("follows a chain of redirects to other hosts, checking each one's certificate", async () => {
    const name = webHost("redirect-a.test");
    webHost("redirect-b.test");
    webHost("redirect-c.test");
    web.redirect(name, "/.well-known/matrix/server", `https://redirect-b.test:${web.port}/step2`, 302);
    web.redirect("redirect-b.test", "/step2", `https://redirect-c.test:${web.port}/final`, 307);
    web.serve("redirect-c.test", '{"m.server": "127.0.0.31"}', 200, {}, "/final");
    const resolved = await discovery().resolveServer(name);
    assert.equal(resolved.delegatedServerName, "127.0.0.31");
    assert.equal(web.count("redirect-c.test", "/final"), 1);
  });

  it("stops at a redirect loop and carries on without well-known", async () => {
    const name = webHost("redirect-loop.test");
    web.redirect(name, "/.well-known/matrix/server", "/b");
    web.redirect(name, "/b", "/.well-known/matrix/server");
    const resolved = await discovery().resolveServer(name);
    assert.equal(resolved.delegatedServerName, null);
    assert.equal(web.count(name), 1, "the loop is seen before the second visit");
  });

  it("follows at most 5 redirects", async () => {
    const name = webHost("redirect-many.test");
    web.redirect(name, "/.well-known/matrix/server", "/r1");
    for (let k = 1; k <= 5; k++) web.redirect(name, `/r${k}`, `/r${k + 1}`);
    web.serve(name, '{"m.server": "127.0.0.32"}', 200, {}, "/r6");
    assert.equal((await discovery().resolveServer(name)).delegatedServerName, null);
    assert.equal(web.count(name, "/r6"), 0);
    web.serve(name, '{"m.server": "127.0.0.32"}', 200, {}, "/r5");
    assert.equal((await discovery().resolveServer(name)).delegatedServerName, "127.0.0.32", "5 redirects are fine");
  });

  it("does not follow a redirect to plain http", async () => {
    const name = webHost("redirect-http.test");
    web.redirect(name, "/.well-known/matrix/server", `http://redirect-http.test:${web.port}/x`);
    assert.equal((await discovery().resolveServer(name)).delegatedServerName, null);
    assert.equal(web.count(name, "/x"), 0);
  });

  it("checks certificates by default: an untrusted CA means no well-known", async () => {
    const name = webHost("untrusted.test");
    web.serve(name, '{"m.server": "127.0.0.33"}');
    const resolved = await discovery({ ca: undefined }).resolveServer(name);
    assert.equal(resolved.delegatedServerName, null);
    assert.equal(resolved.step, "default-port");
  });

  it("checks that the certificate is for the host name", async () => {
    const name = webHost("wrong-cert.test");
    web.wrongCertificate.add(name);
    web.serve(name, '{"m.server": "127.0.0.34"}');
    assert.equal((await discovery().resolveServer(name)).delegatedServerName, null);
  });

  it("rejectUnauthorized: false (tests only) accepts any certificate", async () => {
    const name = webHost("unchecked.test");
    web.serve(name, '{"m.server": "127.0.0.35"}');
    const resolved = await discovery({ ca: undefined, rejectUnauthorized: false }).resolveServer(name);
    assert.equal(resolved.delegatedServerName, "127.0.0.35");
  });

  it("ignores an answer over the size limit", async () => {
    const name = webHost("too-large.test");
    web.serve(name, JSON.stringify({ "m.server": "127.0.0.36", padding: "x".repeat(60 * 1024) }));
    assert.equal((await discovery().resolveServer(name)).delegatedServerName, null);
    const small = webHost("large-enough.test");
    web.serve(small, JSON.stringify({ "m.server": "127.0.0.36", padding: "x".repeat(40 * 1024) }));
    assert.equal((await discovery().resolveServer(small)).delegatedServerName, "127.0.0.36");
  });

  it("gives up on a server that does not answer in time", async () => {
    const name = webHost("slow.test");
    web.route(name, () => undefined); // never answers; closed when the test server stops
    const started = Date.now();
    const resolved = await discovery({ timeoutMs: 300 }).resolveServer(name);
    assert.equal(resolved.delegatedServerName, null);
    assert.ok(Date.now() - started < 5000);
  });

  it("the fetcher says why it gave up", async () => {
    // Discovery only sees "no well-known"; the fetcher's reasons show each guard is the one that acted.
    const fetch = createWellKnownFetcher({ resolver: makeResolver(), ca: ca.cert, port: web.port, timeoutMs: 300 });
    const path = "/.well-known/matrix/server";
    web.redirect(webHost("why-http.test"), path, `http://why-http.test:${web.port}/x`);
    await assert.rejects(fetch("why-http.test"), /redirect away from https/);
    web.redirect(webHost("why-loop.test"), path, `https://why-loop.test:${web.port}${path}`, 308);
    await assert.rejects(fetch("why-loop.test"), /redirect loop/);
    web.redirect(webHost("why-many.test"), path, "/r1");
    for (let k = 1; k <= 5; k++) web.redirect("why-many.test", `/r${k}`, `/r${k + 1}`);
    await assert.rejects(fetch("why-many.test"), /more than 5 redirects/);
    web.route(webHost("why-no-location.test"), (_req, res) => res.writeHead(302).end());
    await assert.rejects(fetch("why-no-location.test"), /without a Location/);
    web.serve(webHost("why-large.test"), "x".repeat(50 * 1024 + 1));
    await assert.rejects(fetch("why-large.test"), /larger than 51200 bytes/);
    web.route(webHost("why-chunked.test"), (_req, res) => {
      res.writeHead(200); // no Content-Length: the limit is counted as the body streams in
      for (let k = 0; k < 60; k++) res.write("x".repeat(1024));
      res.end();
    });
    await assert.rejects(fetch("why-chunked.test"), /larger than 51200 bytes/);
    web.route(webHost("why-slow.test"), () => undefined);
    await assert.rejects(fetch("why-slow.test"), (error: Error) => error.name === "TimeoutError" || error.name === "AbortError");
    web.wrongCertificate.add(webHost("why-cert.test"));
    await assert.rejects(fetch("why-cert.test"), (error: NodeJS.ErrnoException) => error.code === "ERR_TLS_CERT_ALTNAME_INVALID");
    await assert.rejects(fetch("why-no-address.test"), (error: NodeJS.ErrnoException) => error.code === "ENOTFOUND");
    // A non-200 answer is an answer: the caller judges it.
    assert.equal((await fetch(webHost("why-404.test"))).status, 404);
    web.serve(webHost("why-exact.test"), "x".repeat(50 * 1024));
    assert.equal((await fetch("why-exact.test")).body.length, 50 * 1024, "exactly the limit is fine");
  });

  it("makes one request for concurrent resolutions of the same name", async () => {
    const name = webHost("concurrent.test");
    web.serve(name, '{"m.server": "127.0.0.37"}');
    const d = discovery();
    const all = await Promise.all([1, 2, 3, 4, 5].map(() => d.resolveServer(name)));
    assert.ok(all.every((resolved) => resolved.delegatedServerName === "127.0.0.37"));
    assert.equal(web.count(name), 1);
  });
});

// ---- Caching ----------------------------------------------------------------------------------------

describe("server discovery: caching", () => {
  async function fetchesAfter(d: ServerDiscovery, name: string, advanceMs: number): Promise<number> {
    now += advanceMs;
    await d.resolveServer(name);
    return web.count(name);
  }

  it("keeps a well-known for its Cache-Control max-age, then fetches it again", async () => {
    const name = webHost("cc-max-age.test");
    web.serve(name, '{"m.server": "127.0.0.40"}', 200, { "cache-control": "public, max-age=600" });
    const d = discovery();
    assert.equal((await d.resolveServer(name)).delegatedServerName, "127.0.0.40");
    assert.equal(await fetchesAfter(d, name, 599 * SECOND), 1);
    web.serve(name, '{"m.server": "127.0.0.41"}', 200, { "cache-control": "max-age=600" });
    assert.equal(await fetchesAfter(d, name, 2 * SECOND), 2);
    assert.equal((await d.resolveServer(name)).delegatedServerName, "127.0.0.41");
  });

  it("respects Expires against the server's Date", async () => {
    const name = webHost("cc-expires.test");
    const date = new Date(Date.now() - 10 * HOUR); // the server's clock is not ours
    web.serve(name, '{"m.server": "127.0.0.42"}', 200, { date: date.toUTCString(), expires: new Date(date.getTime() + 2 * HOUR).toUTCString() });
    const d = discovery();
    await d.resolveServer(name);
    assert.equal(await fetchesAfter(d, name, 2 * HOUR - SECOND), 1);
    assert.equal(await fetchesAfter(d, name, 2 * SECOND), 2);
  });

  it("uses 24 hours without cache headers", async () => {
    const name = webHost("cc-default.test");
    web.serve(name, '{"m.server": "127.0.0.43"}');
    const d = discovery();
    await d.resolveServer(name);
    assert.equal(await fetchesAfter(d, name, 24 * HOUR - SECOND), 1);
    assert.equal(await fetchesAfter(d, name, 2 * SECOND), 2);
  });

  it("caps the period at 48 hours", async () => {
    const name = webHost("cc-cap.test");
    web.serve(name, '{"m.server": "127.0.0.44"}', 200, { "cache-control": "max-age=31536000" });
    const d = discovery();
    await d.resolveServer(name);
    assert.equal(await fetchesAfter(d, name, 48 * HOUR - SECOND), 1);
    assert.equal(await fetchesAfter(d, name, 2 * SECOND), 2);
  });

  it("keeps even a no-store answer for 5 minutes", async () => {
    const name = webHost("cc-no-store.test");
    web.serve(name, '{"m.server": "127.0.0.45"}', 200, { "cache-control": "no-store" });
    const d = discovery();
    await d.resolveServer(name);
    assert.equal(await fetchesAfter(d, name, 5 * MINUTE - SECOND), 1);
    assert.equal(await fetchesAfter(d, name, 2 * SECOND), 2);
  });

  it("caches an error (404) for an hour", async () => {
    const name = webHost("cc-error.test");
    const d = discovery();
    assert.equal((await d.resolveServer(name)).delegatedServerName, null);
    assert.equal(await fetchesAfter(d, name, HOUR - SECOND), 1);
    web.serve(name, '{"m.server": "127.0.0.46"}');
    assert.equal(await fetchesAfter(d, name, 2 * SECOND), 2);
    assert.equal((await d.resolveServer(name)).delegatedServerName, "127.0.0.46");
  });

  it("caches invalid JSON like an error", async () => {
    const name = webHost("cc-invalid.test");
    web.serve(name, "{", 200, { "cache-control": "max-age=60000" });
    const d = discovery();
    await d.resolveServer(name);
    assert.equal(await fetchesAfter(d, name, HOUR - SECOND), 1);
    assert.equal(await fetchesAfter(d, name, 2 * SECOND), 2);
  });

  it("keeps the last delegation through an outage, asking again with backoff", async () => {
    const name = webHost("cc-outage.test");
    web.serve(name, '{"m.server": "127.0.0.47"}', 200, { "cache-control": "max-age=600" });
    const d = discovery();
    await d.resolveServer(name);
    web.serve(name, "down", 503);
    now += 601 * SECOND;
    assert.equal((await d.resolveServer(name)).delegatedServerName, "127.0.0.47", "still delegated");
    assert.equal(web.count(name), 2);
    assert.equal(await fetchesAfter(d, name, 2 * MINUTE - SECOND), 2, "first retry after 2 minutes");
    assert.equal(await fetchesAfter(d, name, 2 * SECOND), 3);
    assert.equal(await fetchesAfter(d, name, 4 * MINUTE - SECOND), 3, "then after 4");
    assert.equal(await fetchesAfter(d, name, 2 * SECOND), 4);
    // A definite answer ends the bridge at once.
    web.serve(name, "gone", 404);
    now += 8 * MINUTE + SECOND;
    assert.equal((await d.resolveServer(name)).delegatedServerName, null);
  });

  it("caches SRV answers, and their absence, for 5 minutes", async () => {
    dns.srv("_matrix-fed._tcp.srv-cache.test", [{ priority: 0, weight: 0, port: 9100, target: "srv-cache-target.test" }]);
    dns.host("srv-cache-target.test", ["127.0.0.48"], 3600);
    dns.host("srv-none.test", ["127.0.0.49"], 3600);
    const d = discovery();
    for (let k = 0; k < 3; k++) {
      await d.resolveServer("srv-cache.test");
      await d.resolveServer("srv-none.test");
    }
    assert.equal(dns.count("SRV", "_matrix-fed._tcp.srv-cache.test"), 1);
    assert.equal(dns.count("SRV", "_matrix-fed._tcp.srv-none.test"), 1);
    assert.equal(dns.count("SRV", "_matrix._tcp.srv-none.test"), 1);
    now += 5 * MINUTE + SECOND;
    await d.resolveServer("srv-cache.test");
    await d.resolveServer("srv-none.test");
    assert.equal(dns.count("SRV", "_matrix-fed._tcp.srv-cache.test"), 2);
    assert.equal(dns.count("SRV", "_matrix-fed._tcp.srv-none.test"), 2);
  });

  it("caches addresses for their TTL", async () => {
    dns.host("ttl.test", ["127.0.0.50"], 30);
    const d = discovery();
    await d.resolveServer("ttl.test:8448");
    await d.resolveServer("ttl.test:8448");
    assert.equal(dns.count("A", "ttl.test"), 1);
    now += 31 * SECOND;
    await d.resolveServer("ttl.test:8448");
    assert.equal(dns.count("A", "ttl.test"), 2);
  });

  it("uses the last SRV answer while the DNS server fails", async () => {
    dns.srv("_matrix-fed._tcp.stale.test", [{ priority: 0, weight: 0, port: 9200, target: "stale-target.test" }]);
    dns.host("stale-target.test", ["127.0.0.51"], 3600);
    const d = discovery();
    const first = await d.resolveServer("stale.test");
    dns.servfail("_matrix-fed._tcp.stale.test");
    now += 10 * MINUTE;
    assert.deepEqual((await d.resolveServer("stale.test")).targets, first.targets);
    dns.servfail("_matrix-fed._tcp.stale.test", false);
  });

  it("bounds each cache", async () => {
    const d = discovery({}, { maxCacheEntries: 2 });
    for (const k of [1, 2, 3]) dns.host(`lru-${k}.test`, [`127.0.1.${k}`]);
    for (const k of [1, 2, 3]) await d.resolveServer(`lru-${k}.test:1`);
    await d.resolveServer("lru-3.test:1");
    await d.resolveServer("lru-1.test:1");
    assert.equal(dns.count("A", "lru-3.test"), 1, "recent entry kept");
    assert.equal(dns.count("A", "lru-1.test"), 2, "oldest entry evicted");
  });
});

// ---- Pure helpers -----------------------------------------------------------------------------------

describe("SRV ordering (RFC 2782)", () => {
  const record = (name: string, priority: number, weight: number, port = 8448): SrvRecord => ({ name, priority, weight, port });

  it("orders by priority, lowest first", () => {
    const ordered = orderSrvRecords([record("c", 30, 5), record("a", 10, 5), record("b", 20, 5)], () => 0.3);
    assert.deepEqual(ordered.map((r) => r.name), ["a", "b", "c"]);
  });

  it("picks within a priority in proportion to weight, with the RFC's inclusive bound", () => {
    // Weights 1 and 9: the number is uniform over 0..10; "light" comes first for 0 and 1.
    const firsts = new Map<string, number>();
    for (let k = 0; k < 11; k++) {
      const ordered = orderSrvRecords([record("light", 1, 1), record("heavy", 1, 9)], () => (k + 0.5) / 11);
      firsts.set(ordered[0]?.name ?? "", (firsts.get(ordered[0]?.name ?? "") ?? 0) + 1);
      assert.equal(ordered.length, 2);
    }
    assert.deepEqual(Object.fromEntries(firsts), { light: 2, heavy: 9 });
  });

  it("puts weight 0 first only when the number drawn is 0", () => {
    let zeroFirst = 0;
    for (let k = 0; k < 6; k++) {
      const ordered = orderSrvRecords([record("w5", 1, 5), record("w0", 1, 0)], () => (k + 0.5) / 6);
      if (ordered[0]?.name === "w0") zeroFirst += 1;
    }
    assert.equal(zeroFirst, 1);
  });

  it("keeps every record once, and drops '.' targets and port 0", () => {
    const input = [record("a", 1, 3), record("b", 1, 3), record("c", 2, 0), record("", 1, 1), record("d", 1, 1, 0)];
    const ordered = orderSrvRecords(input, Math.random);
    assert.deepEqual(ordered.map((r) => r.name).sort(), ["a", "b", "c"]);
    assert.equal(ordered[2]?.name, "c");
  });

  it("recognises the 'no service' answer", () => {
    assert.equal(isServiceRefused([record("", 0, 0, 0)]), true);
    assert.equal(isServiceRefused([record(".", 0, 0, 0)]), true);
    assert.equal(isServiceRefused([record("a", 0, 0)]), false);
    assert.equal(isServiceRefused([record("", 0, 0, 0), record("a", 1, 0)]), false);
  });
});

describe("well-known cache headers", () => {
  const now0 = Date.parse("2026-03-01T12:00:00Z");
  const at = (offsetMs: number): string => new Date(now0 + offsetMs).toUTCString();
  const table: [string, Parameters<typeof freshnessFromHeaders>[0], number | undefined][] = [
    ["nothing", {}, undefined],
    ["max-age", { cacheControl: "max-age=600" }, 600 * SECOND],
    ["among other directives", { cacheControl: "public, max-age=600, must-revalidate" }, 600 * SECOND],
    ["quoted", { cacheControl: 'max-age="600"' }, 600 * SECOND],
    ["first of two", { cacheControl: "max-age=600, max-age=10" }, 600 * SECOND],
    ["case-insensitive name", { cacheControl: "Max-Age=600" }, 600 * SECOND],
    ["minus Age", { cacheControl: "max-age=600", age: "100" }, 500 * SECOND],
    ["Age beyond max-age", { cacheControl: "max-age=600", age: "900" }, 0],
    ["no-store", { cacheControl: "no-store, max-age=600" }, 0],
    ["no-cache", { cacheControl: "No-Cache" }, 0],
    ["max-age beats Expires", { cacheControl: "max-age=60", expires: at(HOUR) }, 60 * SECOND],
    ["invalid max-age falls to Expires", { cacheControl: "max-age=soon", expires: at(HOUR) }, HOUR],
    ["invalid max-age alone", { cacheControl: "max-age=-1" }, undefined],
    ["Expires against now", { expires: at(2 * HOUR) }, 2 * HOUR],
    ["Expires against Date", { expires: at(2 * HOUR), date: at(HOUR) }, HOUR],
    ["Expires in the past", { expires: at(-HOUR) }, 0],
    ['Expires "0"', { expires: "0" }, 0],
    ["Expires garbage", { expires: "tomorrow-ish" }, 0],
  ];
  for (const [what, headers, expected] of table) {
    it(what, () => assert.equal(freshnessFromHeaders(headers, now0), expected));
  }
});
