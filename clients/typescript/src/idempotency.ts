// `Idempotency-Key`: the spec declares it as a required header parameter of the operations that
// must not run twice (checkout). One key names one attempt: a retry with the same key gets the
// same result (`200` with `Idempotent-Replayed: true`) and nothing happens twice.
import { ProblemError } from "./problem.js";

export const IDEMPOTENCY_HEADER = "Idempotency-Key";

/** A fresh key for one attempt (a random UUID; the service takes up to 200 characters). */
export function newIdempotencyKey(): string {
  return globalThis.crypto.randomUUID();
}

/** The header parameters naming the key: `params: { header: idempotencyHeader(key) }`. */
export function idempotencyHeader(key: string): { "Idempotency-Key": string } {
  return { [IDEMPOTENCY_HEADER]: key } as { "Idempotency-Key": string };
}

export interface RetryOptions {
  /** The key to use (e.g. kept in the page's state across reloads); a new one by default. */
  key?: string;
  /** Attempts in all, at least 1 (default 3). */
  attempts?: number;
  /** The first pause between attempts; doubles each time (default 500 ms). */
  baseDelayMs?: number;
  /** The longest pause; a `Retry-After` longer than this ends the retries (default 10 s). */
  maxDelayMs?: number;
  /** How to wait (tests replace it). */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Runs `attempt` with one idempotency key, retrying it with the same key when the request may
 * not have been answered: network failures, 429, 502, 503 and 504 (honouring `Retry-After`).
 * Safe because the service answers a repeated key with the first result. Other errors are thrown
 * at once.
 */
export async function withIdempotencyKey<T>(
  attempt: (key: string) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const key = options.key ?? newIdempotencyKey();
  const attempts = Math.max(1, options.attempts ?? 3);
  const base = options.baseDelayMs ?? 500;
  const max = options.maxDelayMs ?? 10_000;
  const sleep =
    options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let i = 1; ; i++) {
    try {
      return await attempt(key);
    } catch (error) {
      const delay = retryDelayMs(error, base * 2 ** (i - 1));
      if (i >= attempts || delay === undefined || delay > max) throw error;
      await sleep(delay);
    }
  }
}

const RETRIABLE_STATUS = new Set([429, 502, 503, 504]);

/** The pause before retrying after `error`, or `undefined` when it is not worth a retry. */
function retryDelayMs(error: unknown, backoffMs: number): number | undefined {
  if (error instanceof ProblemError) {
    if (!RETRIABLE_STATUS.has(error.status)) return undefined;
    const after = error.retryAfterSeconds;
    return after === undefined ? backoffMs : after * 1000;
  }
  // fetch rejects with a TypeError when no response arrived (network down, connection reset).
  return error instanceof TypeError ? backoffMs : undefined;
}
