/** Reports of events, rooms and users, kept for the server's administrators. */
import type { Db } from "./db.js";

export interface ContentReport {
  id: number;
  roomId: string;
  /** Null for a report of the whole room. */
  eventId: string | null;
  reporter: string;
  reason: string | null;
  receivedTs: number;
}

export interface UserReport {
  id: number;
  targetUserId: string;
  reporter: string;
  reason: string;
  receivedTs: number;
}

export class ReportStore {
  constructor(private readonly db: Db) {}

  /** Records a report of an event, or of a room when `eventId` is null. */
  async addContentReport(report: Omit<ContentReport, "id">): Promise<void> {
    await this.db.kysely
      .insertInto("event_reports")
      .values({
        room_id: report.roomId,
        event_id: report.eventId,
        reporter: report.reporter,
        reported_user: null,
        reason: report.reason,
        score: null,
        received_ts: report.receivedTs,
      })
      .execute();
  }

  async addUserReport(report: Omit<UserReport, "id">): Promise<void> {
    await this.db.kysely
      .insertInto("user_reports")
      .values({ target_user_id: report.targetUserId, reporter: report.reporter, reason: report.reason, received_ts: report.receivedTs })
      .execute();
  }

  /** Reports of events and rooms, oldest first (administration). */
  async contentReports(options: { roomId?: string } = {}): Promise<ContentReport[]> {
    let query = this.db.kysely.selectFrom("event_reports").selectAll().orderBy("id");
    if (options.roomId !== undefined) query = query.where("room_id", "=", options.roomId);
    return (await query.execute()).map((r) => ({
      id: Number(r.id),
      roomId: r.room_id,
      eventId: r.event_id,
      reporter: r.reporter,
      reason: r.reason,
      receivedTs: Number(r.received_ts),
    }));
  }

  /** Reports of users, oldest first (administration). */
  async userReports(options: { targetUserId?: string } = {}): Promise<UserReport[]> {
    let query = this.db.kysely.selectFrom("user_reports").selectAll().orderBy("id");
    if (options.targetUserId !== undefined) query = query.where("target_user_id", "=", options.targetUserId);
    return (await query.execute()).map((r) => ({
      id: Number(r.id),
      targetUserId: r.target_user_id,
      reporter: r.reporter,
      reason: r.reason,
      receivedTs: Number(r.received_ts),
    }));
  }
}
