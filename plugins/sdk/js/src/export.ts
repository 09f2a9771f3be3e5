/**
 * The glue between a plugin module (`declare`, `handle`) and the component's `handler` export of
 * the contract (`schema/wit/plugin.wit`), in componentize-js's conventions: records as objects
 * with camelCase fields, variants as `{ tag, val }`, `u64` as `bigint`. The build's entry module
 * is `export const handler = exportHandler(plugin)`; authors never import this.
 */
import type { ConfigKey, Declaration } from "./declaration.js";
import { decodeEvent, EventError, type Event } from "./event.js";
import { Outcome } from "./outcome.js";

/** A plugin module: what the author writes. */
export interface Plugin {
  /** Which events, which configuration; called once at load. */
  declare(): Declaration;
  /** What to do with one event; called once per event, in a fresh instance. */
  handle(event: Event): Outcome | Promise<Outcome>;
}

/** The contract's `event` record, as componentize-js hands it over. */
interface WitEvent {
  id: string;
  eventType: string;
  metadata: string;
  item: string;
  attempt: number;
}

type WitOutcome =
  | { tag: "done" }
  | { tag: "skipped"; val: string }
  | { tag: "retry"; val: { reason: string; delayMs: bigint | undefined } }
  | { tag: "failed"; val: string };

/** The `handler` interface implemented by `plugin`. */
export function exportHandler(plugin: Partial<Plugin>) {
  if (typeof plugin.declare !== "function" || typeof plugin.handle !== "function") {
    throw new TypeError(
      "a plugin module exports two functions, `declare()` and `handle(event)`; " +
        `this one exports ${Object.keys(plugin).join(", ") || "nothing"}`,
    );
  }
  const { declare, handle } = plugin as Plugin;
  return {
    declare() {
      const declaration = declare();
      return {
        eventTypes: [...declaration.eventTypes],
        description: declaration.description ?? "",
        config: (declaration.config ?? []).map((key: ConfigKey) => ({
          name: key.name,
          description: key.description ?? "",
          default: key.default,
          required: key.required ?? false,
        })),
      };
    },
    async handle(wit: WitEvent): Promise<WitOutcome> {
      let event: Event;
      try {
        event = decodeEvent(wit.id, wit.eventType, wit.metadata, wit.item, wit.attempt);
      } catch (err) {
        // Never throw on a malformed event: the host records the reason.
        if (err instanceof EventError) return encodeOutcome(Outcome.failed(err.message));
        throw err;
      }
      return encodeOutcome(await handle(event));
    },
  };
}

/** `outcome` as the contract's variant; throws on anything that is not an `Outcome`. */
export function encodeOutcome(outcome: Outcome): WitOutcome {
  switch (outcome?.kind) {
    case "done":
      return { tag: "done" };
    case "skipped":
      return { tag: "skipped", val: String(outcome.reason) };
    case "retry":
      return {
        tag: "retry",
        val: {
          reason: String(outcome.reason),
          delayMs: outcome.delayMs === undefined ? undefined : BigInt(outcome.delayMs),
        },
      };
    case "failed":
      return { tag: "failed", val: String(outcome.reason) };
    default:
      // A programming error, like a panic in Rust: a fault, retried, and replayable once fixed.
      throw new TypeError(
        `handle() returned ${JSON.stringify(outcome) ?? "undefined"}, not an Outcome: return ` +
          "Outcome.done, Outcome.skipped(reason), Outcome.retry(reason), " +
          "Outcome.retryAfter(reason, ms) or Outcome.failed(reason)",
      );
  }
}
