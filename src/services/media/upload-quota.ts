/**
 * The per-user upload quota (`media.user_quota`). Refused uploads get what Synapse answers for its
 * per-user media upload limits: 400 M_RESOURCE_LIMIT_EXCEEDED "Media upload limit exceeded", with
 * the `admin_contact` the spec requires of that error when one is configured. Concurrent uploads of
 * one user can overshoot the quota by what is in flight: the check is a sum, not a reservation.
 */
import { MatrixError } from "../../errors.js";
import type { MediaStore } from "../../storage/media-store.js";
import type { Clock } from "../clock.js";

export interface QuotaOptions {
  maxBytes: number;
  /** Only uploads of this last period count; unset: everything the user still has stored. */
  periodMs?: number;
  adminContact?: string;
}

export class UploadQuota {
  constructor(
    private readonly store: MediaStore,
    private readonly clock: Clock,
    private readonly options: QuotaOptions | undefined,
  ) {}

  /** Throws when `incomingBytes` more would take the user past the quota. */
  async check(userId: string, incomingBytes: number): Promise<void> {
    const quota = this.options;
    if (!quota) return;
    const since = quota.periodMs === undefined ? undefined : this.clock.now() - quota.periodMs;
    const used = await this.store.bytesUploadedBy(userId, since);
    if (used + incomingBytes > quota.maxBytes) {
      throw new MatrixError(400, "M_RESOURCE_LIMIT_EXCEEDED", "Media upload limit exceeded", quota.adminContact ? { admin_contact: quota.adminContact } : {});
    }
  }
}
