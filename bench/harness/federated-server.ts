/**
 * Benchmark servers that federate with each other on loopback, as the federation tests do: each is
 * named `127.0.0.1:<port>` (peers connect straight to that port), serves federation over TLS with a
 * self-signed certificate, and may connect to loopback (`ip_range_allowlist`) without checking
 * certificates (`verify_tls: false`).
 */
import { freePort, startBenchServer, type BenchServer } from "./server-process.js";
import { loopbackCertificate } from "../../test/harness/loopback-tls.js";


export interface FederatedBenchServer extends BenchServer {
  serverName: string;
}

export async function startFederatedBenchServer(database: "sqlite" | "postgres", extraYaml = "", options: { partialStateJoins?: boolean } = {}): Promise<FederatedBenchServer> {
  const tls = await loopbackCertificate();
  const port = await freePort();
  const serverName = `127.0.0.1:${port}`;
  const partial = options.partialStateJoins === false ? ", partial_state_joins: false" : "";
  const federationYaml = `federation: { verify_tls: false, ip_range_allowlist: ["127.0.0.0/8"], retry_initial_ms: 200, retry_max_ms: 2000${partial} }\n`;
  const server = await startBenchServer(database, federationYaml + extraYaml, { serverName, port, ...tls });
  return Object.assign(server, { serverName });
}
