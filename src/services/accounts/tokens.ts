/** Opaque random tokens and the hash under which they are stored. */
import { createHash, randomBytes } from "node:crypto";

export function newToken(prefix: string): string {
  return `${prefix}_${randomBytes(24).toString("base64url")}`;
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("base64url");
}

/** Device IDs as Synapse makes them: ten upper-case letters. */
export function newDeviceId(): string {
  const bytes = randomBytes(10);
  let id = "";
  for (const byte of bytes) id += String.fromCharCode(65 + (byte % 26));
  return id;
}
