/**
 * Write smartreach-hooks plugins in TypeScript or JavaScript.
 *
 * A plugin is a module exporting two functions, built into a wasm component with
 * `smartreach-plugin build src/plugin.ts --out NAME.wasm`:
 *
 * ```ts
 * import { Outcome, deliver, configRequired, log, type Declaration, type Event } from "@smartreach-hooks/plugin-sdk";
 *
 * export function declare(): Declaration {
 *   return {
 *     eventTypes: ["activity.email.replied"],
 *     description: "POSTs each reply's email and subject to `url`",
 *     config: [{ name: "url", description: "Where to POST the reply", required: true }],
 *   };
 * }
 *
 * export async function handle(event: Event): Promise<Outcome> {
 *   const url = configRequired("url");
 *   log.info(`forwarding reply ${event.id}`);
 *   return deliver(url, {
 *     method: "POST",
 *     headers: { "content-type": "application/json", "idempotency-key": event.id },
 *     body: JSON.stringify({ email: event.prospect.email, subject: event.activity?.email_subject }),
 *   });
 * }
 * ```
 *
 * `fetch` is the global one: the host lets it reach only the manifest's `allowed_outbound_hosts`.
 */
export { Outcome } from "./outcome.js";
export {
  type Event,
  type EventType,
  EventError,
  decodeEvent,
  normalizeEventType,
} from "./event.js";
export { ALL_EVENTS, type ConfigKey, type Declaration } from "./declaration.js";
export { ConfigError, config, configNumber, configRequired } from "./config.js";
export { deliver, deliveryOutcome, retryAfterMs } from "./http.js";
export * as log from "./log.js";
export * from "./generated/webhook.js";
