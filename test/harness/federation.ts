/**
 * Homeservers that federate with each other on loopback: each has a client listener (plain HTTP, as
 * the other tests) and a federation listener with TLS (a self-signed certificate for 127.0.0.1), and
 * is named `127.0.0.1:<federation port>` so that server discovery connects straight to it (an IP
 * literal with a port). Certificate checks are off: the certificates are self-signed.
 */
import type { DatabaseKind } from "./databases.js";
import { startTestServer, type TestServer } from "./server.js";
import { loopbackCertificate } from "./loopback-tls.js";
import { registeredClients, type ApiClient } from "./client.js";
import { freePort } from "./ports.js";

/** Outbox retries short enough for tests that stop a server and expect catch-up within seconds. */
export const FAST_RETRIES = { federation: { retry_initial_ms: 200, retry_max_ms: 1_000 } };

export interface FederatedServer extends TestServer {
  readonly federationPort: number;
  /** The loopback address of the federation listener, also the host of the server name (127.0.0.1 when absent). */
  readonly federationHost?: string;
}

/**
 * `host` (default 127.0.0.1) is the loopback address the federation listener binds and the server name
 * uses: another 127.x.y.z gives a server a host of its own, which server ACLs (blind to ports) need.
 */
export async function startFederatedServer(options: { database?: DatabaseKind; config?: Record<string, unknown>; host?: string } = {}): Promise<FederatedServer> {
  const tls = await loopbackCertificate();
  const federationHost = options.host ?? "127.0.0.1";
  const federationPort = await freePort();
  const server = await startTestServer({
    ...(options.database ? { database: options.database } : {}),
    serverName: `${federationHost}:${federationPort}`,
    config: {
      listeners: [
        { port: 0, bind_address: "127.0.0.1", resources: ["client"] },
        { port: federationPort, bind_address: federationHost, resources: ["federation"], tls },
      ],
      ...options.config,
      // Loopback is a blocked range by default; these servers are all on it.
      federation: { verify_tls: false, ip_range_allowlist: ["127.0.0.0/8", "::1/128"], ...(options.config?.["federation"] as Record<string, unknown> | undefined) },
    },
  });
  return Object.assign(server, { federationPort, federationHost });
}

/** Two federating servers with a user on each: alice on one, bob on two (most federation tests start so). */
export interface TwoServers {
  one: FederatedServer;
  two: FederatedServer;
  alice: ApiClient;
  bob: ApiClient;
  aliceId: string;
  bobId: string;
}

export async function startTwoServers(config: Record<string, unknown> = {}): Promise<TwoServers> {
  const [one, two] = await Promise.all([startFederatedServer({ config }), startFederatedServer({ config })]);
  const [[alice], [bob]] = await Promise.all([registeredClients(one.url, "alice"), registeredClients(two.url, "bob")]);
  return { one, two, alice: alice as ApiClient, bob: bob as ApiClient, aliceId: `@alice:${one.serverName}`, bobId: `@bob:${two.serverName}` };
}
