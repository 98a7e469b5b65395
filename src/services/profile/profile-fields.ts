/**
 * The rules for profile fields (client-server API "Profiles", PUT /profile/{userId}/{keyName}): key
 * names follow the Common Namespaced Identifier Grammar (at most 255 bytes, else M_KEY_TOO_LARGE),
 * `displayname` is a string, `avatar_url` an MXC URI, `m.tz` a string, custom keys any JSON value but
 * null; the whole profile stays under 64 KiB (M_PROFILE_TOO_LARGE).
 */
import { MatrixError } from "../../errors.js";

export const MAX_PROFILE_BYTES = 64 * 1024;
const MAX_KEY_BYTES = 255;
/** Synapse's per-field limits, in code points; the spec lets servers choose. */
const MAX_DISPLAYNAME_LENGTH = 256;
const MAX_AVATAR_URL_LENGTH = 1000;
const MXC_URI = /^mxc:\/\/[^/\s]+\/[^/\s]+$/;

export type Profile = Record<string, unknown>;

/** Throws unless `key` may name a profile field. */
export function checkProfileKey(key: string): void {
  if (key.length === 0) throw new MatrixError(400, "M_INVALID_PARAM", "Profile key is empty");
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw new MatrixError(400, "M_KEY_TOO_LARGE", `Profile keys are at most ${MAX_KEY_BYTES} bytes`);
  if (!/^[a-z][a-z0-9._-]*$/.test(key)) throw new MatrixError(400, "M_INVALID_PARAM", "Profile key does not follow the Common Namespaced Identifier Grammar");
}

/**
 * The value to store for `key`, or null to remove the field: an empty `displayname` or `avatar_url`
 * removes it and a display name is trimmed, as Synapse does.
 */
export function normaliseProfileValue(key: string, value: unknown): unknown {
  switch (key) {
    case "displayname": {
      if (typeof value !== "string") throw new MatrixError(400, "M_INVALID_PARAM", "displayname must be a string");
      if ([...value].length > MAX_DISPLAYNAME_LENGTH) throw new MatrixError(400, "M_INVALID_PARAM", `displayname is longer than ${MAX_DISPLAYNAME_LENGTH} characters`);
      const trimmed = value.trim();
      return trimmed === "" ? null : trimmed;
    }
    case "avatar_url":
      if (typeof value !== "string") throw new MatrixError(400, "M_INVALID_PARAM", "avatar_url must be a string");
      if (value === "") return null;
      if (value.length > MAX_AVATAR_URL_LENGTH) throw new MatrixError(400, "M_INVALID_PARAM", `avatar_url is longer than ${MAX_AVATAR_URL_LENGTH} characters`);
      if (!MXC_URI.test(value)) throw new MatrixError(400, "M_INVALID_PARAM", "avatar_url must be an mxc:// URI");
      return value;
    case "m.tz":
      // Servers MAY check the IANA name; clients must cope with unknown values, so only the type is checked.
      if (typeof value !== "string") throw new MatrixError(400, "M_INVALID_PARAM", "m.tz must be a string");
      return value;
    default:
      // Servers MAY refuse null, and SHOULD NOT treat it as removal: the profile store removes on null,
      // so null is refused.
      if (value === null) throw new MatrixError(400, "M_INVALID_PARAM", "null is not accepted as a profile value; use DELETE to remove a field");
      return value;
  }
}

/** Throws M_PROFILE_TOO_LARGE if the profile, as JSON, is not under 64 KiB. */
export function checkProfileSize(profile: Profile): void {
  if (Buffer.byteLength(JSON.stringify(profile)) >= MAX_PROFILE_BYTES) {
    throw new MatrixError(400, "M_PROFILE_TOO_LARGE", "The profile would exceed 64 KiB");
  }
}
