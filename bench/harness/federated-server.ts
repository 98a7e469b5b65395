/**
 * Benchmark servers that federate with each other on loopback, as the federation tests do: each is
 * named `127.0.0.1:<port>` (peers connect straight to that port), serves federation over TLS with a
 * self-signed certificate, and may connect to loopback (`ip_range_allowlist`) without checking
 * certificates (`verify_tls: false`).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generate } from "selfsigned";
import { freePort, startBenchServer, type BenchServer } from "./server-process.js";

let certificate: Promise<{ cert: string; key: string }> | undefined;

function loopbackCertificate(): Promise<{ cert: string; key: string }> {
  certificate ??= (async () => {
    const pems = await generate([{ name: "commonName", value: "127.0.0.1" }], {
      keySize: 2048,
      algorithm: "sha256",
      extensions: [{ name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }] }],
    });
    const dir = mkdtempSync(join(tmpdir(), "tessera-bench-tls-"));
    writeFileSync(join(dir, "cert.pem"), pems.cert);
    writeFileSync(join(dir, "key.pem"), pems.private);
    return { cert: join(dir, "cert.pem"), key: join(dir, "key.pem") };
  })();
  return certificate;
}

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
