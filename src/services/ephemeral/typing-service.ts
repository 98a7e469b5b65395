/**
 * Typing notifications (client-server API "Typing Notifications"): who is typing in each room, held in
 * memory with an expiry timer per typist. Every change of a room's set of typists gets a position on
 * the "typing" stream; /sync sends the room's whole current set when it changed since the token.
 *
 * Positions derive from the wall clock (at least one more than the last) so that they keep growing
 * across restarts: a token from before a restart stays valid and is never "ahead" of the server.
 */
import { MatrixError } from "../../errors.js";
import type { Notifier } from "../../notifier/notifier.js";
import type { Requester } from "../accounts/requester.js";
import { requireJoined, type MembershipLookup } from "./joined-check.js";

/** Longest typing period a client may ask for; Synapse caps it at two minutes too. */
export const MAX_TYPING_TIMEOUT_MS = 120_000;
/** Used when `typing` is true without a timeout (as Synapse). */
export const DEFAULT_TYPING_TIMEOUT_MS = 30_000;

interface RoomTyping {
  /** Typists and the timers that stop them. */
  readonly users: Map<string, NodeJS.Timeout>;
  /** Typing stream position of the last change of `users`. */
  changedAt: number;
}

export interface RoomTypingView {
  readonly userIds: readonly string[];
  readonly changedAt: number;
}

/** Tells the other servers in a room that a local user started or stopped typing (the m.typing EDU). */
export type TypingAnnouncer = (roomId: string, userId: string, typing: boolean) => Promise<void>;

/** How long a remote user's typing lasts without a new EDU (the EDU has no timeout; Synapse waits 60 s). */
const REMOTE_TYPING_TIMEOUT_MS = 60_000;

export class TypingService {
  private announce: TypingAnnouncer | undefined;

  // Rooms stay in the map once their set is empty: a client whose token predates the last change
  // must still learn that nobody types any more. There is at most one entry per room.
  private readonly rooms = new Map<string, RoomTyping>();
  private last: number;
  private closed = false;

  constructor(
    private readonly notifier: Notifier,
    private readonly memberships: MembershipLookup,
    private readonly onActivity: (userId: string) => void = () => undefined,
  ) {
    this.last = notifier.position("typing");
  }

  /** PUT /rooms/{roomId}/typing/{userId}: starts (for `timeoutMs`) or stops the user's typing. */
  async setTyping(requester: Requester, roomId: string, userId: string, typing: boolean, timeoutMs: number | undefined): Promise<void> {
    if (userId !== requester.userId) throw new MatrixError(403, "M_FORBIDDEN", "You cannot set another user's typing state");
    await requireJoined(this.memberships, roomId, userId);
    this.onActivity(userId);
    if (typing) this.start(roomId, userId, Math.min(timeoutMs ?? DEFAULT_TYPING_TIMEOUT_MS, MAX_TYPING_TIMEOUT_MS));
    else this.stop(roomId, userId);
    await this.announce?.(roomId, userId, typing);
  }

  /** Wired by context.ts once federation exists. */
  setAnnouncer(announce: TypingAnnouncer): void {
    this.announce = announce;
  }

  /** An `m.typing` EDU from `origin` about one of its users in a room they are joined to. */
  async receiveRemote(origin: string, content: Record<string, unknown>): Promise<void> {
    const { room_id: roomId, user_id: userId, typing } = content;
    if (typeof roomId !== "string" || typeof userId !== "string" || typeof typing !== "boolean") throw new Error("malformed m.typing");
    if (userId.slice(userId.indexOf(":") + 1) !== origin) throw new Error("the user is not one of the origin's");
    await requireJoined(this.memberships, roomId, userId);
    if (typing) this.start(roomId, userId, REMOTE_TYPING_TIMEOUT_MS);
    else this.stop(roomId, userId);
  }

  /** The room's typists and when they last changed; undefined if nobody ever typed there. */
  room(roomId: string): RoomTypingView | undefined {
    const entry = this.rooms.get(roomId);
    return entry ? { userIds: [...entry.users.keys()], changedAt: entry.changedAt } : undefined;
  }

  private start(roomId: string, userId: string, timeoutMs: number): void {
    if (this.closed) return;
    let entry = this.rooms.get(roomId);
    if (!entry) {
      entry = { users: new Map(), changedAt: 0 };
      this.rooms.set(roomId, entry);
    }
    const previous = entry.users.get(userId);
    if (previous) clearTimeout(previous);
    const timer = setTimeout(() => this.stop(roomId, userId), timeoutMs);
    timer.unref();
    entry.users.set(userId, timer);
    // Typing again only extends the period: the set of typists is unchanged, nobody needs waking.
    if (!previous) this.changed(roomId, entry);
  }

  private stop(roomId: string, userId: string): void {
    const entry = this.rooms.get(roomId);
    const timer = entry?.users.get(userId);
    if (!entry || !timer) return;
    clearTimeout(timer);
    entry.users.delete(userId);
    this.changed(roomId, entry);
  }

  private changed(roomId: string, entry: RoomTyping): void {
    this.last = Math.max(this.last + 1, Date.now());
    entry.changedAt = this.last;
    this.notifier.notify({ stream: "typing", position: this.last, roomIds: [roomId] });
  }

  /** Stops every expiry timer (on shutdown). */
  close(): void {
    this.closed = true;
    for (const entry of this.rooms.values()) for (const timer of entry.users.values()) clearTimeout(timer);
    this.rooms.clear();
  }
}
