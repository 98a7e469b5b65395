/**
 * The configuration schema: one zod schema that is both the validator and the TypeScript type.
 * Every key is documented in docs/config.md; defaults here are what a fresh `tessera start` uses.
 */
import { z } from "zod";
import { DEFAULT_IP_RANGE_BLOCKLIST, ipRangeSchema } from "./ip-ranges.js";
import { isValidRoomAlias, isValidRoomId, isValidUserId } from "../protocol/identifiers.js";
import { DEFAULT_MEDIA_CONFIG, mediaConfigSchema } from "./media-schema.js";
import { DEFAULT_PUSH_CONFIG, pushConfigSchema } from "./push-schema.js";
import { DEFAULT_ROOM_VERSION, SUPPORTED_ROOM_VERSIONS } from "../protocol/room-versions.js";

const listenerSchema = z
  .object({
    port: z.number().int().min(0).max(65535),
    bind_address: z.string().min(1).default("127.0.0.1"),
    resources: z.array(z.enum(["client", "federation", "media", "metrics"])).min(1).default(["client", "federation"]),
    tls: z.object({ cert: z.string().min(1), key: z.string().min(1) }).strict().optional(),
    /** Trust X-Forwarded-For from a reverse proxy in front of this listener. */
    x_forwarded: z.boolean().default(false),
  })
  .strict();

/** A notary server and, optionally, the keys it must sign with (as Synapse's trusted_key_servers). */
const trustedKeyServerSchema = z
  .object({ server_name: z.string().min(1), verify_keys: z.record(z.string(), z.string()).optional() })
  .strict();

const rateSchema = z.object({ per_second: z.number().positive(), burst: z.number().int().positive() }).strict();

/** One way to reach the server's administrators, as GET /.well-known/matrix/support lists it. */
const supportContactSchema = z
  .object({
    matrix_id: z.string().refine((id) => isValidUserId(id, { historical: true }), "must be a Matrix user ID").optional(),
    email_address: z.string().email().optional(),
    /** `m.role.admin`, `m.role.security` or a namespaced role of your own. */
    role: z.string().min(1),
  })
  .strict()
  .refine((contact) => contact.matrix_id !== undefined || contact.email_address !== undefined, "a contact needs matrix_id or email_address");

/** The spec requires at least one of a non-empty `contacts` or `support_page`. */
const supportSchema = z
  .object({ contacts: z.array(supportContactSchema).optional(), support_page: z.string().url().optional() })
  .strict()
  .refine((support) => (support.contacts?.length ?? 0) > 0 || support.support_page !== undefined, "needs at least one contact or a support_page");

