/**
 * Tells waiting code that the client went away before its response was sent (the response closed
 * unfinished). Long-polls wait on it: thousands are held at once, and an AbortController with its
 * EventTarget and a close listener cost about 1.2 KiB each where this costs a small object and the
 * one listener it adds to the response. Routes that need a real AbortSignal (fetch) make one from it
 * on demand (`abortSignalOf`).
 */
import type { ServerResponse } from "node:http";
import type { Cancellation } from "../notifier/notifier.js";

type Listener = { handleEvent(): void };

const goneOf = new WeakMap<ServerResponse, ClientGone>();

/** The response's close listener: one function shared by every response. */
function onResponseClose(this: ServerResponse): void {
  if (!this.writableFinished) goneOf.get(this)?.fire();
}

export class ClientGone implements Cancellation {
  private gone = false;
  private listeners: Listener[] | undefined;

  constructor(response: ServerResponse) {
    goneOf.set(response, this);
    response.once("close", onResponseClose);
  }

  get aborted(): boolean {
    return this.gone;
  }

  addEventListener(_type: "abort", listener: Listener): void {
    if (this.gone) return;
    (this.listeners ??= []).push(listener);
  }

  removeEventListener(_type: "abort", listener: Listener): void {
    const index = this.listeners?.indexOf(listener) ?? -1;
    if (index >= 0) this.listeners?.splice(index, 1);
  }

  fire(): void {
    if (this.gone) return;
    this.gone = true;
    const listeners = this.listeners ?? [];
    this.listeners = undefined;
    for (const listener of listeners) listener.handleEvent();
  }
}

/** An AbortSignal aborted when the client goes away. */
export function abortSignalOf(gone: ClientGone): AbortSignal {
  const controller = new AbortController();
  if (gone.aborted) controller.abort();
  else gone.addEventListener("abort", { handleEvent: () => controller.abort() });
  return controller.signal;
}
