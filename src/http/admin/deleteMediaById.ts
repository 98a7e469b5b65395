/**
 * DELETE /_synapse/admin/v1/media/{serverName}/{mediaId} — Synapse's admin API "Delete a specific
 * local media": the media, its file (unless other media has the same content) and its thumbnails.
 * Server admins only.
 */
import { defineRoute } from "../route.js";

export const deleteMediaById = defineRoute({
  operationId: "deleteMediaById",
  method: "DELETE",
  paths: ["/_synapse/admin/v1/media/:serverName/:mediaId"],
  auth: "user",
  handle: ({ deps, requester, params }) => deps.mediaAdmin.deleteById(requester!, params["serverName"]!, params["mediaId"]!),
});
