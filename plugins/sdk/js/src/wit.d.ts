// The host imports of the contract (`schema/wit/plugin.wit`, interface `host`), as
// componentize-js exposes them to the bundled module. Only the SDK imports this module.
declare module "smartreach:plugin/host@0.1.0" {
  /** Severity of a log line (the WIT enum `level`). */
  export type Level = "trace" | "debug" | "info" | "warn" | "error";
  /** Writes a log line, tagged with the plugin's name. */
  export function log(level: Level, message: string): void;
  /** The configuration value `name`: the manifest's value, else the declared default. */
  export function config(name: string): string | undefined;
}
