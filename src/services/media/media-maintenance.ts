/**
 * The media repository's periodic job: forgets asynchronous-upload URIs that expired unused and, when
 * `media.local_retention_days` is set, deletes local media nobody has downloaded for that long
 * (avatars and quarantined media are kept, as Synapse's media retention keeps them); drops cached
 * remote media not accessed for `media.remote_media_retention_days` (its origin still has it: a
 * later request fetches it again).
 */
import type { Logger } from "../../logger.js";
import type { MediaStore } from "../../storage/media-store.js";
import type { Clock } from "../clock.js";
import type { MediaService } from "./media-service.js";

const DAY_MS = 86_400_000;
const INTERVAL_MS = 3_600_000;
const BATCH = 500;

export interface MaintenanceResult {
  expiredPending: number;
  deleted: number;
  /** Cached remote media removed. */
  remoteDeleted: number;
}

export class MediaMaintenance {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<MaintenanceResult> | undefined;

  constructor(
    private readonly media: MediaService,
    private readonly store: MediaStore,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly options: { serverName: string; retentionDays: number | undefined; remoteRetentionDays?: number | undefined },
  ) {}

  /** Runs the job every hour from now on. */
  start(): void {
    this.timer = setInterval(() => {
      this.runOnce().catch((error: unknown) => this.log.error({ err: error }, "media maintenance failed"));
    }, INTERVAL_MS);
    this.timer.unref();
  }

  /** One run (at most one at a time); `now` can be moved by tests. */
  runOnce(now = this.clock.now()): Promise<MaintenanceResult> {
    this.running ??= this.run(now).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  private async run(now: number): Promise<MaintenanceResult> {
    const expiredPending = await this.store.deleteExpiredPending(now);
    let deleted = 0;
    const days = this.options.retentionDays;
    if (days !== undefined) {
      const beforeTs = now - days * DAY_MS;
      for (;;) {
        const ids = await this.store.idsLastAccessedBefore(this.options.serverName, { beforeTs, sizeGt: -1, keepAvatars: true, limit: BATCH });
        if (ids.length === 0) break;
        const gone = await this.media.deleteMedia(this.options.serverName, ids);
        deleted += gone.length;
        if (gone.length === 0) break;
      }
    }
    const remoteDays = this.options.remoteRetentionDays;
    const remoteDeleted = remoteDays === undefined ? 0 : await this.media.purgeRemoteCache(now - remoteDays * DAY_MS);
    if (expiredPending > 0 || deleted > 0 || remoteDeleted > 0) this.log.info({ expiredPending, deleted, remoteDeleted }, "media maintenance");
    return { expiredPending, deleted, remoteDeleted };
  }
}
