/**
 * End-to-end encryption endpoints against a server in its own process, on SQLite and on PostgreSQL.
 * Prints figures, asserts none (beyond checking that each answer carries what was asked for).
 *
 * 1. /keys/query: one user with BENCH_E2EE_DEVICES (50) devices, each logged in with its own device ID
 *    and with signed device keys uploaded, queried by another user (`device_keys: {alice: []}`),
 *    sequentially: p50, p99 and requests/s. Then again once both users have cross-signing keys, every
 *    one of the 50 devices is signed by the owner's self-signing key, the master key by a device, and
 *    the querier has signed the owner's master key with their user-signing key.
 * 2. /keys/claim: one signed_curve25519 key for each of the 50 devices in one request, and one device's
 *    key alone (cycling through the devices); p50, p99. Each device uploads BENCH_E2EE_OTKS (200)
 *    signed one-time keys in batches of 50 beforehand, enough that every claim gets a one-time key
 *    (checked), never the fallback.
 * 3. To-device fan-out: BENCH_TODEVICE_USERS (50) users x BENCH_TODEVICE_PER_USER (10) devices, each
 *    device long-polling /sync (timeout 30000, since its last next_batch); a sender PUTs
 *    /sendToDevice with one message per device (`messages: {user: {device: content}}`, about 800 bytes
 *    of olm-like content each) every round. Per round: messages/s end to end (500 messages / time from
 *    the PUT's start to the arrival of the last device's response carrying its message), the
 *    per-device send-to-delivery latency (p50/p99 over devices and rounds), the PUT's own response time,
 *    and the server's CPU per round (from /proc; 10 ms granularity). Then PUTs alone, with no long-poll
 *    open (the messages queue up).
 *
 * BENCH_E2EE_ONLY=keys,todevice and BENCH_DATABASES=sqlite,postgres narrow the run.
 * Device keys and one-time keys are signed with test/harness/e2e-keys.ts (the protocol signing code).
 */
import { loadavg } from "node:os";
import { randomBytes } from "node:crypto";
import { percentile, postgresAvailable, startBenchServer, timedSequence, type BenchServer } from "./harness/server-process.js";
import { inBatches, LeanClient } from "./harness/lean-client.js";
import { TestCrossSigning, TestDevice } from "../test/harness/e2e-keys.js";

const DEVICES = Number(process.env["BENCH_E2EE_DEVICES"] ?? 50);
const OTKS = Number(process.env["BENCH_E2EE_OTKS"] ?? 200);
const OTK_BATCH = 50;
const QUERIES = Number(process.env["BENCH_E2EE_QUERIES"] ?? 500);
const CLAIMS_ALL = Number(process.env["BENCH_E2EE_CLAIMS_ALL"] ?? 150);
const CLAIMS_ONE = Number(process.env["BENCH_E2EE_CLAIMS_ONE"] ?? 400);
const WARMUP = 10;
const TD_USERS = Number(process.env["BENCH_TODEVICE_USERS"] ?? 50);
const TD_PER_USER = Number(process.env["BENCH_TODEVICE_PER_USER"] ?? 10);
const TD_ROUNDS = Number(process.env["BENCH_TODEVICE_ROUNDS"] ?? 20);
const TD_WARMUP = 3;
const TD_PUTS_ALONE = Number(process.env["BENCH_TODEVICE_PUTS_ALONE"] ?? 20);
const ONLY = (process.env["BENCH_E2EE_ONLY"] ?? "keys,todevice").split(",");

const V3 = "/_matrix/client/v3";
const PASSWORD = "bench password";
type Json = Record<string, unknown>;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const ms = (n: number): string => `${n.toFixed(2)} ms`;

function summary(samples: number[]): string {
  samples.sort((a, b) => a - b);
  return `p50 ${ms(percentile(samples, 50))}, p99 ${ms(percentile(samples, 99))}, max ${ms(samples[samples.length - 1] ?? NaN)} (n=${samples.length})`;
}

