/**
 * The body of POST /_matrix/push/v1/notify (Push Gateway API) for one pusher. Choices where the spec
 * leaves room, as Synapse makes them (clients and gateways are tested against it):
 * - `prio` is "high" for an encrypted event (its rules may sound) or when the actions set `highlight`
 *   or `sound`, "low" otherwise;
 * - `counts.unread` is sent even when 0, so that reading everything clears the phone's badge; missed
 *   calls are not counted (none is sent, as zero counts are omitted);
 * - with `data.format: "event_id_only"` only the event and room IDs, prio and counts go, and no tweaks;
 * - `devices[0].data` is the pusher's data without `url`; tweaks are the actions' `set_tweak`s, a
 *   tweak without `value` meaning true.
 */
import type { PushAction } from "../../protocol/push/types.js";
import type { PusherRecord } from "../../storage/pusher-store.js";
import type { EventFacts } from "./pusher-event-facts.js";

export interface NotifyBody {
  notification: Record<string, unknown>;
}

export function tweaksOf(actions: readonly PushAction[]): Record<string, unknown> {
  const tweaks: Record<string, unknown> = {};
  for (const action of actions) {
    if (typeof action !== "object" || action === null) continue;
    const tweak = (action as Record<string, unknown>)["set_tweak"];
    if (typeof tweak === "string") tweaks[tweak] = Object.hasOwn(action, "value") ? (action as Record<string, unknown>)["value"] : true;
  }
  return tweaks;
}

function deviceOf(pusher: PusherRecord, tweaks: Record<string, unknown> | undefined): Record<string, unknown> {
  const { url: _url, ...data } = pusher.data;
  return {
    app_id: pusher.appId,
    pushkey: pusher.pushkey,
    pushkey_ts: Math.floor(pusher.pushkeyTs / 1000),
    data,
    ...(tweaks && Object.keys(tweaks).length > 0 ? { tweaks } : {}),
  };
}

export function isEventIdOnly(pusher: PusherRecord): boolean {
  return pusher.data["format"] === "event_id_only";
}

export interface EventNotification {
  facts: EventFacts;
  /** The room's name as the recipient sees it. */
  roomName: string | undefined;
  recipient: string;
  actions: readonly PushAction[];
  badge: number;
  includeContent: boolean;
}

/** A notification about an event. */
export function eventNotification(pusher: PusherRecord, n: EventNotification): NotifyBody {
  const { facts } = n;
  const tweaks = tweaksOf(n.actions);
  const prio = facts.type === "m.room.encrypted" || tweaks["highlight"] || tweaks["sound"] ? "high" : "low";
  const counts = { unread: n.badge };
  if (isEventIdOnly(pusher)) {
    return { notification: { event_id: facts.eventId, room_id: facts.roomId, prio, counts, devices: [deviceOf(pusher, undefined)] } };
  }
  const isMember = facts.type === "m.room.member" && facts.stateKey !== undefined;
  return {
    notification: {
      event_id: facts.eventId,
      room_id: facts.roomId,
      type: facts.type,
      sender: facts.sender,
      sender_display_name: facts.senderDisplayName,
      ...(n.roomName !== undefined ? { room_name: n.roomName } : {}),
      ...(facts.roomAlias !== undefined ? { room_alias: facts.roomAlias } : {}),
      ...(isMember ? { membership: facts.content["membership"], user_is_target: facts.stateKey === n.recipient } : {}),
      prio,
      ...(n.includeContent && Object.keys(facts.content).length > 0 ? { content: facts.content } : {}),
      counts,
      devices: [deviceOf(pusher, tweaks)],
    },
  };
}

/** A notification that only updates the badge (after the user read something). */
export function badgeNotification(pusher: PusherRecord, badge: number): NotifyBody {
  return { notification: { prio: "low", counts: { unread: badge }, devices: [deviceOf(pusher, undefined)] } };
}
