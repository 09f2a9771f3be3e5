// {{name}}: a smartreach-hooks plugin. It logs the type of every event and the prospect's email.
//
// Build: ./build.sh (writes {{name}}.wasm). The SDK's reference is sdk/src/index.ts.
import { ALL_EVENTS, Outcome, log } from "@smartreach-hooks/plugin-sdk";

/** @returns {import("@smartreach-hooks/plugin-sdk").Declaration} */
export function declare() {
  return {
    eventTypes: [ALL_EVENTS],
    description: "Logs the type of every event and the prospect's email",
  };
}

/**
 * @param {import("@smartreach-hooks/plugin-sdk").Event} event
 * @returns {import("@smartreach-hooks/plugin-sdk").Outcome}
 */
export function handle(event) {
  log.info(`${event.eventType} ${event.id} ${event.prospect.email || "(no email)"}`);
  return Outcome.done;
}
