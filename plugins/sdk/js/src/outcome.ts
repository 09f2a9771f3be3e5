/** What the host does after `handle`: the contract's `outcome`, the Rust SDK's `Outcome`. */
export type Outcome =
  /** Handled; the delivery is done. */
  | { readonly kind: "done" }
  /** Not for this plugin (an auto-reply to a replies plugin, a prospect without email). */
  | { readonly kind: "skipped"; readonly reason: string }
  /**
   * A transient problem: retried after `delayMs` when given, else after the host's backoff;
   * dead-lettered when the schedule runs out.
   */
  | { readonly kind: "retry"; readonly reason: string; readonly delayMs?: number }
  /** A permanent problem: the delivery is dead-lettered at once. */
  | { readonly kind: "failed"; readonly reason: string };

/** The outcomes, by the names of the Rust SDK (`Outcome::Done`, `Outcome::skipped`, ...). */
export const Outcome = {
  /** Handled. */
  done: { kind: "done" } as Outcome,
  /** Not for this plugin, with the reason. */
  skipped(reason: string): Outcome {
    return { kind: "skipped", reason };
  },
  /** A transient problem, retried after the host's backoff. */
  retry(reason: string): Outcome {
    return { kind: "retry", reason };
  },
  /** A transient problem, retried after `delayMs` milliseconds. */
  retryAfter(reason: string, delayMs: number): Outcome {
    if (!Number.isSafeInteger(delayMs) || delayMs < 0) {
      throw new RangeError(
        `Outcome.retryAfter: delayMs must be a whole number of milliseconds >= 0, got ${delayMs}`,
      );
    }
    return { kind: "retry", reason, delayMs };
  },
  /** A permanent problem, with the reason: dead-lettered at once. */
  failed(reason: string): Outcome {
    return { kind: "failed", reason };
  },
} as const;
