/**
 * Reporting content (client-server API "Reporting content"): reports of events, rooms and users are
 * recorded for the server's administrators. Event reports need the reporter to be joined and able to
 * see the event (v1.8); room and user reports must not depend on the reporter's rooms (v1.13, v1.14).
 */
import { MatrixError } from "../../errors.js";
import { domainOfId, isValidUserId } from "../../protocol/identifiers.js";
import type { ReportStore } from "../../storage/report-store.js";
import type { UserStore } from "../../storage/user-store.js";
import type { EventStore } from "../../storage/event-store.js";
import type { RoomStore } from "../../storage/room-store.js";
import type { Clock } from "../clock.js";
import type { CurrentStateCache } from "../rooms/current-state.js";
import type { RoomStateReader } from "../rooms/room-state-reader.js";
import type { VisibilityService } from "../rooms/visibility.js";

/** Longest reason kept, in characters (Synapse refuses longer user-report reasons with M_BAD_JSON). */
const MAX_REASON = 1000;

function checkReason(reason: string | undefined): void {
  if (reason !== undefined && [...reason].length > MAX_REASON) throw new MatrixError(400, "M_BAD_JSON", `The reason must be at most ${MAX_REASON} characters`);
}

export class ReportService {
  constructor(
    private readonly reports: ReportStore,
    private readonly cache: CurrentStateCache,
    private readonly reader: RoomStateReader,
    private readonly events: EventStore,
    private readonly rooms: RoomStore,
    private readonly users: UserStore,
    private readonly visibility: VisibilityService,
    private readonly clock: Clock,
    private readonly serverName: string,
  ) {}

  /**
   * POST /rooms/{roomId}/report/{eventId}: one answer (404) for an unknown room or event, an event the
   * reporter cannot see or that was redacted, and a reporter who is not joined, so that reports cannot
   * probe for events.
   */
  async reportEvent(reporter: string, roomId: string, eventId: string, reason: string | undefined): Promise<void> {
    checkReason(reason);
    const notFound = (): MatrixError => new MatrixError(404, "M_NOT_FOUND", "The event was not found or you are not joined to the room");
    const head = await this.cache.find(roomId);
    if (!head) throw notFound();
    const membership = await this.reader.membership(head, reporter);
    if (membership !== "join") throw notFound();
    const event = await this.events.getById(eventId);
    if (!event || event.roomNid !== head.room.roomNid || event.outlier || event.rejectedReason !== null || event.redactedByNid !== null) throw notFound();
    if ((await this.visibility.filter(reporter, [event], membership)).length === 0) throw notFound();
    await this.reports.addContentReport({ roomId, eventId, reporter, reason: reason ?? null, receivedTs: this.clock.now() });
  }

  /** POST /rooms/{roomId}/report: any user may report a room this server knows. */
  async reportRoom(reporter: string, roomId: string, reason: string): Promise<void> {
    checkReason(reason);
    if (!(await this.rooms.get(roomId))) throw new MatrixError(404, "M_NOT_FOUND", "The room was not found");
    await this.reports.addContentReport({ roomId, eventId: null, reporter, reason, receivedTs: this.clock.now() });
  }

  /**
   * POST /users/{userId}/report: local users must exist (404 otherwise, as the spec allows). Users of
   * other servers cannot be checked without federation; their reports are kept all the same.
   */
  async reportUser(reporter: string, targetUserId: string, reason: string): Promise<void> {
    checkReason(reason);
    if (!isValidUserId(targetUserId, { historical: true })) throw new MatrixError(400, "M_INVALID_PARAM", "Invalid user ID");
    if (domainOfId(targetUserId) === this.serverName && !(await this.users.exists(targetUserId))) {
      throw new MatrixError(404, "M_NOT_FOUND", "The user was not found");
    }
    await this.reports.addUserReport({ targetUserId, reporter, reason, receivedTs: this.clock.now() });
  }
}
