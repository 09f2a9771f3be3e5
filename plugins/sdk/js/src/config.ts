/// <reference path="./wit.d.ts" />
/** The plugin's configuration: the manifest's `[config]` values, else the declared defaults. */
import { config as hostConfig } from "smartreach:plugin/host@0.1.0";

/** A configuration value the plugin needs is missing or malformed. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** The configuration value `name`, or `undefined` when neither the manifest nor a default sets it. */
export function config(name: string): string | undefined {
  return hostConfig(name) ?? undefined;
}

/** The configuration value `name`; throws a `ConfigError` naming the key when it is not set. */
export function configRequired(name: string): string {
  const value = config(name);
  if (value === undefined) {
    throw new ConfigError(
      `config key \`${name}\` is not set; set it under [config] in the plugin's manifest`,
    );
  }
  return value;
}

/** The configuration value `name` as a number (surrounding space ignored); `undefined` when unset. */
export function configNumber(name: string): number | undefined {
  const value = config(name);
  if (value === undefined) return undefined;
  const number = value.trim() === "" ? NaN : Number(value.trim());
  if (!Number.isFinite(number)) {
    throw new ConfigError(`config key \`${name}\` has an invalid value \`${value}\`: not a number`);
  }
  return number;
}
