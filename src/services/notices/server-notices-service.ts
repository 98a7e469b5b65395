/**
 * Server notices (client-server API "Server Notices"): messages from the server to one user, sent by
 * the notices user (`server_notices.localpart`) in one room per user. The room is made the first time,
 * tagged `m.server_notice` in the user's account data, and the user is invited (never joined for them);
 * users may not reject that invite (M_CANNOT_LEAVE_SERVER_NOTICE_ROOM). As the spec recommends and
 * Synapse does, a user who joined may leave; the next notice invites them back into the same room.
 * Regular users have power level -10 there (Synapse's choice), below what sending needs.
 */
import { MatrixError } from "../../errors.js";
import type { JsonObject } from "../../protocol/json.js";
import { parseUserId } from "../../protocol/identifiers.js";
import type { Db } from "../../storage/db.js";
import type { EventStore } from "../../storage/event-store.js";
import type { ServerNoticeStore } from "../../storage/server-notice-store.js";
import type { UserStore } from "../../storage/user-store.js";
import type { Clock } from "../clock.js";
import type { CreateRoomService } from "../rooms/create-room.js";
import type { CurrentStateCache } from "../rooms/current-state.js";
import type { EventSender } from "../rooms/event-sender.js";
import type { MembershipService } from "../rooms/membership.js";
import { RoomLinearizer } from "../rooms/room-linearizer.js";
import type { RoomStateReader } from "../rooms/room-state-reader.js";

export const SERVER_NOTICE_TAG = "m.server_notice";

export interface ServerNoticesConfig {
  localpart: string;
  display_name: string;
  room_name: string;
}

/** Writes room account data (the account-data service): how the room gets its tag. */
export interface RoomAccountDataWriter {
  update(userId: string, roomId: string, type: string, change: (current: Record<string, unknown> | undefined) => Record<string, unknown> | undefined): Promise<void>;
}

export interface NoticeRequest {
  content: JsonObject;
  /** Event type; m.room.message by default. */
  type?: string | undefined;
  stateKey?: string | undefined;
  /** Idempotency: a retry with the same ID (and scope) returns the first event. */
  txn?: { scope: string; txnId: string } | undefined;
}

export class ServerNoticesService {
  /** One room creation at a time per user. */
  private readonly perUser = new RoomLinearizer();
  private accountData: RoomAccountDataWriter | undefined;

  constructor(
    private readonly config: ServerNoticesConfig | undefined,
    private readonly serverName: string,
    private readonly db: Db,
    private readonly users: UserStore,
    private readonly store: ServerNoticeStore,
    private readonly events: EventStore,
    private readonly createRoom: CreateRoomService,
    private readonly membership: MembershipService,
    private readonly sender: EventSender,
    private readonly cache: CurrentStateCache,
    private readonly reader: RoomStateReader,
    private readonly clock: Clock,
  ) {}

  /** Wired by context.ts once account data exists (tags the notices room). */
  setAccountData(writer: RoomAccountDataWriter): void {
    this.accountData = writer;
  }

  /** Whether notices are configured. */
  get enabled(): boolean {
    return this.config !== undefined;
  }

  /** The notices user, when notices are configured. */
  get noticesUserId(): string | undefined {
    return this.config ? `@${this.config.localpart}:${this.serverName}` : undefined;
  }

  /** Refuses rejecting the invite to one's server notices room (a membership leave check). */
  async checkLeave(roomId: string, userId: string, currentMembership: string | undefined): Promise<void> {
    if (currentMembership !== "invite") return;
    if ((await this.store.userOf(roomId)) === userId) {
      throw new MatrixError(403, "M_CANNOT_LEAVE_SERVER_NOTICE_ROOM", "You cannot reject the invite to the server notices room");
    }
  }

  /** Sends a notice to a local user, making and inviting them to their notices room as needed. */
  async sendNotice(userId: string, request: NoticeRequest): Promise<{ event_id: string }> {
    const noticesUser = this.noticesUserId;
    if (!this.config || !noticesUser) throw new MatrixError(400, "M_UNKNOWN", "Server notices are not enabled on this server");
    const parts = parseUserId(userId, { historical: true });
    if (!parts) throw new MatrixError(400, "M_INVALID_PARAM", "Invalid user ID");
    if (parts.serverName !== this.serverName) throw new MatrixError(400, "M_INVALID_PARAM", "Server notices can only be sent to local users");
    if (userId === noticesUser) throw new MatrixError(400, "M_INVALID_PARAM", "The notices user cannot be sent notices");
    const user = await this.users.get(userId);
    if (!user || user.deactivated) throw new MatrixError(404, "M_NOT_FOUND", "User not found");

    const roomId = await this.perUser.run(userId, () => this.roomFor(userId, noticesUser, this.config as ServerNoticesConfig));
    const head = await this.cache.head(roomId);
    const txn = request.txn ? { userId: noticesUser, deviceId: request.txn.scope, txnId: request.txn.txnId } : undefined;
    if (txn) {
      const existing = await this.events.findTxn(head.room.roomNid, txn.userId, txn.deviceId, txn.txnId);
      if (existing) return { event_id: existing };
    }
    const membership = await this.reader.membership(head, userId);
    if (membership !== "join" && membership !== "invite") await this.membership.invite(roomId, noticesUser, userId);
    const persisted = await this.sender.send(
      roomId,
      { type: request.type ?? "m.room.message", sender: noticesUser, content: request.content, ...(request.stateKey !== undefined ? { stateKey: request.stateKey } : {}) },
      txn ? { txn } : {},
    );
    return { event_id: persisted.stored.eventId };
  }

  /** The user's notices room, made (with the notices user, and tagged) the first time. */
  private async roomFor(userId: string, noticesUser: string, config: ServerNoticesConfig): Promise<string> {
    const existing = await this.store.roomOf(userId);
    if (existing) return existing;
    await this.ensureNoticesUser(noticesUser, config);
    const { room_id: created } = await this.createRoom.createRoom(noticesUser, {
      preset: "private_chat",
      name: config.room_name,
      power_level_content_override: { users_default: -10 },
    });
    // Recorded before the invite, so the invite cannot be rejected from the first moment.
    const roomId = await this.store.setRoom(userId, created);
    await this.accountData?.update(userId, roomId, "m.tag", (current) => {
      const tags = current?.["tags"];
      const existingTags = tags !== null && typeof tags === "object" && !Array.isArray(tags) ? tags : {};
      return { ...current, tags: { ...existingTags, [SERVER_NOTICE_TAG]: {} } };
    });
    return roomId;
  }

  /** The notices user exists as an account without a password (it cannot log in) with its display name. */
  private async ensureNoticesUser(noticesUser: string, config: ServerNoticesConfig): Promise<void> {
    if (await this.users.exists(noticesUser)) return;
    await this.db.transaction(async (tx) => {
      if (await this.users.insert(tx.db, { userId: noticesUser, passwordHash: null, userType: "bot" }, this.clock.now())) {
        await this.users.setProfileField(tx.db, noticesUser, "displayname", config.display_name);
      }
    });
  }
}
