/**
 * Account locking and suspension by server admins (client-server API "Account moderation",
 * GET/PUT /_matrix/client/v1/admin/lock/{userId} and .../suspend/{userId}). Both are reversible flags
 * on the user: a locked user's tokens answer 401 M_USER_LOCKED (soft logout) everywhere but logout;
 * a suspended user may read but not act (accounts/suspension.ts). As the spec requires, the
 * requester's admin status is checked before the target is looked up, so non-admins learn nothing
 * about who exists.
 */
import { MatrixError } from "../../errors.js";
import { parseUserId } from "../../protocol/identifiers.js";
import type { Db } from "../../storage/db.js";
import type { UserRecord, UserStore } from "../../storage/user-store.js";
import type { Requester } from "../accounts/requester.js";

export type ModerationFlag = "locked" | "suspended";

/** Drops cached access tokens, so a changed flag applies to the next request (the auth service). */
export interface TokenCache {
  forgetCachedTokens(): void;
}

export class AccountModerationService {
  constructor(
    private readonly db: Db,
    private readonly users: UserStore,
    private readonly tokens: TokenCache,
    private readonly serverName: string,
  ) {}

  /** GET: whether the user has the flag. */
  async get(requester: Pick<Requester, "userId" | "isAdmin">, userId: string, flag: ModerationFlag): Promise<boolean> {
    const user = await this.target(requester, userId);
    return flag === "locked" ? user.locked : user.suspended;
  }

  /** PUT: sets or clears the flag; admins may not moderate themselves. */
  async set(requester: Pick<Requester, "userId" | "isAdmin">, userId: string, flag: ModerationFlag, value: boolean): Promise<boolean> {
    const user = await this.target(requester, userId);
    if (user.userId === requester.userId) throw new MatrixError(403, "M_FORBIDDEN", `You cannot change whether your own account is ${flag}`);
    await this.db.transaction(async (tx) => {
      await this.users.update(tx.db, user.userId, flag === "locked" ? { locked: value ? 1 : 0 } : { suspended: value ? 1 : 0 });
      tx.onCommit(() => this.tokens.forgetCachedTokens());
    });
    return value;
  }

  /** The local, active, non-admin (or own) account an admin may moderate; errors in the spec's order. */
  private async target(requester: Pick<Requester, "userId" | "isAdmin">, userId: string): Promise<UserRecord> {
    if (!requester.isAdmin) throw new MatrixError(403, "M_FORBIDDEN", "Requesting user is not a server administrator");
    const parts = parseUserId(userId, { historical: true });
    if (!parts) throw new MatrixError(400, "M_INVALID_PARAM", "Invalid user ID");
    if (parts.serverName !== this.serverName) throw new MatrixError(400, "M_INVALID_PARAM", "User does not belong to the local server");
    const user = await this.users.get(userId);
    if (!user || user.deactivated) throw new MatrixError(404, "M_NOT_FOUND", "User not found");
    if (user.isAdmin && user.userId !== requester.userId) throw new MatrixError(403, "M_FORBIDDEN", "The target user is another server administrator");
    return user;
  }
}
