/**
 * Profiles (client-server API "Profiles"): reading a user's profile or one field, and setting or
 * removing fields of one's own (admins may change local users' profiles, as in Synapse). A change of
 * `displayname` or `avatar_url` updates the user directory in the same transaction and then sends a
 * new `m.room.member` join with the new values into every room the user is joined to ("Events on
 * Change of Profile Information"), overwriting per-room names as Synapse does.
 */
import { MatrixError } from "../../errors.js";
import { isValidUserId } from "../../protocol/identifiers.js";
import type { Logger } from "../../logger.js";
import type { Db } from "../../storage/db.js";
import type { RoomStore } from "../../storage/room-store.js";
import type { UserStore } from "../../storage/user-store.js";
import type { Requester } from "../accounts/requester.js";
import type { MembershipService } from "../rooms/membership.js";
import type { UserDirectoryService } from "../user-directory/user-directory-service.js";
import { checkProfileKey, checkProfileSize, normaliseProfileValue, type Profile } from "./profile-fields.js";

/** Fields that room member events carry and the directory shows. */
const PROPAGATED = ["displayname", "avatar_url"] as const;

export class ProfileService {
  constructor(
    private readonly db: Db,
    private readonly users: UserStore,
    private readonly rooms: RoomStore,
    private readonly membership: MembershipService,
    private readonly directory: UserDirectoryService,
    private readonly serverName: string,
    private readonly log: Logger,
  ) {}

  private isLocal(userId: string): boolean {
    return userId.endsWith(`:${this.serverName}`);
  }

  /** The profile of a local user; 404 for unknown users and (as Synapse) for empty profiles. */
  private async profileOf(userId: string): Promise<Profile> {
    if (!isValidUserId(userId, { historical: true })) throw new MatrixError(400, "M_INVALID_PARAM", "Invalid user ID");
    // Remote profiles need a federation query (GET /_matrix/federation/v1/query/profile), not built yet.
    if (!this.isLocal(userId) || !(await this.users.exists(userId))) throw new MatrixError(404, "M_NOT_FOUND", "Profile not found");
    return this.users.getProfile(userId);
  }

  /** GET /profile/{userId}. */
  async getProfile(userId: string): Promise<Profile> {
    const profile = await this.profileOf(userId);
    if (Object.keys(profile).length === 0) throw new MatrixError(404, "M_NOT_FOUND", "Profile not found");
    return profile;
  }

  /** GET /profile/{userId}/{keyName}. */
  async getField(userId: string, key: string): Promise<Profile> {
    checkProfileKey(key);
    const profile = await this.profileOf(userId);
    if (!Object.hasOwn(profile, key)) throw new MatrixError(404, "M_NOT_FOUND", "Profile field not found");
    return { [key]: profile[key] };
  }

  /** PUT /profile/{userId}/{keyName} with the body's value for the key. */
  async setField(requester: Requester, userId: string, key: string, body: Record<string, unknown>): Promise<void> {
    checkProfileKey(key);
    await this.checkMayChange(requester, userId, key);
    if (!Object.hasOwn(body, key)) throw new MatrixError(400, "M_MISSING_PARAM", `Missing key '${key}'`);
    await this.change(userId, key, normaliseProfileValue(key, body[key]));
  }

  /** DELETE /profile/{userId}/{keyName}: succeeds whether or not the field was set. */
  async deleteField(requester: Requester, userId: string, key: string): Promise<void> {
    checkProfileKey(key);
    await this.checkMayChange(requester, userId, key);
    await this.change(userId, key, null);
  }

  private async checkMayChange(requester: Requester, userId: string, key: string): Promise<void> {
    if (!isValidUserId(userId, { historical: true })) throw new MatrixError(400, "M_INVALID_PARAM", "Invalid user ID");
    if (requester.userId !== userId && !requester.isAdmin) throw new MatrixError(403, "M_FORBIDDEN", "Cannot change another user's profile");
    if (!this.isLocal(userId)) throw new MatrixError(400, "M_INVALID_PARAM", "User is not hosted on this homeserver");
    // Guests may name themselves and nothing more (as Synapse).
    if (requester.isGuest && key !== "displayname") throw new MatrixError(403, "M_GUEST_ACCESS_FORBIDDEN", "Guests may only set a display name");
    const user = await this.users.get(userId);
    if (!user) throw new MatrixError(404, "M_NOT_FOUND", "Unknown user");
    if (user.suspended) throw new MatrixError(403, "M_USER_SUSPENDED", "Cannot change the profile of a suspended account");
  }

  /** Sets (or with null removes) one field; propagates display name and avatar changes. */
  private async change(userId: string, key: string, value: unknown): Promise<void> {
    const propagated = (PROPAGATED as readonly string[]).includes(key);
    const changed = await this.db.transaction(async (tx) => {
      const before = await this.users.getProfile(userId, tx.db);
      const after: Profile = { ...before };
      if (value === null) delete after[key];
      else after[key] = value;
      if (value !== null) checkProfileSize(after);
      await this.users.setProfileField(tx.db, userId, key, value);
      const differs = JSON.stringify(before[key]) !== JSON.stringify(after[key]);
      if (propagated && differs) {
        await this.directory.indexUser(tx.db, {
          userId,
          displayName: typeof after["displayname"] === "string" ? after["displayname"] : null,
          avatarUrl: typeof after["avatar_url"] === "string" ? after["avatar_url"] : null,
        });
      }
      return differs;
    });
    if (propagated && changed) await this.propagate(userId);
  }

  /** A new join event with the current profile in every room the user is joined to. */
  private async propagate(userId: string): Promise<void> {
    for (const membership of await this.rooms.membershipsOf(userId)) {
      if (membership.membership !== "join") continue;
      try {
        await this.membership.join(membership.roomId, userId);
      } catch (error) {
        // One room refusing (the user lost the right to rejoin, the room is partial) must not stop the others.
        this.log.warn({ err: error, roomId: membership.roomId, userId }, "could not update the member event after a profile change");
      }
    }
  }
}
