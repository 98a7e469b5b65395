/**
 * Applies redactions as they are persisted (rooms/fragments/v3-handling-redactions.md): the redaction
 * is recorded against its target's ID; when the target is known (now or when it arrives later) and
 * the redaction is valid for it (same room, and the sender may redact: the target's own sender, a
 * member with the redact power level, or from v3 on the target sender's server), the target is marked
 * redacted and served redacted from then on.
 */
import { stateKey, type RoomEvent } from "../../protocol/event.js";
import { domainOfId } from "../../protocol/identifiers.js";
import { readPowerLevels, userPowerLevel } from "../../protocol/power-levels.js";
import { authStateFromMap } from "../../protocol/auth/auth-state.js";
import type { EventStore, StoredEvent } from "../../storage/event-store.js";
import type { PersistContext } from "./event-persister.js";
import { roomEventOf } from "./room-event-view.js";

export function redactionHook(events: EventStore): (context: PersistContext) => Promise<void> {
  return async (context) => {
    const { tx, event, head } = context;
    if (event.type === "m.room.redaction" && typeof event.redacts === "string") {
      await events.insertRedaction(tx.db, context.eventNid, event.redacts, head.room.roomNid);
      const target = await events.getById(event.redacts, tx.db);
      if (target && (await mayRedact(events, context, event, target))) {
        await events.markRedacted(tx.db, target.nid, context.eventNid);
        context.afterCommit(() => events.uncacheEvent(target.nid));
      }
    }
    // A redaction that arrived before its target (federation) applies now.
    if (context.createdHere) return;
    const earlier = await events.redactionsOf(event.event_id, tx.db);
    if (earlier.length > 0) {
      const redactions = await events.getByNids(earlier, tx.db);
      for (const redaction of redactions.values()) {
        if (redaction.roomNid !== head.room.roomNid) continue;
        const redactionEvent = roomEventOf(redaction, head.version);
        const self = { nid: context.eventNid, pdu: context.pdu, roomNid: head.room.roomNid } as StoredEvent;
        if (await mayRedact(events, context, redactionEvent, self)) {
          await events.markRedacted(tx.db, context.eventNid, redaction.nid);
          break;
        }
      }
    }
  };
}

async function mayRedact(events: EventStore, context: PersistContext, redaction: RoomEvent, target: StoredEvent): Promise<boolean> {
  if (target.roomNid !== context.head.room.roomNid) return false;
  if (target.pdu.sender === redaction.sender) return true;
  // The target's server may redact its users' events (v1–2 auth rules; v3+ "handling redactions").
  if (domainOfId(target.pdu.sender) === domainOfId(redaction.sender)) return true;
  // Otherwise the redaction sender needs the redact power level in the state before the redaction.
  const ids = [stateKey("m.room.create", ""), stateKey("m.room.power_levels", "")].map((k) => context.stateBefore.get(k)).filter((id): id is string => id !== undefined);
  const found = await events.getByIds(ids, context.tx.db);
  const map = new Map([...found.values()].map((e) => [stateKey(e.pdu.type, e.pdu.state_key ?? ""), roomEventOf(e, context.head.version)]));
  const authState = authStateFromMap(map);
  const levels = readPowerLevels(context.head.version, map.get(stateKey("m.room.power_levels", ""))?.content);
  return userPowerLevel(context.head.version, redaction.sender, authState) >= levels.redact;
}
