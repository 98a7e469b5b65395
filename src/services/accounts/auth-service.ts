/**
 * Access and refresh tokens: issuing them at login or registration, resolving a token to its
 * Requester on every request (cached), refreshing (with rotation), and revoking.
 */
import { MatrixError } from "../../errors.js";
import type { Db, Executor, Tx } from "../../storage/db.js";
import type { TokenStore } from "../../storage/token-store.js";
import type { UserStore } from "../../storage/user-store.js";
import type { DeviceStore } from "../../storage/device-store.js";
import type { Clock } from "../clock.js";
import type { Requester } from "./requester.js";
import { hashToken, newToken } from "./tokens.js";
import { lruCache } from "../../lru.js";

export interface SessionTokens {
  access_token: string;
  refresh_token?: string;
  expires_in_ms?: number;
}

export interface AuthServiceOptions {
  accessTokenLifetimeMs: number;
  refreshTokenLifetimeMs: number | undefined;
}

interface CachedToken {
  requester: Requester;
  validUntilTs: number | null;
  refreshTokenId: number | null;
  used: boolean;
  locked: boolean;
}

/** How often a device's last-seen time is written (it is read rarely; writing it on every request is waste). */
const LAST_SEEN_INTERVAL_MS = 60_000;

export class AuthService {
  private readonly cache = lruCache<string, CachedToken>(10_000, { ttl: 10 * 60_000 });
  private readonly lastSeenWritten = new Map<string, number>();

  constructor(
    private readonly db: Db,
    private readonly tokens: TokenStore,
    private readonly users: UserStore,
    private readonly devices: DeviceStore,
    private readonly clock: Clock,
    private readonly options: AuthServiceOptions,
  ) {}

  /** Issues an access token (and a refresh token if asked) for a device, inside the caller's transaction. */
  async issueSession(
    executor: Executor,
    userId: string,
    deviceId: string | null,
    options: { refreshToken?: boolean; puppetsUserId?: string; validUntilTs?: number } = {},
  ): Promise<SessionTokens> {
    const now = this.clock.now();
    const accessToken = newToken("tsa");
    if (options.refreshToken && deviceId) {
      const refreshToken = newToken("tsr");
      const expiry = this.options.refreshTokenLifetimeMs ? now + this.options.refreshTokenLifetimeMs : null;
      const refreshId = await this.tokens.insertRefreshToken(executor, { hash: hashToken(refreshToken), userId, deviceId, expiryTs: expiry }, now);
      await this.tokens.insertAccessToken(
        executor,
        { hash: hashToken(accessToken), userId, deviceId, validUntilTs: now + this.options.accessTokenLifetimeMs, refreshTokenId: refreshId },
        now,
      );
      return { access_token: accessToken, refresh_token: refreshToken, expires_in_ms: this.options.accessTokenLifetimeMs };
    }
    await this.tokens.insertAccessToken(
      executor,
      { hash: hashToken(accessToken), userId, deviceId, validUntilTs: options.validUntilTs ?? null, refreshTokenId: null, puppetsUserId: options.puppetsUserId ?? null },
      now,
    );
    return { access_token: accessToken };
  }

  /** Resolves an access token, or throws 401 M_UNKNOWN_TOKEN (soft_logout when merely expired). */
  async authenticate(token: string, client: { ip: string; userAgent?: string | undefined }, options: { allowLocked?: boolean } = {}): Promise<Requester> {
    // Keyed by the token itself, as Synapse's cache is: the database keeps only hashes, but hashing
    // every request's token again cost more than the rest of a cached lookup.
    let entry = this.cache.get(token);
    if (!entry) {
      entry = await this.load(hashToken(token));
      this.cache.set(token, entry);
    }
    const now = this.clock.now();
    if (entry.validUntilTs !== null && entry.validUntilTs <= now) {
      throw new MatrixError(401, "M_UNKNOWN_TOKEN", "Access token has expired", { soft_logout: true });
    }
    // A locked account may still log out (client-server API "Account locking").
    if (entry.locked && !options.allowLocked) throw new MatrixError(401, "M_USER_LOCKED", "This account has been locked", { soft_logout: true });
    if (entry.refreshTokenId !== null && !entry.used) {
      // First use of a refreshed token: the refresh token that minted it (and its tokens) retire now.
      entry.used = true;
      await this.db.transaction(async (tx) => {
        await this.tokens.markAccessTokenUsedIn(tx.db, entry.requester.tokenId);
        await this.tokens.retireRefreshedPredecessors(tx.db, entry.refreshTokenId as number);
      });
      this.cache.clear(); // retired access tokens may be cached under tokens we no longer know
    }
    this.noteLastSeen(entry.requester, client, now);
    return entry.requester;
  }