/** Registers an account with a password and no device (inhibit_login); returns its user ID. */
async function registerAccount(client: LeanClient, name: string): Promise<string> {
  const path = `${V3}/register`;
  const first = await client.send("POST", path, undefined, { username: name, password: PASSWORD, inhibit_login: true });
  const session = (JSON.parse(first.body) as { session: string }).session;
  const done = await client.json<{ user_id: string }>("POST", path, undefined, { username: name, password: PASSWORD, inhibit_login: true, auth: { type: "m.login.dummy", session } });
  return done.user_id;
}

/** A password login creating the device `deviceId`; returns its access token. */
async function login(client: LeanClient, name: string, deviceId: string): Promise<string> {
  const body = { type: "m.login.password", identifier: { type: "m.id.user", user: name }, password: PASSWORD, device_id: deviceId };
  const done = await client.json<{ access_token: string; device_id: string }>("POST", `${V3}/login`, undefined, body);
  if (done.device_id !== deviceId) throw new Error(`login gave device ${done.device_id}, asked for ${deviceId}`);
  return done.access_token;
}

/** Waits until the server has been (nearly) idle for a while: the requests just issued are parked. */
async function settle(server: BenchServer, minMs = 300): Promise<void> {
  await sleep(minMs);
  for (let i = 0; i < 50; i++) {
    const before = server.cpuMs();
    await sleep(200);
    if (server.cpuMs() - before <= 10) return;
  }
}

