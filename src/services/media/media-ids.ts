/** Media IDs and mxc:// URIs (client-server API "Matrix Content (mxc://) URIs"). */
import { randomBytes } from "node:crypto";
import { isValidServerName } from "../../protocol/identifiers.js";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const MEDIA_ID_LENGTH = 24;
/** The largest multiple of 62 below 256: bytes above it are skipped so every character is equally likely. */
const UNBIASED_LIMIT = 248;

/** A new random media ID: 24 alphanumerics (about 143 bits), unguessable as the spec's security section needs. */
export function newMediaId(): string {
  let id = "";
  while (id.length < MEDIA_ID_LENGTH) {
    for (const byte of randomBytes(MEDIA_ID_LENGTH * 2)) {
      if (byte < UNBIASED_LIMIT && id.length < MEDIA_ID_LENGTH) id += ALPHABET[byte % ALPHABET.length];
    }
  }
  return id;
}

/**
 * The spec's whitelist for the media ID part of an mxc:// URI (alphanumerics, `_`, `-`): anything else
 * is refused before it reaches storage, whatever encoding tricks it carries.
 */
export function isValidMediaId(mediaId: string): boolean {
  return mediaId.length > 0 && mediaId.length <= 255 && /^[A-Za-z0-9_-]+$/.test(mediaId);
}

/** Whether both parts of an mxc:// URI pass the spec's sanitising rules. */
export function isValidMxcParts(serverName: string, mediaId: string): boolean {
  return isValidServerName(serverName) && isValidMediaId(mediaId);
}

export function mxcUri(serverName: string, mediaId: string): string {
  return `mxc://${serverName}/${mediaId}`;
}
