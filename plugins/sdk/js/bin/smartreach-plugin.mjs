#!/usr/bin/env node
// smartreach-plugin: builds a TypeScript or JavaScript plugin module into a wasm component.
//
//   smartreach-plugin build ENTRY --out FILE.wasm   type-check (tsc), bundle (esbuild), componentize
//   smartreach-plugin typecheck                      tsc --noEmit over ./tsconfig.json
//
// The component is built only when its inputs changed: the bundle, the contract and the pinned
// componentize-js version are hashed into FILE.wasm.inputs beside it.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync, existsSync, renameSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const SDK = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const WIT = join(SDK, "wit");
const require = createRequire(import.meta.url);

function fail(message) {
  console.error(`smartreach-plugin: ${message}`);
  process.exit(1);
}

// The toolchain's pinned versions, as the SDK's package.json states them.
function version(pkg) {
  return JSON.parse(readFileSync(join(SDK, "package.json"), "utf8")).dependencies[pkg];
}

function typecheck(entry) {
  const tsc = require.resolve("typescript/bin/tsc");
  const args = existsSync("tsconfig.json")
    ? ["--noEmit", "-p", "tsconfig.json"]
    : ["--noEmit", "--strict", "--target", "es2022", "--module", "esnext",
       "--moduleResolution", "bundler", "--allowImportingTsExtensions", "--lib", "es2022,dom", entry];
  const run = spawnSync(process.execPath, [tsc, ...args], { stdio: "inherit" });
  if (run.status !== 0) fail(`type errors (tsc ${args.join(" ")}): fix them, then build again`);
}

async function bundle(entry) {
  const esbuild = await import("esbuild");
  const source = [
    `import * as plugin from ${JSON.stringify(resolve(entry))};`,
    `import { exportHandler } from ${JSON.stringify(join(SDK, "src", "export.ts"))};`,
    "export const handler = exportHandler(plugin);",
  ].join("\n");
  const result = await esbuild.build({
    stdin: { contents: source, resolveDir: process.cwd(), sourcefile: "entry.js", loader: "js" },
    bundle: true,
    write: false,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    // The contract's imports are the component's, resolved by componentize-js.
    external: ["smartreach:plugin/*", "wasi:*"],
    logLevel: "error",
  }).catch(() => fail(`bundling ${entry} failed (esbuild's errors above)`));
  return result.outputFiles[0].text;
}

async function build(entry, out) {
  if (!entry || !out) fail("usage: smartreach-plugin build ENTRY --out FILE.wasm");
  if (!existsSync(entry)) fail(`${resolve(entry)} does not exist: pass the plugin's module (src/plugin.ts)`);
  const code = await bundle(entry);
  const hash = createHash("sha256")
    .update(code)
    .update(readFileSync(join(WIT, "plugin.wit")))
    .update(version("@bytecodealliance/componentize-js"))
    .digest("hex");
  const stamp = `${out}.inputs`;
  if (existsSync(out) && existsSync(stamp) && readFileSync(stamp, "utf8") === hash) {
    console.log(`${out} is up to date`);
    return;
  }
  if (entry.endsWith(".ts")) typecheck(entry);
  mkdirSync(dirname(resolve(out)), { recursive: true });
  const bundled = `${out}.js`;
  writeFileSync(bundled, code);
  // componentize-js reads the WIT inside a sandbox that sees only the working folder: a copy of
  // the contract goes beside the output.
  const wit = join(dirname(out), "wit");
  mkdirSync(wit, { recursive: true });
  writeFileSync(join(wit, "plugin.wit"), readFileSync(join(WIT, "plugin.wit")));
  const { componentize } = await import("@bytecodealliance/componentize-js");
  const started = Date.now();
  let component;
  try {
    ({ component } = await componentize({
      sourcePath: bundled,
      witPath: wit,
      worldName: "plugin",
      // A plugin is called through its handler export, never as an HTTP server.
      disableFeatures: ["fetch-event"],
    }));
  } catch (err) {
    fail(`componentize-js could not build ${bundled} against ${wit}: ${err?.message ?? err}`);
  }
  // Written whole, then renamed: a host watching the folder never loads half a file.
  writeFileSync(`${out}.tmp`, component);
  renameSync(`${out}.tmp`, out);
  writeFileSync(stamp, hash);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`${out}: ${(component.length / 1024 / 1024).toFixed(1)} MiB in ${seconds} s`);
}

const [command, ...rest] = process.argv.slice(2);
if (command === "build") {
  const outAt = rest.indexOf("--out");
  const out = outAt >= 0 ? rest[outAt + 1] : undefined;
  const entry = rest.find((arg, i) => !arg.startsWith("--") && i !== outAt + 1);
  await build(entry, out);
} else if (command === "typecheck") {
  typecheck(rest[0]);
} else {
  fail(`unknown command ${command ?? "(none)"}; usage:\n` +
    "  smartreach-plugin build ENTRY --out FILE.wasm\n  smartreach-plugin typecheck [ENTRY]");
}
