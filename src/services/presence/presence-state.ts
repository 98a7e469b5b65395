/**
 * The presence state machine of one local user (client-server API "Presence"), without I/O: what a
 * sync, an explicit update, activity or the passing of time does to the state, when the next timeout
 * falls due, and the `m.presence` content clients see.
 */

export const PRESENCE_STATES = ["online", "unavailable", "offline"] as const;
export type PresenceState = (typeof PRESENCE_STATES)[number];

/**
 * How long after the last activity a user counts as `currently_active`; while they do, further
 * activity does not produce presence updates (Synapse's granularity, one minute).
 */
export const ACTIVE_GRANULARITY_MS = 60_000;

export interface PresenceTimeouts {
  /** Online without activity for this long becomes unavailable (spec "Idle timeout"). */
  idleMs: number;
  /** Not syncing (and no explicit update or activity) for this long becomes offline. */
  offlineMs: number;
}

export interface UserPresence {
  state: PresenceState;
  statusMsg: string | null;
  lastActiveTs: number;
  /** When the user last started or finished a sync, or set their presence: contact with a client. */
  lastUserSyncTs: number;
  currentlyActive: boolean;
  /** /sync requests of the user in progress. */
  syncing: number;
}

export function offlinePresence(): UserPresence {
  return { state: "offline", statusMsg: null, lastActiveTs: 0, lastUserSyncTs: 0, currentlyActive: false, syncing: 0 };
}

/** Applies the timeouts that have passed at `now` and recomputes `currentlyActive`. */
export function applyTimeouts(p: UserPresence, now: number, timeouts: PresenceTimeouts): void {
  if (p.state === "online" && now - p.lastActiveTs >= timeouts.idleMs) p.state = "unavailable";
  if (p.state !== "offline" && p.syncing === 0 && now - Math.max(p.lastUserSyncTs, p.lastActiveTs) >= timeouts.offlineMs) p.state = "offline";
  p.currentlyActive = p.state === "online" && now - p.lastActiveTs < ACTIVE_GRANULARITY_MS;
}

/** When applyTimeouts next has something to do; undefined when nothing will change by itself. */
export function nextDeadline(p: UserPresence, timeouts: PresenceTimeouts): number | undefined {
  if (p.state === "offline") return undefined;
  const deadlines: number[] = [];
  if (p.state === "online") deadlines.push(p.lastActiveTs + timeouts.idleMs);
  if (p.currentlyActive) deadlines.push(p.lastActiveTs + ACTIVE_GRANULARITY_MS);
  if (p.syncing === 0) deadlines.push(Math.max(p.lastUserSyncTs, p.lastActiveTs) + timeouts.offlineMs);
  return deadlines.length > 0 ? Math.min(...deadlines) : undefined;
}

/**
 * A sync starts with `set_presence` online or unavailable. Syncing is not activity: an offline user
 * comes online, but an idle (unavailable) one stays idle until they do something.
 */
export function syncStarted(p: UserPresence, setPresence: "online" | "unavailable", now: number): void {
  p.syncing++;
  p.lastUserSyncTs = now;
  if (setPresence === "unavailable") p.state = "unavailable";
  else if (p.state === "offline") {
    p.state = "online";
    p.lastActiveTs = now;
  }
}

export function syncEnded(p: UserPresence, now: number): void {
  p.syncing = Math.max(0, p.syncing - 1);
  p.lastUserSyncTs = now;
}

/** PUT /presence/{userId}/status. Setting online is activity; any explicit update counts as contact. */
export function explicitlySet(p: UserPresence, state: PresenceState, statusMsg: string | null, now: number): void {
  p.state = state;
  p.statusMsg = statusMsg;
  p.lastUserSyncTs = now;
  if (state === "online") p.lastActiveTs = now;
}

/** A pro-active event (a message, a receipt, typing): the user is online and active now (spec). */
export function activity(p: UserPresence, now: number): void {
  p.lastActiveTs = now;
  p.state = "online";
}

/** Whether clients need to hear about the change from `before` to `after`. */
export function worthNotifying(before: UserPresence, after: UserPresence): boolean {
  return before.state !== after.state || before.statusMsg !== after.statusMsg || before.currentlyActive !== after.currentlyActive;
}

/** The content of an `m.presence` event or of GET /presence/{userId}/status, as seen at `now`. */
export function presenceContent(p: Pick<UserPresence, "state" | "statusMsg" | "lastActiveTs" | "currentlyActive">, now: number): Record<string, unknown> {
  const content: Record<string, unknown> = { presence: p.state };
  if (p.lastActiveTs > 0) content["last_active_ago"] = Math.max(0, now - p.lastActiveTs);
  if (p.statusMsg !== null) content["status_msg"] = p.statusMsg;
  // As Synapse, currently_active is only meaningful (and only sent) while online.
  if (p.state === "online") content["currently_active"] = p.currentlyActive;
  return content;
}
