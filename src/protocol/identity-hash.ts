/**
 * The `sha256` lookup hash of the identity service API ("Client behaviour: sha256"): SHA-256 of
 * `<address> <medium> <pepper>`, in URL-safe unpadded base64.
 */
import { createHash } from "node:crypto";
import { encodeBase64Url } from "./base64.js";

export function threepidLookupHash(address: string, medium: string, pepper: string): string {
  return encodeBase64Url(createHash("sha256").update(`${address} ${medium} ${pepper}`, "utf8").digest());
}