  private async load(hash: string): Promise<CachedToken> {
    const record = await this.tokens.findAccessToken(hash);
    if (!record) throw new MatrixError(401, "M_UNKNOWN_TOKEN", "Unknown access token", { soft_logout: false });
    const userId = record.puppetsUserId ?? record.userId;
    const user = await this.users.get(userId);
    if (!user || user.deactivated) throw new MatrixError(401, "M_UNKNOWN_TOKEN", "Unknown access token", { soft_logout: false });
    return {
      requester: {
        userId,
        deviceId: record.deviceId ?? undefined,
        tokenId: record.id,
        isGuest: user.isGuest,
        isAdmin: user.isAdmin,
        isSuspended: user.suspended,
        ...(user.appserviceId ? { appserviceId: user.appserviceId } : {}),
      },
      validUntilTs: record.validUntilTs,
      refreshTokenId: record.refreshTokenId,
      used: record.used,
      locked: user.locked,
    };
  }

  private noteLastSeen(requester: Requester, client: { ip: string; userAgent?: string | undefined }, now: number): void {
    if (!requester.deviceId) return;
    const key = `${requester.userId}|${requester.deviceId}`;
    const last = this.lastSeenWritten.get(key) ?? 0;
    if (now - last < LAST_SEEN_INTERVAL_MS) return;
    this.lastSeenWritten.set(key, now);
    if (this.lastSeenWritten.size > 100_000) this.lastSeenWritten.clear();
    void this.devices.touch(requester.userId, requester.deviceId, client.ip, client.userAgent, now).catch(() => undefined);
  }

  /** POST /refresh: swaps a refresh token for a new access + refresh token pair. */
  async refresh(refreshToken: string): Promise<SessionTokens> {
    const now = this.clock.now();
    return this.db.transaction(async (tx) => {
      const record = await this.tokens.findRefreshToken(tx.db, hashToken(refreshToken));
      if (!record) throw new MatrixError(401, "M_UNKNOWN_TOKEN", "Unknown refresh token", { soft_logout: false });
      if (record.expiryTs !== null && record.expiryTs <= now) {
        throw new MatrixError(401, "M_UNKNOWN_TOKEN", "Refresh token has expired", { soft_logout: false });
      }
      // A locked account gets no new access tokens until it is unlocked (client-server API "Account locking").
      if ((await this.users.get(record.userId, tx.db))?.locked) {
        throw new MatrixError(401, "M_USER_LOCKED", "This account has been locked", { soft_logout: true });
      }
      const next = await this.issueSession(tx.db, record.userId, record.deviceId, { refreshToken: true });
      const nextRecord = await this.tokens.findRefreshToken(tx.db, hashToken(next.refresh_token as string));
      await this.tokens.setNextRefreshToken(tx.db, record.id, (nextRecord as { id: number }).id);
      return next;
    });
  }

  /** Forgets cached tokens (after a user was locked, deactivated or made admin). */
  forgetCachedTokens(): void {
    this.cache.clear();
  }

  // Revocations drop the whole cache after commit: they are rare, and a token is not known by ID.

  async revokeToken(tx: Tx, tokenId: number): Promise<void> {
    await this.tokens.deleteAccessToken(tx.db, tokenId);
    tx.onCommit(() => this.cache.clear());
  }

  async revokeDevices(tx: Tx, userId: string, deviceIds: readonly string[]): Promise<void> {
    await this.tokens.deleteTokensOfDevices(tx.db, userId, { deviceIds });
    tx.onCommit(() => this.cache.clear());
  }

  async revokeAll(tx: Tx, userId: string, options: { exceptTokenId?: number } = {}): Promise<void> {
    await this.tokens.deleteTokensOfDevices(tx.db, userId, options.exceptTokenId !== undefined ? { exceptTokenId: options.exceptTokenId } : {});
    tx.onCommit(() => this.cache.clear());
  }
}
