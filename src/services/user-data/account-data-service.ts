/**
 * Account data (client-server API "Client Config"): per-user JSON objects, global or per room, that
 * only their owner reads and writes. Every write takes a position on the account_data stream and
 * wakes the owner's /sync. Types the server manages (`m.fully_read`, `m.push_rules`) are refused
 * through the client API with 405 but other areas write them through `put`.
 */
import { MatrixError } from "../../errors.js";
import { isValidRoomId } from "../../protocol/identifiers.js";
import type { Notifier } from "../../notifier/notifier.js";
import type { AccountDataStore } from "../../storage/account-data-store.js";
import type { Db } from "../../storage/db.js";
import type { StreamIdGenerator } from "../../storage/stream-ids.js";
import type { Requester } from "../accounts/requester.js";
import { RoomLinearizer } from "../rooms/room-linearizer.js";

/** Types clients may read but not write (client-server API "Client Config", server behaviour). */
const SERVER_MANAGED_TYPES = new Set(["m.fully_read", "m.push_rules"]);

export const IGNORED_USER_LIST = "m.ignored_user_list";

export type AccountDataContent = Record<string, unknown>;

export class AccountDataService {
  // One read-modify-write at a time per user (tags); the stream has one writer process.
  private readonly perUser = new RoomLinearizer();
  private readonly managedReaders = new Map<string, (userId: string) => Promise<AccountDataContent>>();

  constructor(
    private readonly db: Db,
    private readonly store: AccountDataStore,
    private readonly stream: StreamIdGenerator,
    private readonly notifier: Notifier,
  ) {}

  /** Checks that the requester acts on their own account data and that a room ID is well formed. */
  checkAccess(requester: Requester, userId: string, roomId?: string): void {
    if (requester.userId !== userId) throw new MatrixError(403, "M_FORBIDDEN", "Cannot access account data of other users");
    if (roomId !== undefined && !isValidRoomId(roomId)) throw new MatrixError(400, "M_INVALID_PARAM", `${roomId} is not a valid room ID`);
  }

  /** GET /user/{userId}[/rooms/{roomId}]/account_data/{type}. */
  /**
   * Global account data that another area keeps in its own tables (m.push_rules): GET reads it from
   * there, as Synapse answers it, rather than a 404.
   */
  addManagedReader(type: string, read: (userId: string) => Promise<AccountDataContent>): void {
    this.managedReaders.set(type, read);
  }

  async getForClient(requester: Requester, userId: string, roomId: string | undefined, type: string): Promise<AccountDataContent> {
    this.checkAccess(requester, userId, roomId);
    const managed = roomId === undefined ? this.managedReaders.get(type) : undefined;
    if (managed) return managed(userId);
    const content = await this.store.get(userId, roomId ?? "", type);
    if (content === undefined) throw new MatrixError(404, "M_NOT_FOUND", roomId === undefined ? "Account data not found" : "Room account data not found");
    return content;
  }

  /** PUT /user/{userId}[/rooms/{roomId}]/account_data/{type}. */
  async setForClient(requester: Requester, userId: string, roomId: string | undefined, type: string, content: AccountDataContent): Promise<void> {
    this.checkAccess(requester, userId, roomId);
    if (SERVER_MANAGED_TYPES.has(type)) throw new MatrixError(405, "M_BAD_JSON", `Cannot set ${type} through this API`);
    if (roomId === undefined && type === IGNORED_USER_LIST) checkIgnoredUserList(userId, content);
    await this.put(userId, roomId ?? "", type, content);
  }

  /** The content of one entry ("" for global), or undefined. */
  async get(userId: string, roomId: string, type: string): Promise<AccountDataContent | undefined> {
    return this.store.get(userId, roomId, type);
  }

  /** Writes an entry ("" room for global) without the client API's restrictions; returns its stream position. */
  async put(userId: string, roomId: string, type: string, content: AccountDataContent): Promise<number> {
    return this.perUser.run(userId, () => this.write(userId, roomId, type, content));
  }

  /**
   * Replaces an entry by `change(current)` atomically with respect to other writes of the user's
   * account data (tags); `change` returning undefined leaves the entry as it is.
   */
  async update(userId: string, roomId: string, type: string, change: (current: AccountDataContent | undefined) => AccountDataContent | undefined): Promise<void> {
    await this.perUser.run(userId, async () => {
      const next = change(await this.store.get(userId, roomId, type));
      if (next !== undefined) await this.write(userId, roomId, type, next);
    });
  }

  private async write(userId: string, roomId: string, type: string, content: AccountDataContent): Promise<number> {
    return this.db.transaction(async (tx) => {
      const position = this.stream.allocate(tx);
      await this.store.put(tx.db, userId, roomId, type, content, position);
      tx.onCommit(() => this.notifier.notify({ stream: "account_data", position: this.stream.current, userIds: [userId] }));
      return position;
    });
  }
}

/** Synapse refuses a list that ignores its owner (400 M_INVALID_PARAM); the spec does not say. */
function checkIgnoredUserList(userId: string, content: AccountDataContent): void {
  const ignored = content["ignored_users"];
  if (ignored !== null && typeof ignored === "object" && !Array.isArray(ignored) && Object.hasOwn(ignored, userId)) {
    throw new MatrixError(400, "M_INVALID_PARAM", "You cannot ignore yourself");
  }
}
