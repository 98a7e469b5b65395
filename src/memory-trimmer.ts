/**
 * Hands the C library's free heap pages back to the kernel (native/release-memory.c): once the server
 * has started, when the memory that loading and compiling it used has been freed, and then every
 * `memory_trim_interval_ms`. Node's C++ side, V8's parser and compiler, SQLite and OpenSSL allocate
 * with malloc(); glibc keeps freed pages between live allocations mapped, so they count in the
 * resident size until reused (measured: 6 MiB right after start, 10 MiB after a burst of sends). A
 * trim takes well under a millisecond on an idle server. Where the module was not built (no C
 * compiler, or Node's headers missing) or the C library is not glibc, nothing is trimmed.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/** From src/ or dist/ alike. */
const MODULE_PATH = fileURLToPath(new URL("../build/release-memory.node", import.meta.url));

interface ReleaseMemory {
  /** malloc_trim(0): whether any memory went back to the kernel. */
  trim(): boolean;
}

let loaded: ReleaseMemory | null | undefined;

/** The native module, loaded on first use; null where it was not built. */
export function releaseMemoryModule(): ReleaseMemory | null {
  if (loaded === undefined) loaded = existsSync(MODULE_PATH) ? (createRequire(import.meta.url)(MODULE_PATH) as ReleaseMemory) : null;
  return loaded;
}

export class MemoryTrimmer {
  private timer: NodeJS.Timeout | undefined;
  /** Trims made, and how many of them gave memory back (for tests and the curious). */
  trims = 0;
  released = 0;

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
