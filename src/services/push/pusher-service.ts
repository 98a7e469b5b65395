/**
 * The pushers API (client-server API "Push notifications", pusher.yaml) and the life of a pusher:
 * - set: creates or replaces the user's pusher with that app ID and pushkey, starting from the
 *   current stream position; unless `append`, other users' pushers with the same app ID and pushkey
 *   go (spec); a pusher remembers the device of the access token that set it (or the token itself
 *   when it has no device), and an existing pusher keeps its device (as Synapse);
 * - it goes with that device (logout, device deletion, a password change logging out other devices)
 *   or that token, and all of a user's go when the account is deactivated (as Synapse);
 * - `kind: "email"` is accepted as Synapse accepts it: only for an email address of the account
 *   (else 400 M_THREEPID_NOT_FOUND); it is kept and listed, but no email is sent (Tessera sends none).
 */
import { MatrixError } from "../../errors.js";
import type { Db, Tx } from "../../storage/db.js";
import type { PusherRecord, PusherStore } from "../../storage/pusher-store.js";
import type { UserStore } from "../../storage/user-store.js";
import type { DeactivationHook, TokensRevokedHook } from "../accounts/account-service.js";
import type { DevicesDeletedHook } from "../accounts/device-service.js";
import type { Requester } from "../accounts/requester.js";
import type { Clock } from "../clock.js";
import { parsePusherRequest } from "./pusher-input.js";

/** A pusher as GET /pushers lists it. */
export interface ClientPusher {
  pushkey: string;
  kind: string;
  app_id: string;
  app_display_name: string;
  device_display_name: string;
  profile_tag?: string;
  lang: string;
  data: Record<string, unknown>;
}

const toClient = (p: PusherRecord): ClientPusher => ({
  pushkey: p.pushkey,
  kind: p.kind,
  app_id: p.appId,
  app_display_name: p.appDisplayName,
  device_display_name: p.deviceDisplayName,
  ...(p.profileTag !== null ? { profile_tag: p.profileTag } : {}),
  lang: p.lang,
  data: p.data,
});

export class PusherService {
  private changed: (userIds: readonly string[]) => void = () => undefined;

  constructor(
    private readonly db: Db,
    private readonly store: PusherStore,
    private readonly users: UserStore,
    private readonly clock: Clock,
    /** The events stream position: a new pusher pushes what comes after it. */
    private readonly position: () => number,
  ) {}

  /** Called after a commit changed some users' pushers (the sender follows). */
  onChange(listener: (userIds: readonly string[]) => void): void {
    this.changed = listener;
  }

  /** GET /pushers. */
  async list(userId: string): Promise<ClientPusher[]> {
    return (await this.store.ofUser(userId)).map(toClient);
  }

  /** POST /pushers/set. */
  async set(requester: Requester, body: Record<string, unknown>): Promise<void> {
    const userId = requester.userId;
    const request = parsePusherRequest(body);
    if (request.delete) {
      await this.db.transaction(async (tx) => {
        if (await this.store.delete(tx.db, userId, request.appId, request.pushkey)) this.changedOnCommit(tx, [userId]);
      });
      return;
    }
    if (request.kind === "email") {
      // Synapse compares the canonical (lower-case) address with the account's email addresses.
      const owner = await this.users.findUserByThreepid("email", request.pushkey.trim().toLowerCase());
      if (owner !== userId) throw new MatrixError(400, "M_THREEPID_NOT_FOUND", "Email not found");
    }
    await this.db.transaction(async (tx) => {
      const others = request.append ? [] : await this.store.deleteOthers(tx.db, request.appId, request.pushkey, userId);
      await this.store.upsert(tx.db, {
        userId,
        kind: request.kind,
        appId: request.appId,
        pushkey: request.pushkey,
        pushkeyTs: this.clock.now(),
        appDisplayName: request.appDisplayName,
        deviceDisplayName: request.deviceDisplayName,
        profileTag: request.profileTag,
        lang: request.lang,
        data: request.data,
        deviceId: requester.deviceId ?? null,
        accessTokenId: requester.deviceId === undefined ? requester.tokenId : null,
        lastStreamOrdering: this.position(),
      });
      this.changedOnCommit(tx, [userId, ...others]);
    });
  }

  /** Devices went (logout, deletion, a password change): so do the pushers they set. */
  devicesDeletedHook(): DevicesDeletedHook {
    return async (tx, userId, deviceIds) => {
      if ((await this.store.deleteByDevices(tx.db, userId, deviceIds)) > 0) this.changedOnCommit(tx, [userId]);
    };
  }

  /** Access tokens were revoked (logout of a token without a device, a password change): their pushers go. */
  tokensRevokedHook(): TokensRevokedHook {
    return async (tx, userId) => {
      if ((await this.store.deleteOfRevokedTokens(tx.db, userId)) > 0) this.changedOnCommit(tx, [userId]);
    };
  }

  /** A deactivated account pushes nowhere. */
  deactivationHook(): DeactivationHook {
    return async (tx, userId) => {
      if ((await this.store.deleteAllOfUser(tx.db, userId)) > 0) this.changedOnCommit(tx, [userId]);
    };
  }

  private changedOnCommit(tx: Tx, userIds: readonly string[]): void {
    tx.onCommit(() => this.changed(userIds));
  }
}
