/**
 * Server access control lists (client-server API `m.room.server_acl`, server-server API "Server Access
 * Control Lists"): which servers may take part in a room. Pure: parses the event content once into
 * compiled globs and tells whether a server name is allowed. Ports are never considered and the globs
 * match case-insensitively, as the event's schema says.
 */
import { parseServerName } from "./identifiers-server-name.js";

export interface ServerAcl {
  readonly allowIpLiterals: boolean;
  readonly allow: readonly RegExp[];
  readonly deny: readonly RegExp[];
}

/**
 * A glob of the appendix "Glob-style matching" (`*` any run of characters, `?` exactly one) as an
 * anchored case-insensitive regular expression; every other character stands for itself.
 */
export function globToRegExp(glob: string): RegExp {
  let source = "";
  for (const char of glob) {
    if (char === "*") source += ".*";
    else if (char === "?") source += ".";
    else source += char.replace(/[\\^$.|+()[\]{}]/g, "\\$&");
  }
  // `u` so that `?` is one code point, not one UTF-16 unit; `s` so that `*` and `?` match any character.
  return new RegExp(`^${source}$`, "ius");
}

/** The globs of a list; entries that are not strings are skipped (as Synapse, rather than voiding the list). */
function globList(value: unknown): RegExp[] {
  if (!Array.isArray(value)) return [];
  return value.filter((entry): entry is string => typeof entry === "string").map(globToRegExp);
}

/**
 * The ACL of an `m.room.server_acl` content. A missing or malformed `allow` is an empty list (which
 * denies everyone), a missing `deny` an empty list, and `allow_ip_literals` defaults to true unless it
 * is a boolean — all as the event's schema says.
 */
export function parseServerAcl(content: unknown): ServerAcl {
  const fields = typeof content === "object" && content !== null && !Array.isArray(content) ? (content as Record<string, unknown>) : {};
  const allowIpLiterals = fields["allow_ip_literals"];
  return {
    allowIpLiterals: typeof allowIpLiterals === "boolean" ? allowIpLiterals : true,
    allow: globList(fields["allow"]),
    deny: globList(fields["deny"]),
  };
}

/**
 * Whether `serverName` (with or without a port) is allowed by `acl`, in the order the spec gives: IP
 * literals when they are not allowed, then deny, then allow, otherwise denied. A name that is not a
 * server name at all is denied. An IPv6 literal is matched with its brackets, as it is written in
 * server names (Synapse does the same).
 */
export function serverAllowedByAcl(acl: ServerAcl, serverName: string): boolean {
  const name = parseServerName(serverName);
  if (!name) return false;
  if (!acl.allowIpLiterals && name.kind !== "dns") return false;
  if (acl.deny.some((glob) => glob.test(name.host))) return false;
  return acl.allow.some((glob) => glob.test(name.host));
}
