/**
 * The federation core, wired in one place (context.ts hands over config and shared parts): our key
 * document and other servers' keys (key ring, notary), server discovery through a DNS resolver that
 * refuses blocked addresses, the signing HTTP client, verification of incoming X-Matrix requests,
 * and the outbox with its sender and the receiver of other servers' transactions. What rides on it
 * (rooms, EDUs, keys of remote users, media) is wired by its own area.
 */
import { Resolver } from "node:dns/promises";
import type { Config } from "../../config/schema.js";
import { subsystemLogger, type Logger } from "../../logger.js";
import type { SigningKey } from "../../protocol/signing-key.js";
import type { Db } from "../../storage/db.js";
import { FederationOutboxStore } from "../../storage/federation-outbox-store.js";
import { ServerKeyStore } from "../../storage/server-key-store.js";
import type { Clock } from "../clock.js";
import { IpRangeFilter } from "../ip-range-filter.js";
import { FederationClient } from "./federation-client.js";
import { FederationSender } from "./federation-sender.js";
import { filteredResolver } from "./filtered-resolver.js";
import { KeyRing } from "./key-ring.js";
import { NotaryService } from "./notary.js";
import { RequestAuthenticator } from "./request-authenticator.js";
import { ServerDiscovery } from "./server-discovery.js";
import { ServerKeyPublisher } from "./server-key-publisher.js";
import { TransactionReceiver } from "./transaction-receiver.js";
import { createWellKnownFetcher } from "./well-known-fetch.js";

export interface FederationCore {
  readonly serverKeys: ServerKeyPublisher;
  /** The outbound IP blocklist (also for remote media's redirects). */
  readonly ips: IpRangeFilter;
  readonly client: FederationClient;
  readonly keyRing: KeyRing;
  readonly auth: RequestAuthenticator;
  readonly notary: NotaryService;
  readonly sender: FederationSender;
  readonly transactions: TransactionReceiver;
}

export function wireFederationCore(d: { config: Config; signingKey: SigningKey; db: Db; clock: Clock; log: Logger; version: string }): FederationCore {
  const { config, signingKey, db, clock, log } = d;
  const federation = config.federation;
  const serverKeys = new ServerKeyPublisher(config.server_name, signingKey, clock, federation.key_validity_ms, federation.old_signing_keys);
  // Server discovery (well-known, SRV, 8448) with the system's DNS servers, never to blocked addresses.
  const ips = new IpRangeFilter(federation.ip_range_blocklist, federation.ip_range_allowlist);
  const dns = filteredResolver(new Resolver({ timeout: 5_000, tries: 2 }), ips);
  const discovery = new ServerDiscovery({
    resolver: dns,
    fetchWellKnown: createWellKnownFetcher({ resolver: dns, rejectUnauthorized: federation.verify_tls }),
    logger: subsystemLogger(log, "federation"),
  });
  const client = new FederationClient(async (serverName) => (await discovery.resolveServer(serverName)).targets, {
    serverName: config.server_name,
    signingKey,
    verifyTls: federation.verify_tls,
    timeoutMs: federation.request_timeout_ms,
    permits: (address) => ips.permits(address),
  });
  const keyRing = new KeyRing(new ServerKeyStore(db), serverKeys, client, clock, config.server_name, federation.trusted_key_servers);
  const auth = new RequestAuthenticator(keyRing, clock, config.server_name);
  const notary = new NotaryService(keyRing, config.server_name, signingKey, clock, d.version);
  // The outbox and its sender; transactions from other servers (their EDU handlers come from each area).
  const outbox = new FederationOutboxStore(db);
  const sender = new FederationSender(outbox, client, clock, subsystemLogger(log, "federation-sender"), {
    initialBackoffMs: federation.retry_initial_ms,
    maxBackoffMs: federation.retry_max_ms,
    catchUpMaxPdus: federation.catch_up_max_pdus,
  });
  // A server that reaches us is up: anything held back for it by backoff goes now.
  auth.onAuthenticated((origin) => sender.destinationIsUp(origin));
  const transactions = new TransactionReceiver(outbox, clock, subsystemLogger(log, "federation"));
  return { serverKeys, ips, client, keyRing, auth, notary, sender, transactions };
}
