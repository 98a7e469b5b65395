/** POST /_matrix/media/v3/upload — client-server API "Content repository" (uploadContent). */
import { refuseIfSuspended } from "../../../services/accounts/suspension.js";
import { defineRoute } from "../../route.js";
import { uploadInput } from "./media-params.js";
import { mediaPaths } from "./media-paths.js";

export const uploadContent = defineRoute({
  operationId: "uploadContent",
  method: "POST",
  paths: mediaPaths("/upload", ["v3", "r0"]),
  auth: "user",
  streamBody: true,
  handle: async (request) => {
    // Suspended accounts may not send messages, so they may not upload what messages would carry.
    refuseIfSuspended(request.requester);
    return { content_uri: await request.deps.mediaUploads.upload(request.requester!.userId, uploadInput(request)) };
  },
});
