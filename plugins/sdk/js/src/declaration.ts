/** What a plugin says about itself at load: `declare()`'s answer. */
import type { EventType } from "./event.js";

/** A configuration key the plugin reads with `config()`. */
export interface ConfigKey {
  /** The key, as written under `[config]` in the manifest. */
  name: string;
  /** What it is for. */
  description: string;
  /** The value used when the manifest sets none. */
  default?: string;
  /**
   * Whether the plugin cannot work without it: the host refuses to load the plugin when a
   * required key has neither a manifest value nor a default.
   */
  required?: boolean;
}

/** What `declare()` returns. */
export interface Declaration {
  /** The event types handled: documented names, other names as SmartReach sends them, or `"*"`. */
  eventTypes: readonly (EventType | "*")[];
  /** One line about what the plugin does. */
  description: string;
  /** The configuration keys the plugin reads. */
  config?: readonly ConfigKey[];
}

/** The event type pattern that matches every event. */
export const ALL_EVENTS = "*";
