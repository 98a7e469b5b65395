/**
 * Password hashes with scrypt (node:crypto, no native dependency): `scrypt$N$r$p$salt$hash`, salt and
 * hash in base64. Verification runs in libuv's thread pool and compares in constant time.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";

const KEY_LENGTH = 32;

function scryptAsync(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize("NFKC"), salt, KEY_LENGTH, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

export class PasswordHasher {
  /** cost is log2(N): 14 takes ~40 ms and 16 MiB on a small server. */
  constructor(private readonly cost = 14) {}

  async hash(password: string): Promise<string> {
    const salt = randomBytes(16);
    const N = 2 ** this.cost;
    const key = await scryptAsync(password, salt, { N, r: 8, p: 1, maxmem: 256 * N * 8 });
    return `scrypt$${N}$8$1$${salt.toString("base64")}$${key.toString("base64")}`;
  }

  async verify(password: string, stored: string | null): Promise<boolean> {
    if (!stored) return false;
    const parts = stored.split("$");
    if (parts.length !== 6 || parts[0] !== "scrypt") return false;
    const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
    const N = Number(n);
    const expected = Buffer.from(hash, "base64");
    const key = await scryptAsync(password, Buffer.from(salt, "base64"), { N, r: Number(r), p: Number(p), maxmem: 256 * N * Number(r) });
    return key.length === expected.length && timingSafeEqual(key, expected);
  }
}
