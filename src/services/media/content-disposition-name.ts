/**
 * The file name a remote server gave its media in Content-Disposition (RFC 6266): `filename*`
 * (RFC 5987, UTF-8) wins over `filename`, as the RFC asks. A name that could not be served back in
 * our own header (control characters, too long) is dropped rather than stored.
 */

/** The header's file name, or null. */
export function dispositionFileName(header: string | undefined): string | null {
  if (!header) return null;
  const extended = /;\s*filename\*\s*=\s*([^;]+)/i.exec(header);
  const plain = /;\s*filename\s*=\s*("(?:[^"\\]|\\.)*"|[^;]+)/i.exec(header);
  let name: string | null = null;
  if (extended) name = decodeExtended(extended[1]!.trim());
  if (name === null && plain) {
    const raw = plain[1]!.trim();
    name = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, "$1") : raw;
  }
  return name !== null && acceptable(name) ? name : null;
}

/** `utf-8'lang'percent-encoded`; other charsets are not worth supporting. */
function decodeExtended(value: string): string | null {
  const match = /^utf-8'[^']*'(.+)$/i.exec(value);
  if (!match) return null;
  try {
    return decodeURIComponent(match[1]!);
  } catch {
    return null;
  }
}

function acceptable(name: string): boolean {
  // eslint-disable-next-line no-control-regex
  return name.length > 0 && Buffer.byteLength(name) <= 1024 && name.isWellFormed() && !/[\u0000-\u001f\u007f]/.test(name);
}
