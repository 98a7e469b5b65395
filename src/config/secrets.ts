/**
 * Secrets kept apart from the validated config: the server's signing key (generated on first start
 * into `<data_dir>/signing.key`, in the key file format Synapse uses, never a shipped default).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatSigningKeyFile, generateSigningKey, parseSigningKeyFile, type SigningKey } from "../protocol/signing-key.js";
import { ConfigError } from "./load-config.js";
import type { Config } from "./schema.js";

export interface Secrets {
  /** The key new events and requests are signed with (the first line of the key file). */
  readonly signingKey: SigningKey;
}

export function signingKeyPath(config: Config): string {
  return join(config.data_dir, "signing.key");
}

/** Reads the signing key, generating and saving one (mode 0600) the first time. */
export function loadSecrets(config: Config): Secrets {
  const path = signingKeyPath(config);
  if (!existsSync(path)) {
    mkdirSync(config.data_dir, { recursive: true });
    writeFileSync(path, formatSigningKeyFile([generateSigningKey()]), { mode: 0o600, flag: "wx" });
  }
  let keys: SigningKey[];
  try {
    keys = parseSigningKeyFile(readFileSync(path, "utf8"));
  } catch (error) {
    throw new ConfigError(`cannot read the signing key ${path}: ${(error as Error).message}`);
  }
  const first = keys[0];
  if (!first) throw new ConfigError(`the signing key file ${path} holds no key`);
  try {
    chmodSync(path, 0o600);
  } catch {
    // a read-only mount: the operator chose the permissions
  }
  return { signingKey: first };
}
