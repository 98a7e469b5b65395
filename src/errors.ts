/**
 * Errors as the Matrix APIs report them: an HTTP status and a spec `errcode`. Thrown from any layer
 * below http/ and rendered in one place (the HTTP error handler).
 */
export type ErrCode =
  | "M_FORBIDDEN"
  | "M_UNKNOWN_TOKEN"
  | "M_MISSING_TOKEN"
  | "M_USER_LOCKED"
  | "M_USER_SUSPENDED"
  | "M_BAD_JSON"
  | "M_NOT_JSON"
  | "M_NOT_FOUND"
  | "M_LIMIT_EXCEEDED"
  | "M_UNRECOGNIZED"
  | "M_UNKNOWN"
  | "M_UNAUTHORIZED"
  | "M_USER_DEACTIVATED"
  | "M_USER_IN_USE"
  | "M_INVALID_USERNAME"
  | "M_ROOM_IN_USE"
  | "M_INVALID_ROOM_STATE"
  | "M_THREEPID_IN_USE"
  | "M_THREEPID_NOT_FOUND"
  | "M_THREEPID_AUTH_FAILED"
  | "M_THREEPID_DENIED"
  | "M_THREEPID_MEDIUM_NOT_SUPPORTED"
  | "M_SERVER_NOT_TRUSTED"
  | "M_UNSUPPORTED_ROOM_VERSION"
  | "M_INCOMPATIBLE_ROOM_VERSION"
  | "M_BAD_STATE"
  | "M_GUEST_ACCESS_FORBIDDEN"
  | "M_CAPTCHA_NEEDED"
  | "M_CAPTCHA_INVALID"
  | "M_MISSING_PARAM"
  | "M_INVALID_PARAM"
  | "M_TOO_LARGE"
  | "M_EXCLUSIVE"
  | "M_RESOURCE_LIMIT_EXCEEDED"
  | "M_CANNOT_LEAVE_SERVER_NOTICE_ROOM"
  | "M_WEAK_PASSWORD"
  | "M_UNABLE_TO_AUTHORISE_JOIN"
  | "M_UNABLE_TO_GRANT_JOIN"
  | "M_NOT_YET_UPLOADED"
  | "M_CANNOT_OVERWRITE_MEDIA"
  | "M_UNKNOWN_POS"
  | "M_URL_NOT_SET"
  | "M_BAD_ALIAS"
  | "M_INVALID_SIGNATURE"
  | "M_WRONG_ROOM_KEYS_VERSION"
  | "M_UNACTIONABLE"
  | "M_UNKNOWN_DEVICE"
  | "M_PROFILE_TOO_LARGE"
  | "M_KEY_TOO_LARGE";

export class MatrixError extends Error {
  override name = "MatrixError";
  constructor(
    readonly status: number,
    readonly errcode: ErrCode,
    message: string,
    /** Extra top-level fields of the error body (`retry_after_ms`, `room_version`, UIA flows...). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }

  toJSON(): Record<string, unknown> {
    return { errcode: this.errcode, error: this.message, ...this.extra };
  }
}

export const forbidden = (message: string): MatrixError => new MatrixError(403, "M_FORBIDDEN", message);
export const notFound = (message: string): MatrixError => new MatrixError(404, "M_NOT_FOUND", message);
export const badJson = (message: string): MatrixError => new MatrixError(400, "M_BAD_JSON", message);
export const notJson = (message: string): MatrixError => new MatrixError(400, "M_NOT_JSON", message);
export const invalidParam = (message: string): MatrixError => new MatrixError(400, "M_INVALID_PARAM", message);
export const missingParam = (message: string): MatrixError => new MatrixError(400, "M_MISSING_PARAM", message);
export const tooLarge = (message: string): MatrixError => new MatrixError(413, "M_TOO_LARGE", message);
export const unknownError = (message = "Internal server error"): MatrixError => new MatrixError(500, "M_UNKNOWN", message);
export const limitExceeded = (retryAfterMs: number): MatrixError =>
  new MatrixError(429, "M_LIMIT_EXCEEDED", "Too many requests", { retry_after_ms: retryAfterMs });
