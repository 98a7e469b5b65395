/**
 * GET /admin/whois/{userId} (client-server API "Server Administration"): a user's devices with their
 * sessions and connections. Admins may look up anyone on this server, users only themselves; the
 * permission is checked before the user is looked up, so the answer reveals nothing about who exists.
 * Tessera keeps the last connection of each device (its last-seen IP, user agent and time): each
 * device has one session with that connection, or none if the device was never seen.
 */
import { MatrixError } from "../../errors.js";
import { parseUserId } from "../../protocol/identifiers.js";
import type { DeviceStore } from "../../storage/device-store.js";
import type { Requester } from "../accounts/requester.js";

export interface WhoisConnection {
  ip: string;
  last_seen: number;
  user_agent?: string;
}

export interface Whois {
  user_id: string;
  devices: Record<string, { sessions: { connections: WhoisConnection[] }[] }>;
}

export class WhoisService {
  constructor(
    private readonly devices: DeviceStore,
    private readonly serverName: string,
  ) {}

  /** What the requester may know of `userId`'s sessions. */
  async whois(requester: Pick<Requester, "userId" | "isAdmin">, userId: string): Promise<Whois> {
    if (userId !== requester.userId && !requester.isAdmin) throw new MatrixError(403, "M_FORBIDDEN", "You are not a server admin");
    const parts = parseUserId(userId, { historical: true });
    if (!parts) throw new MatrixError(400, "M_INVALID_PARAM", "Invalid user ID");
    if (parts.serverName !== this.serverName) throw new MatrixError(400, "M_INVALID_PARAM", "Can only look up users of this server");
    // An unknown local user has no devices (Synapse answers the same, with no 404).
    const devices: Whois["devices"] = {};
    for (const device of await this.devices.list(userId)) {
      const connections: WhoisConnection[] = [];
      if (device.lastSeenTs !== null && device.lastSeenIp !== null) {
        connections.push({ ip: device.lastSeenIp, last_seen: device.lastSeenTs, ...(device.lastSeenUserAgent !== null ? { user_agent: device.lastSeenUserAgent } : {}) });
      }
      devices[device.deviceId] = { sessions: [{ connections }] };
    }
    return { user_id: userId, devices };
  }
}
