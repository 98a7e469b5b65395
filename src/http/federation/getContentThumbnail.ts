/**
 * GET /_matrix/federation/v1/media/thumbnail/{mediaId} — server-server API "Content Repository"
 * (getContentThumbnail): a thumbnail of our local media for another server, made and cached by the
 * thumbnail service exactly as for our own clients.
 */
import { thumbnailRequest, thumbnailFileName } from "../client/media/getContentThumbnailRequest.js";
import { dispositionHeader } from "../client/media/content-disposition.js";
import { defineRoute } from "../route.js";
import { multipartMediaResponse } from "./multipart-media.js";

export const getFederationContentThumbnail = defineRoute({
  operationId: "getContentThumbnail",
  method: "GET",
  paths: ["/_matrix/federation/v1/media/thumbnail/:mediaId"],
  auth: "server",
  handle: async (request) => {
    // The path has no server name: the media is ours, and never fetched from elsewhere.
    const params = { ...request.params, serverName: request.deps.config.server_name };
    const thumbnail = await request.deps.thumbnails.thumbnail({ ...thumbnailRequest({ ...request, params }, false), allowRemote: false });
    const contentType = thumbnail.contentType.split(";", 1)[0]!.trim().toLowerCase();
    return multipartMediaResponse({
      contentType,
      contentDisposition: dispositionHeader("inline", thumbnailFileName(contentType)),
      body: thumbnail.kind === "bytes" ? thumbnail.data : thumbnail.stream,
      size: thumbnail.kind === "bytes" ? thumbnail.data.length : thumbnail.size,
    });
  },
});
