/**
 * One self-signed TLS certificate for 127.0.0.1 per process, written to a temporary directory: the
 * federation listeners of test and benchmark servers on loopback serve it (their peers do not check
 * certificates: `federation.verify_tls: false`).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generate } from "selfsigned";

let certificate: Promise<{ cert: string; key: string }> | undefined;

/** Paths of the certificate and key files. */
export function loopbackCertificate(): Promise<{ cert: string; key: string }> {
  certificate ??= (async () => {
    const pems = await generate([{ name: "commonName", value: "127.0.0.1" }], {
      keySize: 2048,
      algorithm: "sha256",
      extensions: [{ name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }] }],
    });
    const dir = mkdtempSync(join(tmpdir(), "tessera-tls-"));
    writeFileSync(join(dir, "cert.pem"), pems.cert);
    writeFileSync(join(dir, "key.pem"), pems.private);
    return { cert: join(dir, "cert.pem"), key: join(dir, "key.pem") };
  })();
  return certificate;
}