async function keys(server: BenchServer, client: LeanClient, label: string): Promise<void> {
  const neededPerDevice = WARMUP + CLAIMS_ALL + Math.ceil((WARMUP + CLAIMS_ONE) / DEVICES);
  if (neededPerDevice > OTKS) throw new Error(`the claims take ${neededPerDevice} one-time keys per device; raise BENCH_E2EE_OTKS (${OTKS})`);
  const start = performance.now();
  const aliceId = await registerAccount(client, "alice");
  const bobId = await registerAccount(client, "bob");
  const bob = await login(client, "bob", "BOBDEVICE");
  const deviceIds = Array.from({ length: DEVICES }, (_, i) => `ALICE${String(i).padStart(3, "0")}`);
  // Logins run scrypt on the server: a few at a time.
  const tokens = await inBatches(deviceIds, 4, (deviceId) => login(client, "alice", deviceId));
  const devices = deviceIds.map((deviceId) => new TestDevice(aliceId, deviceId));
  const uploadedKeys = await inBatches(devices, 4, async (device, i) => {
    const token = tokens[i] as string;
    const deviceKeys = device.deviceKeys();
    let counts = { signed_curve25519: 0 };
    for (let k = 0; k < OTKS; k += OTK_BATCH) {
      const body = { ...(k === 0 ? { device_keys: deviceKeys } : {}), one_time_keys: device.oneTimeKeys(Math.min(OTK_BATCH, OTKS - k)) };
      counts = (await client.json<{ one_time_key_counts: { signed_curve25519: number } }>("POST", `${V3}/keys/upload`, token, body)).one_time_key_counts;
    }
    if (counts.signed_curve25519 !== OTKS) throw new Error(`${device.deviceId} has ${counts.signed_curve25519} one-time keys, expected ${OTKS}`);
    return deviceKeys;
  });
  console.log(`  ${label}: ${DEVICES} devices logged in with device keys and ${OTKS} one-time keys each, in ${((performance.now() - start) / 1000).toFixed(1)} s`);

  const queryBody = { device_keys: { [aliceId]: [] } };
  const query = async (expectCrossSigning: boolean): Promise<number> => {
    const res = await client.send("POST", `${V3}/keys/query`, bob, queryBody);
    if (res.status !== 200) throw new Error(`keys/query ${res.status} ${res.body}`);
    const body = JSON.parse(res.body) as { device_keys: Record<string, Json>; master_keys: Record<string, Json> };
    const n = Object.keys(body.device_keys[aliceId] ?? {}).length;
    if (n !== DEVICES) throw new Error(`keys/query returned ${n} devices, expected ${DEVICES}`);
    if (expectCrossSigning !== aliceId in body.master_keys) throw new Error(`keys/query: master key ${expectCrossSigning ? "missing" : "unexpected"}`);
    return res.body.length;
  };
  const measureQuery = async (name: string, crossSigning: boolean): Promise<void> => {
    let bytes = 0;
    for (let i = 0; i < WARMUP; i++) bytes = await query(crossSigning);
    const cpu = server.cpuMs();
    const { samples, perSecond } = await timedSequence(QUERIES, async () => void (await query(crossSigning)));
    const cpuPer = (server.cpuMs() - cpu) / QUERIES;
    console.log(`  ${label}: /keys/query of ${DEVICES} devices, ${name}: ${perSecond.toFixed(0)} requests/s sequential, ${summary(samples)}, server CPU ${cpuPer.toFixed(2)} ms per request, ${(bytes / 1024).toFixed(1)} KiB`);
  };
  await measureQuery("no cross-signing", false);

  // Cross-signing: both users' keys; Alice signs her devices (self-signing key) and her master key (a
  // device); Bob signs Alice's master key (user-signing key, a signature only he sees).
  const aliceCs = new TestCrossSigning(aliceId);
  const bobCs = new TestCrossSigning(bobId);
  const aliceToken = tokens[0] as string;
  await client.json("POST", `${V3}/keys/device_signing/upload`, aliceToken, aliceCs.uploadBody());
  await client.json("POST", `${V3}/keys/device_signing/upload`, bob, bobCs.uploadBody());
  const ownSignatures: Record<string, Json> = {};
  devices.forEach((device, i) => (ownSignatures[device.deviceId] = aliceCs.selfSigning.sign(uploadedKeys[i] as Json, aliceId, aliceCs.selfSigning.publicKey)));
  ownSignatures[aliceCs.master.publicKey] = (devices[0] as TestDevice).ed25519.sign(aliceCs.masterKey(), aliceId, (devices[0] as TestDevice).deviceId);
  const signed = await client.json<{ failures: Json }>("POST", `${V3}/keys/signatures/upload`, aliceToken, { [aliceId]: ownSignatures });
  const bobSigned = await client.json<{ failures: Json }>("POST", `${V3}/keys/signatures/upload`, bob, {
    [aliceId]: { [aliceCs.master.publicKey]: bobCs.userSigning.sign(aliceCs.masterKey(), bobId, bobCs.userSigning.publicKey) },
  });
  if (Object.keys(signed.failures).length + Object.keys(bobSigned.failures).length > 0) throw new Error(`signature upload failures: ${JSON.stringify([signed.failures, bobSigned.failures])}`);
  await measureQuery(`cross-signing keys and ${DEVICES + 2} signatures`, true);

  const claimOne = async (token: string, request: Record<string, string>, expected: number): Promise<void> => {
    const res = await client.send("POST", `${V3}/keys/claim`, token, { one_time_keys: { [aliceId]: request } });
    if (res.status !== 200) throw new Error(`keys/claim ${res.status} ${res.body}`);
    const got = (JSON.parse(res.body) as { one_time_keys: Record<string, Record<string, Json>> }).one_time_keys[aliceId] ?? {};
    const oneTime = Object.values(got).filter((k) => Object.keys(k)[0]?.startsWith("signed_curve25519:AAAA")).length;
    if (oneTime !== expected) throw new Error(`keys/claim returned ${oneTime} one-time keys, expected ${expected}`);
  };
  const all = Object.fromEntries(deviceIds.map((d) => [d, "signed_curve25519"]));
  for (let i = 0; i < WARMUP; i++) await claimOne(bob, all, DEVICES);
  let cpu = server.cpuMs();
  const claimAll = await timedSequence(CLAIMS_ALL, () => claimOne(bob, all, DEVICES));
  let cpuPer = (server.cpuMs() - cpu) / CLAIMS_ALL;
  console.log(`  ${label}: /keys/claim of one key for each of ${DEVICES} devices in one request: ${claimAll.perSecond.toFixed(0)} requests/s sequential, ${summary(claimAll.samples)}, server CPU ${cpuPer.toFixed(2)} ms per request`);
  for (let i = 0; i < WARMUP; i++) await claimOne(bob, { [deviceIds[i % DEVICES] as string]: "signed_curve25519" }, 1);
  cpu = server.cpuMs();
  const claimSingle = await timedSequence(CLAIMS_ONE, (i) => claimOne(bob, { [deviceIds[(i + WARMUP) % DEVICES] as string]: "signed_curve25519" }, 1));
  cpuPer = (server.cpuMs() - cpu) / CLAIMS_ONE;
  console.log(`  ${label}: /keys/claim of one device's key: ${claimSingle.perSecond.toFixed(0)} requests/s sequential, ${summary(claimSingle.samples)}, server CPU ${cpuPer.toFixed(2)} ms per request`);
  console.log(`  ${label}: RSS after the key runs ${server.rssMiB().toFixed(1)} MiB`);
}

