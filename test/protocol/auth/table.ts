/**
 * Runs a table of auth-rule cases. Each row runs for each of its room versions twice: against the
 * state directly (checkEventAuth) and against the auth events that auth events selection picks from
 * that state (checkEventAuthWithAuthEvents), which also proves the selection covers what the rules read.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { authEventKeys } from "../../../src/protocol/auth/auth-event-selection.js";
import { AuthError, authStateFromEvents } from "../../../src/protocol/auth/auth-state.js";
import { checkEventAuth, checkEventAuthWithAuthEvents } from "../../../src/protocol/auth/check-auth.js";
import type { RoomEvent } from "../../../src/protocol/event.js";
import type { JsonObject } from "../../../src/protocol/json.js";
import { Room } from "./room-builder.js";

export interface Row {
  name: string;
  versions: string[];
  /** Content for the room's create event (merged over the defaults). */
  create?: JsonObject;
  state: (room: Room) => RoomEvent[];
  event: (room: Room) => RoomEvent;
  /** The `rule` of the expected AuthError; absent means the event is allowed. */
  reject?: string;
  /** Only run against the state (the row is about state the auth events cannot express). */
  stateOnly?: boolean;
}

export function expectOutcome(check: () => void, reject: string | undefined): void {
  if (reject === undefined) {
    try {
      check();
    } catch (error) {
      assert.fail(`expected allowed, got ${error instanceof AuthError ? `AuthError ${error.rule}: ${error.message}` : String(error)}`);
    }
    return;
  }
  try {
    check();
  } catch (error) {
    if (!(error instanceof AuthError)) throw error;
    assert.equal(error.rule, reject, `rejected by ${error.rule} (${error.message}) instead of ${reject}`);
    return;
  }
  assert.fail(`expected rejection by ${reject}, but the event was allowed`);
}

/** The auth events a well-behaved server would cite for `event` in `state`. */
export function selectAuthEvents(room: Room, event: RoomEvent, state: readonly RoomEvent[]): RoomEvent[] {
  const lookup = authStateFromEvents(state);
  const out: RoomEvent[] = [];
  for (const [type, key] of authEventKeys(room.version, event)) {
    const found = lookup(type, key);
    if (found) out.push(found);
  }
  return out;
}

export function runTable(title: string, rows: readonly Row[]): void {
  describe(title, () => {
    for (const row of rows) {
      for (const versionId of row.versions) {
        test(`v${versionId}: ${row.name}`, () => {
          const room = new Room(versionId, row.create ?? {});
          const state = row.state(room);
          const event = row.event(room);
          expectOutcome(() => checkEventAuth(room.version, event, authStateFromEvents(state)), row.reject);
          if (row.stateOnly || event.type === "m.room.create") return;
          const authEvents = selectAuthEvents(room, event, state);
          const cited = { ...event, auth_events: authEvents.map((e) => e.event_id) };
          const create = state.find((e) => e.type === "m.room.create");
          expectOutcome(() => checkEventAuthWithAuthEvents(room.version, cited, authEvents, create), row.reject);
        });
      }
    }
  });
}
