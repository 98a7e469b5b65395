/**
 * GET /_matrix/client/v1/room_summary/{roomIdOrAlias} (client-server API "Room Summaries", v1.15): the
 * summary of a room the caller may preview, with their membership. Rooms they may not preview are not
 * found (as Synapse), so the answer does not reveal that a private room exists.
 */
import { MatrixError } from "../../errors.js";
import type { CurrentStateCache } from "../rooms/current-state.js";
import type { RoomStateReader } from "../rooms/room-state-reader.js";
import type { AliasService } from "./alias-service.js";
import type { RoomPreview } from "./room-preview.js";
import type { RoomSummaryFields } from "./summary-fields.js";

export type RoomSummaryResponse = RoomSummaryFields & { membership?: string };

export class RoomSummaryService {
  constructor(
    private readonly cache: CurrentStateCache,
    private readonly reader: RoomStateReader,
    private readonly aliases: AliasService,
    private readonly preview: RoomPreview,
  ) {}

  /** The summary for `userId`, or for an anonymous caller when undefined (then without `membership`). */
  async summary(roomIdOrAlias: string, userId: string | undefined): Promise<RoomSummaryResponse> {
    if (!roomIdOrAlias.startsWith("!") && !roomIdOrAlias.startsWith("#")) {
      throw new MatrixError(400, "M_INVALID_PARAM", "Expected a room ID or a room alias");
    }
    const roomId = await this.aliases.resolve(roomIdOrAlias);
    const head = await this.cache.find(roomId);
    // Rooms this server is not in would be summarised over federation (`via`), which is not there yet.
    if (!head || !(await this.preview.mayPreview(head, userId))) throw new MatrixError(404, "M_NOT_FOUND", "Room not found");
    const summary: RoomSummaryResponse = await this.preview.summary(head);
    if (userId !== undefined) summary.membership = (await this.reader.membership(head, userId)) ?? "leave";
    return summary;
  }
}