/** Olm-like content of about 800 bytes: a pre-key message's ciphertext for one device. */
function olmContent(senderKey: string, marker: string): Json {
  return {
    algorithm: "m.olm.v1.curve25519-aes-sha2",
    sender_key: senderKey,
    ciphertext: { [randomBytes(32).toString("base64").slice(0, 43)]: { type: 0, body: randomBytes(520).toString("base64").replace(/=+$/, "") } },
    marker,
  };
}

async function toDevice(server: BenchServer, client: LeanClient, label: string): Promise<void> {
  const start = performance.now();
  const senderToken = await client.register("sender");
  const users = await inBatches(
    Array.from({ length: TD_USERS }, (_, u) => `td${u}`),
    8,
    async (name) => ({ name, userId: await registerAccount(client, name) }),
  );
  const targets = users.flatMap(({ name, userId }) => Array.from({ length: TD_PER_USER }, (_, d) => ({ name, userId, deviceId: `${name.toUpperCase()}D${d}` })));
  const tokens = await inBatches(targets, 4, ({ name, deviceId }) => login(client, name, deviceId));
  const since = await inBatches(tokens, 16, async (token) => (await client.json<{ next_batch: string }>("GET", `${V3}/sync?timeout=0`, token)).next_batch);
  const count = targets.length;
  console.log(`  ${label}: ${TD_USERS} users x ${TD_PER_USER} devices logged in and synced in ${((performance.now() - start) / 1000).toFixed(1)} s; RSS ${server.rssMiB().toFixed(1)} MiB`);
  const senderKey = randomBytes(32).toString("base64").slice(0, 43);

  const messagesFor = (marker: string): Record<string, Record<string, Json>> => {
    const messages: Record<string, Record<string, Json>> = {};
    for (const { userId, deviceId } of targets) (messages[userId] ??= {})[deviceId] = olmContent(senderKey, marker);
    return messages;
  };

  const delivery: number[] = [];
  const putLatency: number[] = [];
  const rate: number[] = [];
  const cpuRound: number[] = [];
  const cpuDelivery: number[] = [];
  let bodyBytes = 0;
  let rssWithPolls = 0;
  for (let round = 0; round < TD_ROUNDS + TD_WARMUP; round++) {
    const marker = `round-${round}-${randomBytes(6).toString("hex")}`;
    const body = { messages: messagesFor(marker) };
    bodyBytes = JSON.stringify(body).length;
    let t0 = 0;
    const cpuAtPolls = server.cpuMs();
    const arrivals = tokens.map(async (token, i) => {
      // Poll until the response carries this round's message (syncing from the new token acknowledges it).
      for (;;) {
        const res = await client.send("GET", `${V3}/sync?timeout=30000&since=${since[i]}`, token);
        if (res.status !== 200) throw new Error(`sync ${res.status} ${res.body}`);
        since[i] = (JSON.parse(res.body) as { next_batch: string }).next_batch;
        if (res.body.includes(marker)) return res.arrivedAt;
      }
    });
    // Every long-poll is parked on the server (and the previous round's acknowledgements are done).
    await settle(server);
    if (round === TD_WARMUP) rssWithPolls = server.rssMiB();
    const cpuAtSend = server.cpuMs();
    t0 = performance.now();
    const put = await client.send("PUT", `${V3}/sendToDevice/m.room.encrypted/r${round}`, senderToken, body);
    const putMs = performance.now() - t0;
    if (put.status !== 200) throw new Error(`sendToDevice ${put.status} ${put.body}`);
    const arrivedAt = await Promise.all(arrivals);
    const cpuEnd = server.cpuMs();
    const last = Math.max(...arrivedAt);
    if (round < TD_WARMUP) continue;
    for (const a of arrivedAt) delivery.push(a - t0);
    putLatency.push(putMs);
    rate.push(count / ((last - t0) / 1000));
    cpuRound.push(cpuEnd - cpuAtPolls);
    cpuDelivery.push(cpuEnd - cpuAtSend);
  }
  const mid = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const fmtRates = [...rate].sort((a, b) => a - b);
  console.log(`  ${label}: PUT /sendToDevice with ${count} messages (${(bodyBytes / 1024).toFixed(0)} KiB), while ${count} devices long-poll: ${summary(putLatency)}`);
  console.log(
    `  ${label}: end to end, PUT start -> last of ${count} devices' long-polls answered: median ${mid(rate).toFixed(0)} messages/s (min ${(fmtRates[0] as number).toFixed(0)}, max ${(fmtRates[fmtRates.length - 1] as number).toFixed(0)}; ${TD_ROUNDS} rounds)`,
  );
  console.log(`  ${label}: per-device latency, PUT start -> its long-poll response arrived: ${summary(delivery)}`);
  console.log(
    `  ${label}: server CPU per round: median ${mid(cpuDelivery)} ms from PUT to last delivery, ${mid(cpuRound)} ms including re-issuing the ${count} long-polls (acknowledgements); RSS with ${count} long-polls ${rssWithPolls.toFixed(1)} MiB, after ${server.rssMiB().toFixed(1)} MiB`,
  );

  // The PUT alone: nobody is polling, the messages stay queued.
  const alone: number[] = [];
  const cpu = server.cpuMs();
  for (let i = 0; i < TD_PUTS_ALONE + TD_WARMUP; i++) {
    const body = { messages: messagesFor(`alone-${i}`) };
    const t = performance.now();
    const put = await client.send("PUT", `${V3}/sendToDevice/m.room.encrypted/alone${i}`, senderToken, body);
    if (put.status !== 200) throw new Error(`sendToDevice ${put.status} ${put.body}`);
    if (i >= TD_WARMUP) alone.push(performance.now() - t);
  }
  const cpuPerPut = (server.cpuMs() - cpu) / (TD_PUTS_ALONE + TD_WARMUP);
  console.log(`  ${label}: PUT /sendToDevice with ${count} messages, no long-poll open (queue grows to ${(TD_PUTS_ALONE + TD_WARMUP) * count}): ${summary(alone)}, server CPU ${cpuPerPut.toFixed(0)} ms per PUT`);
  // One device drains its queue (100 per /sync) to check the queued messages are there.
  let drained = 0;
  let position = since[0] as string;
  for (;;) {
    const res = await client.json<{ next_batch: string; to_device?: { events: unknown[] } }>("GET", `${V3}/sync?timeout=0&since=${position}`, tokens[0] as string);
    const n = res.to_device?.events.length ?? 0;
    position = res.next_batch;
    if (n === 0) break;
    drained += n;
  }
  if (drained !== TD_PUTS_ALONE + TD_WARMUP) throw new Error(`device drained ${drained} queued messages, expected ${TD_PUTS_ALONE + TD_WARMUP}`);
}

async function run(database: "sqlite" | "postgres"): Promise<void> {
  const scenarios = { keys, todevice: toDevice };
  for (const name of ONLY) {
    const scenario = scenarios[name as keyof typeof scenarios];
    if (!scenario) continue;
    // A fresh server per scenario, so one scenario's data and memory do not colour the next.
    const server = await startBenchServer(database);
    const client = new LeanClient(server.url);
    try {
      await sleep(300);
      await scenario(server, client, `${database} ${name}`);
      // The machine may be shared: the load says how much the figures above had to compete for the CPUs.
      console.log(`  ${database} ${name}: load average after ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
    } finally {
      client.close();
      await server.stop();
    }
  }
}

const DATABASES = (process.env["BENCH_DATABASES"] ?? "sqlite,postgres").split(",");
if (DATABASES.includes("sqlite")) await run("sqlite");
if (DATABASES.includes("postgres")) {
  if (await postgresAvailable()) await run("postgres");
  else console.log("postgres: not reachable, skipped");
}
