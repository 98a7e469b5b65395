/**
 * The space hierarchy served to other servers (server-server API "Spaces", `GET /hierarchy/{roomId}`):
 * one space and its direct children, without pagination; the requesting server walks further itself
 * and filters for its user. Only rooms that server could peek or join are described
 * (RoomPreview.mayServerPreview); children it could not are named as inaccessible, and children this
 * server is not in are left out (we cannot describe them).
 */
import { MatrixError } from "../../errors.js";
import type { CurrentStateCache, RoomHead } from "../rooms/current-state.js";
import type { RoomStateReader } from "../rooms/room-state-reader.js";
import type { SummaryWithChildren } from "./remote-hierarchy.js";
import type { RoomPreview } from "./room-preview.js";
import { spaceChildren } from "./space-children.js";

export interface FederationHierarchyAnswer {
  room: SummaryWithChildren;
  children: SummaryWithChildren[];
  inaccessible_children: string[];
}

/** Children described in one answer at most (Synapse's cap per space). */
const MAX_CHILDREN = 50;

export class FederationHierarchy {
  constructor(
    private readonly cache: CurrentStateCache,
    private readonly reader: RoomStateReader,
    private readonly preview: RoomPreview,
  ) {}

  /** The space `roomId` as server `origin` may see it; 404 M_NOT_FOUND when it may not see it at all. */
  async hierarchy(origin: string, roomId: string, suggestedOnly: boolean): Promise<FederationHierarchyAnswer> {
    const head = await this.cache.find(roomId);
    // Unknown and closed rooms answer alike, so that the answer tells nothing of a closed room.
    if (!head || !(await this.preview.mayServerPreview(head, origin))) throw new MatrixError(404, "M_NOT_FOUND", "Room not found");
    const room = await this.describe(head, suggestedOnly);
    const children: SummaryWithChildren[] = [];
    const inaccessible: string[] = [];
    for (const child of room.children_state.slice(0, MAX_CHILDREN)) {
      const childHead = await this.cache.find(child.state_key);
      if (!childHead) continue;
      if (await this.preview.mayServerPreview(childHead, origin)) children.push(await this.describe(childHead, suggestedOnly));
      else inaccessible.push(child.state_key);
    }
    return { room, children, inaccessible_children: inaccessible };
  }

  /** A room's summary with its child events when it is a space (empty otherwise, as the spec says). */
  private async describe(head: RoomHead, suggestedOnly: boolean): Promise<SummaryWithChildren> {
    const summary = await this.preview.summary(head);
    return { ...summary, children_state: summary.room_type === "m.space" ? await spaceChildren(this.reader, head, suggestedOnly) : [] };
  }
}
