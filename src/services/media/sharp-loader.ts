/**
 * sharp (libvips) loaded on first use: loading it costs about 27 MiB of resident memory, which a
 * server that never makes a thumbnail (or not yet) should not pay at start.
 */
import type sharpModule from "sharp";

type Sharp = typeof sharpModule;

let loading: Promise<Sharp> | undefined;

export function loadSharp(): Promise<Sharp> {
  loading ??= import("sharp").then(({ default: sharp }) => {
    // libvips' operation cache would keep decoded images and open files of media that may be deleted;
    // each thumbnail is made once and then served from its file, so the cache buys nothing here.
    sharp.cache(false);
    return sharp;
  });
  return loading;
}
