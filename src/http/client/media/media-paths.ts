/** Paths of the media endpoints: the client API's `/_matrix/client/v1/media/...` and the older `/_matrix/media/...`. */

const MEDIA_PREFIX = "/_matrix/media";

/** `/_matrix/media/{version}{path}` for each version (Fastify path syntax, `:param`). */
export function mediaPaths(path: string, versions: readonly string[]): string[] {
  return versions.map((version) => `${MEDIA_PREFIX}/${version}${path}`);
}
