/** Tables of accounts: users, profiles, devices, tokens, user-interactive auth. */
import type { Generated } from "kysely";

export interface UsersTable {
  user_id: string;
  password_hash: string | null;
  created_ts: number;
  is_admin: number;
  is_guest: number;
  deactivated: number;
  locked: number;
  suspended: number;
  shadow_banned: number;
  user_type: string | null;
  appservice_id: string | null;
}

/** Profile fields (displayname, avatar_url, m.tz and custom keys), each value as JSON text. */
export interface ProfileFieldsTable {
  user_id: string;
  field: string;
  value: string;
}

export interface DevicesTable {
  user_id: string;
  device_id: string;
  display_name: string | null;
  created_ts: number;
  last_seen_ts: number | null;
  last_seen_ip: string | null;
  last_seen_user_agent: string | null;
  /** Devices the user does not manage directly (dehydrated devices). */
  hidden: number;
}

export interface AccessTokensTable {
  id: Generated<number>;
  /** SHA-256 of the token: a database leak does not leak usable tokens. */
  token_hash: string;
  user_id: string;
  device_id: string | null;
  created_ts: number;
  valid_until_ts: number | null;
  refresh_token_id: number | null;
  /** Set once the client used it, so the refresh token it replaced can be retired. */
  used: number;
  /** For admin-issued tokens that act as another user. */
  puppets_user_id: string | null;
}

export interface RefreshTokensTable {
  id: Generated<number>;
  token_hash: string;
  user_id: string;
  device_id: string;
  created_ts: number;
  expiry_ts: number | null;
  /** The refresh token that replaced this one; the old one keeps working until the new one is used. */
  next_token_id: number | null;
}

export interface LoginTokensTable {
  token_hash: string;
  user_id: string;
  expiry_ts: number;
  used_ts: number | null;
}

export interface OpenIdTokensTable {
  token: string;
  user_id: string;
  expiry_ts: number;
}

export interface UiaSessionsTable {
  session_id: string;
  created_ts: number;
  user_id: string | null;
  /** method + path + hash of the body of the first request: later requests must match. */
  request_fingerprint: string;
  completed_stages: string;
  /** Parameters the client sent with the first request (registration keeps them across stages). */
  client_dict: string;
  /** Per-stage results (registration token used, email validated...). */
  results: string;
}

export interface RegistrationTokensTable {
  token: string;
  uses_allowed: number | null;
  pending: number;
  completed: number;
  expiry_ts: number | null;
}

export interface UserThreepidsTable {
  medium: string;
  address: string;
  user_id: string;
  validated_ts: number;
  added_ts: number;
}

export interface AccountsTables {
  user_threepids: UserThreepidsTable;
  users: UsersTable;
  profile_fields: ProfileFieldsTable;
  devices: DevicesTable;
  access_tokens: AccessTokensTable;
  refresh_tokens: RefreshTokensTable;
  login_tokens: LoginTokensTable;
  openid_tokens: OpenIdTokensTable;
  uia_sessions: UiaSessionsTable;
  registration_tokens: RegistrationTokensTable;
}
