/**
 * The config file written on first start when none exists: a single-user-friendly homeserver on
 * 127.0.0.1:8008 named `localhost`, SQLite in ./data, registration by shared secret (the CLI) only.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export function defaultConfigText(): string {
  return `# Tessera homeserver configuration. Every key is described in docs/config.md.
server_name: localhost

listeners:
  - port: 8008
    bind_address: 127.0.0.1
    resources: [client, federation]

database: sqlite:./data/tessera.db
data_dir: ./data
log_level: info

registration:
  # With tokens_required: false, let anyone register from a client. Accounts can always be made
  # with \`tessera register-user\`.
  enabled: false
  # Registering from a client needs a registration token (\`tessera registration-token create\`).
  tokens_required: true
  # Used by \`tessera register-user\` and POST /_synapse/admin/v1/register.
  shared_secret: "${randomBytes(24).toString("base64url")}"

rate_limits:
  enabled: true
`;
}

/** Writes the default config to `path` unless a file is there; returns whether it wrote one. */
export function writeDefaultConfig(path: string): boolean {
  if (existsSync(path)) return false;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, defaultConfigText(), { mode: 0o600 });
  return true;
}
