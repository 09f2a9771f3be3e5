// The SDK's event decoding, run natively for the cross-language quirk test
// (crates/plugin-sdk/tests/quirks_across_languages.rs): reads one JSON line per event,
// `{"id", "eventType", "metadata", "item", "attempt"}` (metadata and item as JSON text, as the host
// sends them), and prints one line per event: `{"ok": {id, eventType, metadata, item, attempt,
// occurredAt}}` or `{"error": message}`.
import { build } from "esbuild";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const entry = fileURLToPath(new URL("../src/event.ts", import.meta.url));
const bundled = await build({ entryPoints: [entry], bundle: true, write: false, format: "esm" });
const { decodeEvent } = await import(
  `data:text/javascript;base64,${Buffer.from(bundled.outputFiles[0].text).toString("base64")}`
);

for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === "") continue;
  const wit = JSON.parse(line);
  let answer;
  try {
    const event = decodeEvent(wit.id, wit.eventType, wit.metadata, wit.item, wit.attempt);
    const { id, eventType, metadata, item, attempt, occurredAt } = event;
    answer = { ok: { id, eventType, metadata, item, attempt, occurredAt } };
  } catch (err) {
    answer = { error: String(err?.message ?? err) };
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
