/**
 * The rounds of a delivery fan-out, shared by the /sync benchmark and its bare calibration: every
 * member has a long-poll waiting, one message is sent, and a sample is the time from the moment the
 * send is issued to the moment one member's response carrying it has fully arrived. A member whose
 * response does not carry it yet (another update came first) polls again.
 */
import type { LeanClient } from "./lean-client.js";

export interface FanoutTarget {
  client: LeanClient;
  /** The long-poll path without its query (`since` and `timeout` are added). */
  syncPath: string;
  members: readonly string[];
  /** Each member's `since`, updated as responses arrive. */
  since: string[];
  /** Sends one message whose body holds `marker`. */
  send(marker: string, round: number): Promise<void>;
  /** CPU milliseconds the server used so far. */
  cpuMs(): number;
}

export interface FanoutSamples {
  delivery: number[];
  sendLatency: number[];
  /** Server CPU per round, ms (10 ms ticks: read as a mean). */
  roundCpu: number[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function fanoutRounds(target: FanoutTarget, rounds: number, warmup = 5): Promise<FanoutSamples> {
  const { client, members, since } = target;
  const samples: FanoutSamples = { delivery: [], sendLatency: [], roundCpu: [] };
  for (let round = 0; round < rounds + warmup; round++) {
    const marker = `round-${round}-${Math.random().toString(36).slice(2)}`;
    let t0 = 0;
    const arrivals = members.map(async (token, i) => {
      for (;;) {
        const res = await client.send("GET", `${target.syncPath}?timeout=30000&since=${since[i]}`, token);
        if (res.status !== 200) throw new Error(`sync ${res.status} ${res.body}`);
        since[i] = (JSON.parse(res.body) as { next_batch: string }).next_batch;
        if (res.body.includes(marker)) return res.arrivedAt - t0;
      }
    });
    // Every long-poll is waiting on the server before the send.
    await sleep(round === 0 ? 500 : 100);
    const cpuBefore = target.cpuMs();
    t0 = performance.now();
    await target.send(marker, round);
    const sent = performance.now() - t0;
    const latencies = await Promise.all(arrivals);
    if (round >= warmup) {
      samples.delivery.push(...latencies);
      samples.sendLatency.push(sent);
      samples.roundCpu.push(target.cpuMs() - cpuBefore);
    }
  }
  return samples;
}

/** Server CPU per round, ms: the mean (CPU is read in 10 ms ticks, too coarse for a per-round percentile). */
export function meanRoundCpu(samples: FanoutSamples): number {
  return samples.roundCpu.reduce((a, b) => a + b, 0) / samples.roundCpu.length;
}
