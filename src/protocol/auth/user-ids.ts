/**
 * The little identifier parsing the auth rules need: a server name out of an ID, and how strictly a
 * string must look like a user ID in each place the rules ask.
 */

/** The part after the first `:` (Synapse's `get_domain_from_id`); "" if there is none. */
export function serverNameOf(id: string): string {
  const at = id.indexOf(":");
  return at < 0 ? "" : id.slice(at + 1);
}

/**
 * The lenient user ID test used for the keys of a power-levels `users` map: `@`, then anything with a
 * `:` in it. The spec asks for "valid user IDs"; rooms in the wild carry historical IDs (non-ASCII or
 * empty localparts) that Synapse accepts here through `UserID.from_string`, and rejecting a power-levels
 * event that every other server accepted would split the room, so we do the same.
 */
export function isUserIdLike(value: string): boolean {
  return value.startsWith("@") && value.indexOf(":") > 0;
}

const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const IPV6 = /^\[[0-9A-Fa-f:.]{2,45}\]$/;
const DNS_NAME = /^[A-Za-z0-9.-]{1,255}$/;

/** appendices "Server Name": hostname (IPv4, [IPv6] or DNS name) with an optional 1–5 digit port. */
export function isValidServerName(name: string): boolean {
  let host = name;
  const portAt = name.lastIndexOf(":");
  if (portAt >= 0 && !name.endsWith("]")) {
    if (!/^\d{1,5}$/.test(name.slice(portAt + 1))) return false;
    host = name.slice(0, portAt);
  }
  return IPV4.test(host) || IPV6.test(host) || DNS_NAME.test(host);
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
