/**
 * How strictly a string must look like a user ID in each place the auth rules ask. Server names out
 * of IDs come from identifiers.ts (`domainOfId`).
 */
import { domainOfId, isValidServerName } from "../identifiers.js";

export { domainOfId as serverNameOf };

/**
 * The lenient user ID test used for the keys of a power-levels `users` map: `@`, then anything with a
 * `:` in it. The spec asks for "valid user IDs"; rooms in the wild carry historical IDs (non-ASCII or
 * empty localparts) that Synapse accepts here through `UserID.from_string`, and rejecting a power-levels
 * event that every other server accepted would split the room, so we do the same.
 */
export function isUserIdLike(value: string): boolean {
  return value.startsWith("@") && value.indexOf(":") > 0;
}

/**
 * A user ID as valid as a `sender` must be (rooms/v12.md rule 1.4 for `additional_creators`): `@`,
 * a localpart, `:`, a valid server name, at most 255 bytes. Like Synapse's `UserID.is_valid` we do not
 * police the localpart's characters, because historical user IDs exist that break the modern grammar.
 */
export function isValidUserId(value: string): boolean {
  if (!value.startsWith("@") || Buffer.byteLength(value, "utf8") > 255) return false;
  const colon = value.indexOf(":");
  return colon > 0 && isValidServerName(value.slice(colon + 1));
}
