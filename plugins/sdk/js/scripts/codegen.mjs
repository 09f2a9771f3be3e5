// Run by `cargo xtask codegen`: reads the webhook JSON Schema on stdin and prints the TypeScript
// types of the payload on stdout, made by json-schema-to-typescript (pinned in package.json).
// xtask adds the preamble, writes src/generated/webhook.ts or, with --check, compares it.
import { compile } from "json-schema-to-typescript";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const schema = JSON.parse(Buffer.concat(chunks).toString("utf8"));

const source = await compile(schema, "WebhookPayload", {
  bannerComment: "",
  // Every $defs entry becomes a named, exported type, used or not (DocumentedEventType).
  unreachableDefinitions: true,
  // The schema's refs are all local (#/$defs/...): nothing is fetched.
  declareExternallyReferenced: true,
  strictIndexSignatures: true,
  format: true,
  style: { printWidth: 100 },
});
// A runtime list of the documented names, for the SDK's legacy-name rule and for plugins'
// declarations: json-schema-to-typescript emits types only.
const documented = schema.$defs.DocumentedEventType.oneOf.map((variant) => variant.const);
process.stdout.write(
  `${source}
/** The 13 documented event types, in the order of the documentation's table. */
export const DOCUMENTED_EVENT_TYPES = ${JSON.stringify(documented, null, 2)} as const;
`,
);
