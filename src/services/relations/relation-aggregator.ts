/**
 * Bundled aggregations (client-server API "Aggregations of child events"): `unsigned["m.relations"]`
 * of events served to clients, with `m.thread` (latest event, count, whether the viewer took part),
 * `m.replace` (the most recent valid edit) and `m.reference` (the referencing event IDs). Annotations
 * are not aggregated (spec). State events get none (spec); like Synapse, neither do edits and
 * annotations, which cannot be the parent of a relation. A redacted event keeps its thread and
 * references but loses its edits (spec "Redactions of edited events").
 */
import type { EventStore, StoredEvent } from "../../storage/event-store.js";
import type { RelationStore } from "../../storage/relation-store.js";
import type { EventFormatter, Viewer } from "../rooms/event-formatter.js";
import { relationOf } from "../rooms/room-event-view.js";
import { isValidReplacement, newestFirst } from "./edits.js";

type Aggregations = Record<string, unknown>;

export class RelationAggregator {
  constructor(
    private readonly events: EventStore,
    private readonly relations: RelationStore,
    private readonly formatter: EventFormatter,
  ) {}

  /** The `unsigned` additions (`m.relations`) for a batch of events, keyed by event number. */
  async bundle(list: readonly StoredEvent[], viewer: Viewer | undefined): Promise<Map<number, Record<string, unknown>>> {
    const byRoom = new Map<number, StoredEvent[]>();
    for (const event of list) {
      if (event.pdu.state_key !== undefined) continue;
      const relType = relationOf(event.pdu.content)?.relType;
      if (relType === "m.annotation" || relType === "m.replace") continue;
      const group = byRoom.get(event.roomNid) ?? [];
      group.push(event);
      byRoom.set(event.roomNid, group);
    }
    const out = new Map<number, Record<string, unknown>>();
    for (const [roomNid, events] of byRoom) {
      const found = new Map<string, Aggregations>();
      const add = (eventId: string, relType: string, value: unknown): void => {
        const entry = found.get(eventId) ?? {};
        entry[relType] = value;
        found.set(eventId, entry);
      };
      for (const [id, thread] of await this.threads(roomNid, events, viewer)) add(id, "m.thread", thread);
      for (const [id, edit] of await this.edits(roomNid, events, viewer)) add(id, "m.replace", edit);
      for (const [id, chunk] of await this.references(roomNid, events)) add(id, "m.reference", { chunk });
      for (const event of events) {
        const aggregations = found.get(event.eventId);
        if (aggregations) out.set(event.nid, { "m.relations": aggregations });
      }
    }
    return out;
  }

  /** Thread summaries of the events that are thread roots (events without a relation of their own). */
  private async threads(roomNid: number, events: readonly StoredEvent[], viewer: Viewer | undefined): Promise<Map<string, unknown>> {
    const roots = events.filter((e) => relationOf(e.pdu.content) === undefined);
    const summaries = await this.relations.threadSummaries(roomNid, roots.map((e) => e.eventId));
    const out = new Map<string, unknown>();
    if (summaries.size === 0) return out;
    const rootsById = new Map(roots.map((e) => [e.eventId, e]));
    const participated =
      viewer !== undefined
        ? await this.relations.threadsParticipated(
            roomNid,
            [...summaries.keys()].filter((id) => rootsById.get(id)?.pdu.sender !== viewer.userId),
            viewer.userId,
          )
        : new Set<string>();
    const latestStored = await this.events.getByNids([...summaries.values()].map((s) => s.latestNid));
    // The latest event is served like the event itself, with its own aggregations (its edits).
    const formatted = await this.formatter.format([...latestStored.values()], { viewer });
    const latestById = new Map(formatted.map((e) => [e.event_id, e]));
    for (const [rootId, summary] of summaries) {
      const latest = latestStored.get(summary.latestNid);
      const latestEvent = latest ? latestById.get(latest.eventId) : undefined;
      if (!latestEvent) continue;
      out.set(rootId, {
        latest_event: latestEvent,
        count: summary.count,
        current_user_participated: viewer !== undefined && (rootsById.get(rootId)?.pdu.sender === viewer.userId || participated.has(rootId)),
      });
    }
    return out;
  }

  /** The most recent valid edit of each unredacted event, formatted as a normal event. */
  private async edits(roomNid: number, events: readonly StoredEvent[], viewer: Viewer | undefined): Promise<Map<string, unknown>> {
    const originals = new Map(events.filter((e) => e.redactedByNid === null).map((e) => [e.eventId, e]));
    const candidates = await this.relations.editCandidates(roomNid, [...originals.keys()]);
    const out = new Map<string, unknown>();
    if (candidates.length === 0) return out;
    const byOriginal = new Map<string, typeof candidates>();
    for (const candidate of candidates) {
      const original = originals.get(candidate.relatesToId);
      // Sender and type are checked here already, so that edits by others never need loading.
      if (!original || candidate.sender !== original.pdu.sender || candidate.type !== original.pdu.type) continue;
      const list = byOriginal.get(candidate.relatesToId) ?? [];
      list.push(candidate);
      byOriginal.set(candidate.relatesToId, list);
    }
    const chosen: StoredEvent[] = [];
    const chosenFor = new Map<string, string>();
    for (const [originalId, list] of byOriginal) {
      const original = originals.get(originalId) as StoredEvent;
      for (const candidate of newestFirst(list)) {
        const edit = (await this.events.getByNids([candidate.nid])).get(candidate.nid);
        if (edit && isValidReplacement(original.pdu, edit.pdu, originalId)) {
          chosen.push(edit);
          chosenFor.set(edit.eventId, originalId);
          break;
        }
      }
    }
    for (const edit of await this.formatter.format(chosen, { viewer, bundle: false })) {
      out.set(chosenFor.get(edit.event_id) as string, edit);
    }
    return out;
  }

  private async references(roomNid: number, events: readonly StoredEvent[]): Promise<Map<string, { event_id: string }[]>> {
    const out = new Map<string, { event_id: string }[]>();
    for (const row of await this.relations.references(roomNid, events.map((e) => e.eventId))) {
      const chunk = out.get(row.parentId) ?? [];
      chunk.push({ event_id: row.eventId });
      out.set(row.parentId, chunk);
    }
    return out;
  }
}
