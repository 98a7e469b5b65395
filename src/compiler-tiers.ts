/**
 * Keeps V8's compilers above the interpreter (Sparkplug, Maglev, TurboFan) off while the server
 * loads, and turns them back on once it listens.
 *
 * Loading runs Node's module loader, registers ~300 routes and checks the database's migrations: the
 * functions doing so get hot, and Sparkplug and TurboFan compile them, leaving code and compiler
 * memory behind for functions that never run again once the server is up. Measured on the default
 * config, RSS right after start: 88.6 MiB with them, 81.6 MiB without (one file per module); 72.6
 * against 67.2 MiB with the bundle of scripts/build.mjs. Most of that
 * difference is the compilers' own machine code in the node binary (~3 MiB), which pages in again with
 * the first function optimized once the server serves; after 2 000 message sends the difference is
 * ~1.5 MiB. The server's own hot paths are compiled as before from the first requests on.
 *
 * Node documents changing V8 flags after start as something to do with care; these three only steer
 * which functions the tiering manager sends to which compiler, and the change is made before any of
 * our code runs and undone once. Whoever starts Node with a flag of their own for these tiers (or
 * `--jitless`) keeps it: then nothing is changed.
 */
import { setFlagsFromString } from "node:v8";

const TIER_FLAG = /^--(no-)?(turbofan|sparkplug|maglev|opt|max-opt|jitless|always-turbofan|always-sparkplug)(=|$)/;

/** The compilers this Node runs with by default: Maglev is on from Node 22 (V8 12), off before. */
function defaultTiers(): string[] {
  const major = Number(process.versions.node.split(".")[0]);
  return major >= 22 ? ["--sparkplug", "--maglev", "--turbofan"] : ["--sparkplug", "--turbofan"];
}

/** Whether these options (Node's own, or NODE_OPTIONS split) set one of the compilers' flags. */
export function choosesTiers(options: readonly string[]): boolean {
  return options.some((option) => TIER_FLAG.test(option.replace(/_/g, "-")));
}

let deferred = false;

/**
 * Interpreter only from now on, until `resumeCompilers`; call it before importing the server.
 * `nodeOptions`: what Node was started with (its command line's options and NODE_OPTIONS).
 */
export function deferCompilers(nodeOptions: readonly string[]): void {
  if (deferred || choosesTiers(nodeOptions)) return;
  setFlagsFromString("--no-sparkplug --no-maglev --no-turbofan");
  deferred = true;
}

/** Back to this Node's usual compilers (once the server listens). */
export function resumeCompilers(): void {
  if (!deferred) return;
  setFlagsFromString(defaultTiers().join(" "));
  deferred = false;
}

/** Whether the compilers are held back now (for tests). */
export function compilersDeferred(): boolean {
  return deferred;
}
