/**
 * Hands the C library's free heap pages back to the kernel (native/release-memory.cc): once the server
 * has started, when the memory that loading and compiling it used has been freed, and then every
 * `memory_trim_interval_ms`. `tessera start` also compacts the JavaScript heap once it listens
 * (`compactHeap`). Node's C++ side, V8's parser and compiler, SQLite and OpenSSL allocate
 * with malloc(); glibc keeps freed pages between live allocations mapped, so they count in the
 * resident size until reused (measured: 6 MiB right after start, 10 MiB after a burst of sends). A
 * trim takes well under a millisecond on an idle server. Where the module was not built (no C
 * compiler, or Node's headers missing, or built for another Node.js version) or the C library is not
 * glibc, nothing is trimmed.
 *
 * It also gives back the young generation of the JavaScript heap once the server goes quiet after
 * work (`reduceHeap`). `npm start` lets the young generation grow to 8 MiB per half under load (V8
 * grows it when much of what is allocated survives, as with many requests in flight): with 2 MiB,
 * 50 clients sending at once spent a quarter of the server's CPU in the collector, which copied the
 * requests in flight from half to half and then into the old generation. Grown, it stays at its size
 * until V8's own memory reducer sees the process idle for a while (tens of seconds); after a burst
 * the server would hold 12-16 MiB more than it needs that long. Looking once a second, two quiet
 * seconds in a row (the event loop busy under 5 % of the time) with the young generation above its
 * smallest size start V8's memory-reducing collection: incremental, so it does not pause the server
 * as `compactHeap` does, and it leaves the young generation at its smallest.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { performance, type EventLoopUtilization } from "node:perf_hooks";
import { getHeapSpaceStatistics } from "node:v8";
import { packageFile } from "./package-files.js";

const MODULE_PATH = packageFile("build/release-memory.node");

interface ReleaseMemory {
  /** malloc_trim(0): whether any memory went back to the kernel. */
  trim(): boolean;
  /** V8's low-memory notification: compacting collections, the young generation shrunk, pooled pages released. */
  compactHeap(): void;
  /** V8's moderate memory-pressure notification: an incremental collection that reduces memory, the young generation shrunk. */
  reduceHeap(): void;
}

/** The young generation's size now, in bytes. */
function youngGenerationSize(): number {
  return getHeapSpaceStatistics().find((space) => space.space_name === "new_space")?.space_size ?? 0;
}

/** When the trimmer looks for a quiet server with a grown young generation (see the header). */
export interface QuietWatch {
  /** How often it looks, ms. */
  intervalMs: number;
  /** A look at which the event loop was busy less than this share of the time since the last counts as quiet. */
  utilization: number;
  /** Quiet looks in a row before the young generation is given back. */
  looks: number;
}

const QUIET_WATCH: QuietWatch = { intervalMs: 1_000, utilization: 0.05, looks: 2 };

let loaded: ReleaseMemory | null | undefined;

/** The native module, loaded on first use; null where it was not built, or built for another Node.js version. */
export function releaseMemoryModule(): ReleaseMemory | null {
  if (loaded === undefined) loaded = existsSync(MODULE_PATH) ? loadModule() : null;
  return loaded;
}

function loadModule(): ReleaseMemory | null {
  try {
    return createRequire(import.meta.url)(MODULE_PATH) as ReleaseMemory;
  } catch (error) {
    // Built against another Node.js version's V8 (Node upgraded since `npm ci`): the server runs as
    // without it; `npm rebuild` builds it again.
    process.emitWarning(`build/release-memory.node did not load, so memory is not trimmed (npm rebuild builds it again): ${(error as Error).message}`);
    return null;
  }
}

export class MemoryTrimmer {
  private timer: NodeJS.Timeout | undefined;
  private quietTimer: NodeJS.Timeout | undefined;
  /** Trims made, how many of them gave memory back, heap compactions and young-generation reductions (for tests and the curious). */
  trims = 0;
  released = 0;
  compactions = 0;
  reductions = 0;

  /** `intervalMs` 0: no trims at all, and no reductions. */
  constructor(
    private readonly intervalMs: number,
    private readonly quiet: QuietWatch = QUIET_WATCH,
  ) {}

  /** Whether this process can trim (the module was built). */
  get available(): boolean {
    return releaseMemoryModule() !== null;
  }

  /** Trims now and then on the interval; does nothing when switched off or unavailable. */
  start(): void {
    if (this.intervalMs === 0 || !this.available || this.timer) return;
    this.trim();
    this.timer = setInterval(() => this.trim(), this.intervalMs);
    this.timer.unref();
    this.watchQuiet();
  }

  /** Gives the young generation back once the server is quiet after work (see the header). */
  private watchQuiet(): void {
    const module = releaseMemoryModule();
    // A module built before reduceHeap existed (an older checkout's build/, until `npm rebuild`) lacks it.
    if (typeof module?.reduceHeap !== "function") return;
    // Its smallest size: what it is right after start, or less should V8 shrink it later.
    let smallest = youngGenerationSize();
    let previous: EventLoopUtilization = performance.eventLoopUtilization();
    let quietLooks = 0;
    let trimNext = false;
    this.quietTimer = setInterval(() => {
      const now = performance.eventLoopUtilization();
      const busy = performance.eventLoopUtilization(now, previous).utilization;
      previous = now;
      quietLooks = busy < this.quiet.utilization ? quietLooks + 1 : 0;
      const size = youngGenerationSize();
      if (trimNext) {
        // The collection a reduction started has given its pages back by now. What it left is the
        // smallest from now on: should V8 keep the young generation larger than before, it is not
        // asked again until it grows past that.
        trimNext = false;
        this.trim();
        smallest = size;
      }
      smallest = Math.min(smallest, size);
      if (quietLooks < this.quiet.looks || size <= smallest) return;
      quietLooks = 0;
      module.reduceHeap();
      this.reductions++;
      trimNext = true;
    }, this.quiet.intervalMs);
    this.quietTimer.unref();
  }

  /**
   * Compacts the JavaScript heap and trims (see native/release-memory.cc): for once the server has
   * loaded and listens, when what loading left behind is garbage. It blocks for a few tens of
   * milliseconds, so it is not for a server at work. Does nothing when trimming is switched off.
   */
  compactHeap(): boolean {
    const module = releaseMemoryModule();
    if (this.intervalMs === 0 || !module) return false;
    module.compactHeap();
    this.compactions++;
    this.trim();
    return true;
  }

  trim(): boolean {
    const module = releaseMemoryModule();
    if (!module) return false;
    this.trims++;
    const released = module.trim();
    if (released) this.released++;
    return released;
  }

  stop(): void {
    clearInterval(this.timer);
    clearInterval(this.quietTimer);
    this.timer = undefined;
    this.quietTimer = undefined;
  }
}
