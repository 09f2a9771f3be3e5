// {{name}}: a smartreach-hooks plugin. It logs the type of every event and the prospect's email.
//
// Build: ./build.sh (writes {{name}}.wasm). The SDK's reference is sdk/src/index.ts.
import { ALL_EVENTS, Outcome, log, type Declaration, type Event } from "@smartreach-hooks/plugin-sdk";

export function declare(): Declaration {
  return {
    eventTypes: [ALL_EVENTS],
    description: "Logs the type of every event and the prospect's email",
  };
}

export function handle(event: Event): Outcome {
  log.info(`${event.eventType} ${event.id} ${event.prospect.email || "(no email)"}`);
  return Outcome.done;
}
