/**
 * Account management that spans several stores: password changes (logging out other devices),
 * deactivation (tokens, devices, 3PIDs, profile, and leaving every room), logout.
 */
import type { Requester } from "./requester.js";
import type { Db, Tx } from "../../storage/db.js";
import type { UserStore } from "../../storage/user-store.js";
import type { AuthService } from "./auth-service.js";
import type { DeviceService } from "./device-service.js";
import type { PasswordHasher } from "./password-hasher.js";
import type { RegistrationService } from "./registration-service.js";

/** What deactivation needs from rooms: leave everything (and reject invites). */
export interface DeactivationRoomActions {
  leaveAllRooms(userId: string): Promise<void>;
}

/** Work other areas do in the deactivating transaction (key backups, cross-signing keys). */
export type DeactivationHook = (tx: Tx, userId: string) => Promise<void>;

/** Runs in the transaction that revoked some of a user's access tokens (what was tied to them goes too: pushers). */
export type TokensRevokedHook = (tx: Tx, userId: string) => Promise<void>;

export class AccountService {
  private roomActions: DeactivationRoomActions | undefined;
  private readonly deactivationHooks: DeactivationHook[] = [];
  private readonly tokensRevokedHooks: TokensRevokedHook[] = [];

  constructor(
    private readonly db: Db,
    private readonly users: UserStore,
    private readonly devices: DeviceService,
    private readonly auth: AuthService,
    private readonly hasher: PasswordHasher,
    private readonly registration: RegistrationService,
  ) {}

  /** Wired by context.ts once the room services exist (rooms are built on accounts, not the reverse). */
  setRoomActions(actions: DeactivationRoomActions): void {
    this.roomActions = actions;
  }

  onDeactivated(hook: DeactivationHook): void {
    this.deactivationHooks.push(hook);
  }

  onTokensRevoked(hook: TokensRevokedHook): void {
    this.tokensRevokedHooks.push(hook);
  }

  async whoami(requester: Requester): Promise<{ user_id: string; device_id?: string; is_guest: boolean }> {
    return { user_id: requester.userId, ...(requester.deviceId ? { device_id: requester.deviceId } : {}), is_guest: requester.isGuest };
  }

  /** POST /account/password: new hash; other devices logged out unless logout_devices is false. */
  async changePassword(requester: Requester | undefined, userId: string, newPassword: string, logoutDevices: boolean): Promise<void> {
    this.registration.validatePassword(newPassword);
    const hash = await this.hasher.hash(newPassword);
    await this.db.transaction(async (tx) => {
      await this.users.setPasswordHash(tx.db, userId, hash);
      if (logoutDevices) {
        const keep = requester?.userId === userId ? requester.deviceId : undefined;
        await this.devices.deleteAllIn(tx, userId, keep !== undefined ? { except: keep } : {});
        if (requester?.userId === userId) await this.auth.revokeAll(tx, userId, { exceptTokenId: requester.tokenId });
        for (const hook of this.tokensRevokedHooks) await hook(tx, userId);
      }
    });
  }

  async logout(requester: Requester): Promise<void> {
    await this.db.transaction(async (tx) => {
      if (requester.deviceId) await this.devices.deleteIn(tx, requester.userId, [requester.deviceId]);
      else await this.auth.revokeToken(tx, requester.tokenId);
      for (const hook of this.tokensRevokedHooks) await hook(tx, requester.userId);
    });
  }

  async logoutAll(userId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.devices.deleteAllIn(tx, userId);
      await this.auth.revokeAll(tx, userId);
      for (const hook of this.tokensRevokedHooks) await hook(tx, userId);
    });
  }

  /** POST /account/deactivate: leave rooms first (needs the profile and membership), then erase access. */
  async deactivate(userId: string, options: { erase: boolean }): Promise<void> {
    if (this.roomActions) await this.roomActions.leaveAllRooms(userId);
    await this.db.transaction(async (tx) => {
      await this.users.update(tx.db, userId, { deactivated: 1 });
      await this.users.setPasswordHash(tx.db, userId, null);
      await this.users.deleteAllThreepids(tx.db, userId);
      await this.devices.deleteAllIn(tx, userId);
      await this.auth.revokeAll(tx, userId);
      if (options.erase) await this.users.clearProfile(tx.db, userId);
      for (const hook of this.deactivationHooks) await hook(tx, userId);
    });
  }

  async listThreepids(userId: string): Promise<{ medium: string; address: string; validated_at: number; added_at: number }[]> {
    return this.users.listThreepids(userId);
  }
}
