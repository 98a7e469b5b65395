/** The content repository's routes: uploads, downloads and configuration (thumbnails and URL previews add theirs here). */
import type { Route } from "../../route.js";
import { createContent } from "./createContent.js";
import { getConfig } from "./getConfig.js";
import { getConfigAuthed } from "./getConfigAuthed.js";
import { getContent } from "./getContent.js";
import { getContentAuthed } from "./getContentAuthed.js";
import { getContentOverrideName } from "./getContentOverrideName.js";
import { getContentOverrideNameAuthed } from "./getContentOverrideNameAuthed.js";
import { uploadContent } from "./uploadContent.js";
import { uploadContentToMXC } from "./uploadContentToMXC.js";
import { getContentThumbnail } from "./getContentThumbnail.js";
import { getContentThumbnailAuthed } from "./getContentThumbnailAuthed.js";
import { getUrlPreview } from "./getUrlPreview.js";
import { getUrlPreviewAuthed } from "./getUrlPreviewAuthed.js";

export const mediaRoutes: Route<unknown>[] = [
  uploadContent,
  createContent,
  uploadContentToMXC,
  getContentAuthed,
  getContentOverrideNameAuthed,
  getContent,
  getContentOverrideName,
  getConfigAuthed,
  getConfig,
  getContentThumbnailAuthed,
  getContentThumbnail,
  getUrlPreviewAuthed,
  getUrlPreview,
] as Route<unknown>[];
