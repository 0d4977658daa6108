// Keeping a page's view current: read it, follow its subscriptions, and read it again whenever
// something may have happened that no subscription delivered.
import { ApiFailure, onReconnect, whenLive } from "./client";

/** Starts one subscription; `ended` is called if the server ends it. Returns its stop. */
export type Follow = (ended: (failure: ApiFailure) => void) => () => void;

export type KeepCurrent = {
  /** Reads the page's state afresh. */
  read: () => unknown;
  follow: Follow[];
  /** Told each time a subscription ends, before it is followed again. */
  onEnded?: (failure: ApiFailure) => void;
  /** Told when what had ended is followed again: the moment to stop saying it ended. A read
   * alone is not that moment: one already on its way when a subscription ends answers without
   * following anything. */
  onFollowedAgain?: () => void;
};

/** What a page says while a subscription the server ended waits to be followed again. */
export function interrupted(failure: ApiFailure): ApiFailure {
  const code = failure.errors[0]?.code ?? null;
  return new ApiFailure([{ message: `Live updates interrupted: ${failure.message}. Following again…`, code, field: null }]);
}

const RETRY_FIRST_MS = 1_000;
const RETRY_MAX_MS = 30_000;

/** Pauses before following an ended subscription again: 1 s, doubling up to 30 s, and back to
 * 1 s once what was followed again lasted longer than the longest pause. */
export function retryPauses(): { next: () => number; started: () => void } {
  let pause = RETRY_FIRST_MS;
  let startedAt = 0;
  return {
    next() {
      if (Date.now() - startedAt > RETRY_MAX_MS) pause = RETRY_FIRST_MS;
      const now = pause;
      pause = Math.min(pause * 2, RETRY_MAX_MS);
      return now;
    },
    started() {
      startedAt = Date.now();
    },
  };
}

/**
 * Reads now and follows `follow`; then reads again
 * - once the live connection is first up, if the first read answered before it (what happened in
 *   between reached neither);
 * - each time the connection comes back after a drop;
 * - each time a subscription the server ended (too slow a reader, say) is followed again, after a
 *   pause that grows while they keep ending, so a refusal that lasts does not become a storm.
 * Returns the function that stops it all.
 */
export function keepCurrent({ read, follow, onEnded, onFollowedAgain }: KeepCurrent): () => void {
  let stopped = false;
  let stops: (() => void)[] = [];
  const pauses = retryPauses();
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  function start(): void {
    for (const stop of stops) stop();
    pauses.started();
    stops = follow.map((each) => each(ended));
  }

  // Several subscriptions ending at once are followed again once, together.
  let retrying = false;

  function ended(failure: ApiFailure): void {
    if (stopped || retrying) return;
    retrying = true;
    onEnded?.(failure);
    retryTimer = setTimeout(() => {
      retrying = false;
      if (stopped) return;
      start();
      onFollowedAgain?.();
      void read();
    }, pauses.next());
  }

  let connected = false;
  void whenLive().then(() => (connected = true));
  const afterFirstRead = (): void => {
    if (!connected) void whenLive().then(() => !stopped && read());
  };
  void Promise.resolve(read()).then(afterFirstRead, afterFirstRead);
  start();
  const stopReconnect = onReconnect(() => void read());

  return () => {
    stopped = true;
    clearTimeout(retryTimer);
    stopReconnect();
    for (const stop of stops) stop();
  };
}