export const configSchema = z
  .object({
    server_name: z.string().min(1).default("localhost"),
    /** The version of rooms created without one (and the capability clients read); servers of older software may need an older one. */
    default_room_version: z
      .string()
      .refine((v) => SUPPORTED_ROOM_VERSIONS.includes(v), `must be one of ${SUPPORTED_ROOM_VERSIONS.join(", ")}`)
      .default(DEFAULT_ROOM_VERSION),
    /** Base URL clients reach the client API at (for well-known and links); derived from the first listener when unset. */
    public_baseurl: z.string().url().optional(),
    listeners: z.array(listenerSchema).min(1).default([{ port: 8008, bind_address: "127.0.0.1", resources: ["client", "federation"], x_forwarded: false }]),
    /** `sqlite:<path>` (relative to the working directory) or `postgres://user@host:5432/dbname`. */
    database: z
      .string()
      .regex(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/, "must be sqlite:<path> or postgres://...")
      .default("sqlite:./data/tessera.db"),
    /** PostgreSQL schema to use (tests isolate themselves this way). */
    database_schema: z.string().regex(/^[a-z_][a-z0-9_]*$/).optional(),
    /**
     * SQLite durability: `full` fsyncs every commit (survives power loss); `normal` (WAL) survives any crash
     * of Tessera itself but may lose the last commits on power loss, and is several times faster.
     */
    sqlite_synchronous: z.enum(["normal", "full"]).default("normal"),
    data_dir: z.string().min(1).default("./data"),
    log_level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    /** How often free C heap pages go back to the kernel (memory-trimmer.ts); 0: never. */
    memory_trim_interval_ms: z.number().int().min(0).default(60_000),
    registration: z
      .object({
        /** Open registration through the API. With tokens_required, a registration token is still needed. */
        enabled: z.boolean().default(false),
        /** Require the m.login.registration_token stage (tokens made with `tessera registration-token`). */
        tokens_required: z.boolean().default(true),
        /** Secret for POST /_synapse/admin/v1/register (nonce + HMAC-SHA1). Unset disables it. */
        shared_secret: z.string().min(16).optional(),
        allow_guests: z.boolean().default(false),
        /** Rooms every new account joins automatically (aliases or room IDs). */
        auto_join_rooms: z
          .array(z.string().refine((room) => isValidRoomAlias(room) || isValidRoomId(room), { message: "must be a room alias (#name:server) or a room ID" }))
          .default([]),
      })
      .strict()
      .default({ enabled: false, tokens_required: true, allow_guests: false, auto_join_rooms: [] }),
    password: z
      .object({ enabled: z.boolean().default(true), minimum_length: z.number().int().min(0).default(8) })
      .strict()
      .default({ enabled: true, minimum_length: 8 }),
    rate_limits: z
      .object({
        enabled: z.boolean().default(true),
        message: rateSchema.default({ per_second: 10, burst: 50 }),
        login: rateSchema.default({ per_second: 0.5, burst: 5 }),
        registration: rateSchema.default({ per_second: 0.2, burst: 5 }),
        /** Users and appservices listed here are never limited. */
        exempt_users: z.array(z.string()).default([]),
      })
      .strict()
      .default({
        enabled: true,
        message: { per_second: 10, burst: 50 },
        login: { per_second: 0.5, burst: 5 },
        registration: { per_second: 0.2, burst: 5 },
        exempt_users: [],
      }),
    limits: z
      .object({
        /** Largest JSON request body accepted, in bytes (rejected before buffering). */
        max_request_body_bytes: z.number().int().positive().default(1024 * 1024),
        /** Longest /sync long-poll, in milliseconds. */
        max_sync_timeout_ms: z.number().int().positive().default(60_000),
      })
      .strict()
      .default({ max_request_body_bytes: 1024 * 1024, max_sync_timeout_ms: 60_000 }),
    tokens: z
      .object({
        /** Access token lifetime when the client asks for refresh tokens (ms). Without refresh tokens access tokens do not expire. */
        access_token_lifetime_ms: z.number().int().positive().default(5 * 60_000),
        refresh_token_lifetime_ms: z.number().int().positive().optional(),
        login_token_lifetime_ms: z.number().int().positive().default(120_000),
      })
      .strict()
      .default({ access_token_lifetime_ms: 5 * 60_000, login_token_lifetime_ms: 120_000 }),
    presence: z
      .object({
        /** Off: no presence is tracked or sent in /sync; the endpoints still answer. */
        enabled: z.boolean().default(true),
        /** Online without activity for this long becomes unavailable (ms). */
        idle_timeout_ms: z.number().int().positive().default(300_000),
        /** A user who stopped syncing becomes offline after this long (ms). */
        offline_timeout_ms: z.number().int().positive().default(30_000),
        /** Off: our users' presence is not sent to other servers and theirs is not taken in (m.presence EDUs). */
        federation: z.boolean().default(true),
      })
      .strict()
      .default({ enabled: true, idle_timeout_ms: 300_000, offline_timeout_ms: 30_000, federation: true }),
    room_directory: z
      .object({ publish_requires_admin: z.boolean().default(false) })
      .strict()
      .default({ publish_requires_admin: false }),
    turn: z
      .object({
        uris: z.array(z.string()).default([]),
        shared_secret: z.string().optional(),
        username: z.string().optional(),
        password: z.string().optional(),
        user_lifetime_ms: z.number().int().positive().default(86_400_000),
        allow_guests: z.boolean().default(true),
      })
      .strict()
      .default({ uris: [], user_lifetime_ms: 86_400_000, allow_guests: true }),
    server_notices: z
      .object({
        localpart: z.string().default("notices"),
        display_name: z.string().default("Server Notices"),
        room_name: z.string().default("Server Notices"),
      })
      .strict()
      .optional(),
    well_known: z
      .object({ client: z.record(z.string(), z.unknown()).optional(), server: z.string().optional(), support: supportSchema.optional() })
      .strict()
      .default({}),
    federation: z
      .object({
        // Certificate checks of other servers (and of their /.well-known/matrix/server); off only for tests.
        verify_tls: z.boolean().default(true),
        // Notaries to ask for a server's keys when it cannot be reached; none by default.
        trusted_key_servers: z.array(trustedKeyServerSchema).default([]),
        // How long others may cache our published keys (the spec caps valid_until_ts at 7 days).
        key_validity_ms: z.number().int().positive().max(7 * 86_400_000).default(86_400_000),
        // Signing keys used before a rotation (Synapse's `old_signing_keys`): key ID -> the public key
        // (unpadded base64) and when it stopped being used, published so that old events stay verifiable.
        old_signing_keys: z
          .record(
            z.string().regex(/^ed25519:[a-zA-Z0-9_]+$/, "must be ed25519:<version>"),
            z.object({ key: z.string().regex(/^[A-Za-z0-9+/]{43}$/, "must be an unpadded base64 ed25519 public key"), expired_ts: z.number().int().nonnegative() }).strict(),
          )
          .default({}),
        request_timeout_ms: z.number().int().positive().default(30_000),
        // Backoff of a destination that fails: the first retry after retry_initial_ms, doubling up to retry_max_ms.
        retry_initial_ms: z.number().int().positive().default(10_000),
        retry_max_ms: z.number().int().positive().default(3_600_000),
        // A destination that was down and has more PDUs waiting than this gets each room's newest only
        // (it fetches the rest itself).
        catch_up_max_pdus: z.number().int().positive().default(1000),
        // Addresses other servers may not be reached at (private and reserved ranges), and exceptions.
        ip_range_blocklist: z.array(ipRangeSchema).default(() => [...DEFAULT_IP_RANGE_BLOCKLIST]),
        ip_range_allowlist: z.array(ipRangeSchema).default([]),
        // Join rooms of other servers with partial state (send_join with omit_members): users can send at
        // once while the members arrive in the background.
        partial_state_joins: z.boolean().default(true),
      })
      .strict()
      .default({
        verify_tls: true,
        trusted_key_servers: [],
        key_validity_ms: 86_400_000,
        old_signing_keys: {},
        request_timeout_ms: 30_000,
        retry_initial_ms: 10_000,
        retry_max_ms: 3_600_000,
        catch_up_max_pdus: 1000,
        ip_range_blocklist: [...DEFAULT_IP_RANGE_BLOCKLIST],
        ip_range_allowlist: [],
        partial_state_joins: true,
      }),
    /** The content repository (media-schema.ts). */
    media: mediaConfigSchema.default(DEFAULT_MEDIA_CONFIG),
    /** Delivery to push gateways (push-schema.ts). */
    push: pushConfigSchema.default(DEFAULT_PUSH_CONFIG),
    redis: z.object({ url: z.string().url() }).strict().optional(),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type ListenerConfig = Config["listeners"][number];
