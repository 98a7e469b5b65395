/**
 * What state resolution reads from its caller. Resolution is pure and synchronous: the caller
 * (the persist pipeline, backed by storage) hands in every event it may need through `EventSource`.
 */
import type { RoomEvent } from "../event.js";

/** Looks events up by ID. `undefined` means the event is not available (see resolve-state.ts). */
export interface EventSource {
  get(eventId: string): RoomEvent | undefined;
}

export interface StateResOptions {
  /**
   * The auth chain of an event as the spec defines it: every event reachable through `auth_events`,
   * NOT including the event itself (for room version 12, the create event counts as an auth event of
   * every other event). Storage may answer from an index; the default walks `auth_events` through
   * the source, memoised for the duration of one resolution.
   */
  authChain?(eventId: string): ReadonlySet<string>;
  /**
   * Whether an event was rejected. Rejected events are never used as auth events during the
   * iterative auth checks (rooms/v2 "Rejected events"); by default no event is rejected.
   */
  isRejected?(eventId: string): boolean;
}
