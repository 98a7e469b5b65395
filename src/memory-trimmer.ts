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
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { packageFile } from "./package-files.js";

const MODULE_PATH = packageFile("build/release-memory.node");

interface ReleaseMemory {
  /** malloc_trim(0): whether any memory went back to the kernel. */
  trim(): boolean;
  /** V8's low-memory notification: compacting collections, the young generation shrunk, pooled pages released. */
  compactHeap(): void;
}

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
  /** Trims made, how many of them gave memory back, and heap compactions (for tests and the curious). */
  trims = 0;
  released = 0;
  compactions = 0;

  /** `intervalMs` 0: no trims at all. */
  constructor(private readonly intervalMs: number) {}

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
    this.timer = undefined;
  }
}
