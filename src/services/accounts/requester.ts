/** Who is making a client request, as resolved from the access token. */
export interface Requester {
  readonly userId: string;
  readonly deviceId: string | undefined;
  readonly tokenId: number;
  readonly isGuest: boolean;
  readonly isAdmin: boolean;
  /** The account is suspended (account moderation): it may read but not act. */
  readonly isSuspended?: boolean;
  /** Set when the token belongs to an application service acting as one of its users. */
  readonly appserviceId?: string;
}
