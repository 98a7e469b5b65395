/**
 * The order in which to try the targets of SRV records (RFC 2782, "Usage rules"): lowest priority
 * first; within one priority a weighted random order, so that load spreads as the domain's owner asked.
 */

export interface SrvRecord {
  priority: number;
  weight: number;
  port: number;
  /** Target host name; "" for the root name ".", which means "no service here". */
  name: string;
}

/** A random number in [0, 1), like Math.random; tests pass a fixed one. */
export type RandomSource = () => number;

/**
 * True when the answer says that the service is decidedly not available at this domain: RFC 2782 gives
 * that meaning to a single record whose target is ".". Node's resolver reports "." as "".
 */
export function isServiceRefused(records: readonly SrvRecord[]): boolean {
  return records.length === 1 && isRootTarget(records[0] as SrvRecord);
}

function isRootTarget(record: SrvRecord): boolean {
  return record.name === "" || record.name === ".";
}

/** Records in the order to try them; the "." target and port 0 are dropped as unusable. */
export function orderSrvRecords(records: readonly SrvRecord[], random: RandomSource = Math.random): SrvRecord[] {
  const usable = records.filter((record) => !isRootTarget(record) && record.port > 0);
  const priorities = [...new Set(usable.map((record) => record.priority))].sort((a, b) => a - b);
  const ordered: SrvRecord[] = [];
  for (const priority of priorities) {
    ordered.push(...weightedOrder(usable.filter((record) => record.priority === priority), random));
  }
  return ordered;
}

/**
 * RFC 2782's selection, repeated until none is left: records of weight 0 first, a running sum of the
 * weights, a uniform number in [0, sum], and the first record whose running sum reaches it. Weight-0
 * records thus come out first only when the number is 0, which the RFC intends ("a very small chance").
 */
function weightedOrder(group: SrvRecord[], random: RandomSource): SrvRecord[] {
  const remaining = [...group.filter((record) => record.weight === 0), ...group.filter((record) => record.weight > 0)];
  const ordered: SrvRecord[] = [];
  while (remaining.length > 0) {
    const total = remaining.reduce((sum, record) => sum + record.weight, 0);
    // [0, total] inclusive as the RFC says; Math.floor of random * (total + 1) gives every integer there.
    const chosen = Math.floor(random() * (total + 1));
    let running = 0;
    let index = remaining.length - 1;
    for (let k = 0; k < remaining.length; k++) {
      running += (remaining[k] as SrvRecord).weight;
      if (running >= chosen) {
        index = k;
        break;
      }
    }
    ordered.push(...remaining.splice(index, 1));
  }
  return ordered;
}
