/**
 * Room tags (client-server API "Room Tagging"): the `m.tag` room account data, whose `tags` map each
 * tag name to its data (an `order` in [0, 1]). Changed one tag at a time, atomically with respect to
 * the user's other account-data writes.
 */
import { MatrixError } from "../../errors.js";
import type { Requester } from "../accounts/requester.js";
import type { AccountDataContent, AccountDataService } from "./account-data-service.js";

const TAG_TYPE = "m.tag";
/** "The name of a tag MUST NOT exceed 255 bytes." */
const MAX_TAG_BYTES = 255;

function tagsOf(content: AccountDataContent | undefined): Record<string, unknown> {
  const tags = content?.["tags"];
  return tags !== null && typeof tags === "object" && !Array.isArray(tags) ? (tags as Record<string, unknown>) : {};
}

export class TagService {
  constructor(private readonly accountData: AccountDataService) {}

  /** GET /user/{userId}/rooms/{roomId}/tags. */
  async getTags(requester: Requester, userId: string, roomId: string): Promise<{ tags: Record<string, unknown> }> {
    this.accountData.checkAccess(requester, userId, roomId);
    return { tags: tagsOf(await this.accountData.get(userId, roomId, TAG_TYPE)) };
  }

  /** PUT /user/{userId}/rooms/{roomId}/tags/{tag}: adds the tag or replaces its data. */
  async setTag(requester: Requester, userId: string, roomId: string, tag: string, data: Record<string, unknown>): Promise<void> {
    this.accountData.checkAccess(requester, userId, roomId);
    if (tag.length === 0 || Buffer.byteLength(tag) > MAX_TAG_BYTES) throw new MatrixError(400, "M_INVALID_PARAM", `A tag name must have 1 to ${MAX_TAG_BYTES} bytes`);
    // Synapse does not check the range of `order`; its type must be a number for clients to sort by it.
    if (data["order"] !== undefined && typeof data["order"] !== "number") throw new MatrixError(400, "M_BAD_JSON", "order must be a number");
    await this.accountData.update(userId, roomId, TAG_TYPE, (current) => ({ ...current, tags: { ...tagsOf(current), [tag]: data } }));
  }

  /** DELETE /user/{userId}/rooms/{roomId}/tags/{tag}: succeeds whether or not the tag was set. */
  async deleteTag(requester: Requester, userId: string, roomId: string, tag: string): Promise<void> {
    this.accountData.checkAccess(requester, userId, roomId);
    await this.accountData.update(userId, roomId, TAG_TYPE, (current) => {
      const tags = tagsOf(current);
      if (!Object.hasOwn(tags, tag)) return undefined;
      const { [tag]: _removed, ...rest } = tags;
      return { ...current, tags: rest };
    });
  }
}
