/**
 * Text checks of the strict JSON parser: decoding network bytes as UTF-8 and finding where bytes or a
 * string fail to be Unicode text, for the error message.
 */
import { JsonParseError } from "./strict-json-error.js";

// ignoreBOM: true keeps a leading U+FEFF in the output so that the scanner refuses it; the default
// (false) would silently strip it. decode() without { stream } keeps no state between calls.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Offset of the first byte that does not begin a well-formed UTF-8 sequence (RFC 3629 table). */
export function findInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let low = 0x80;
    let high = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) low = 0xa0; // overlong
      if (b === 0xed) high = 0x9f; // UTF-16 surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) low = 0x90; // overlong
      if (b === 0xf4) high = 0x8f; // above U+10FFFF
    } else {
      return i; // a continuation byte, an overlong lead (C0, C1) or F5–FF
    }
    for (let k = 1; k <= need; k++) {
      const next = bytes[i + k];
      if (next === undefined || next < low || next > high) return i;
      low = 0x80;
      high = 0xbf;
    }
    i += need + 1;
  }
  return -1;
}

/** Decodes UTF-8 bytes, refusing malformed sequences and keeping a byte order mark (which JSON refuses). */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new JsonParseError("syntax", "invalid UTF-8", Math.max(0, findInvalidUtf8(bytes)), "byte");
  }
}

/** Index of the first unpaired surrogate in a string, or -1. */
export function firstLoneSurrogate(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
      else return i;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return i;
    }
  }
  return -1;
}
