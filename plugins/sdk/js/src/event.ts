/**
 * `Event`: one data item of a stored webhook, decoded from the JSON the host sends, with the
 * seed's quirks handled as the Rust SDK handles them (README.md, "Seed quirks").
 */
import {
  DOCUMENTED_EVENT_TYPES,
  type Activity,
  type DataItem,
  type DocumentedEventType,
  type Metadata,
  type Prospect,
} from "./generated/webhook.js";

/**
 * An event type: one of the 13 documented names, or any other name as SmartReach sent it.
 * (`string & {}` keeps editors offering the documented names.)
 */
export type EventType = DocumentedEventType | (string & {});

/** One data item of a webhook, as `handle` receives it. */
export interface Event {
  /** Stable id of this (webhook, data item) pair, the same on every retry: an idempotency key. */
  readonly id: string;
  /** The event type, normalised (a legacy `email_opened` arrives as `activity.email.opened`). */
  readonly eventType: EventType;
  /** The webhook's `metadata`; its `event_type` normalised like `eventType`. */
  readonly metadata: Metadata;
  /** The data item: the prospect, and the activity for `activity.*` events. */
  readonly item: DataItem;
  /** How many attempts of this delivery came before this one (0 on the first). */
  readonly attempt: number;
  /** The prospect the event is about (`item.prospect`); read its `email`, never `prospect_email`. */
  readonly prospect: Prospect;
  /** The activity, for `activity.*` events; `null` otherwise. */
  readonly activity: Activity | null;
  /**
   * When the event happened, in milliseconds since the Unix epoch: the activity's `created_at`,
   * else the webhook's `received_at`; `null` when neither is known.
   */
  readonly occurredAt: number | null;
}

/** Why the host's event could not be decoded: names the field and what is wrong. */
export class EventError extends Error {
  override name = "EventError";
  constructor(
    /** The event field that failed: `metadata` or `item`. */
    readonly field: "metadata" | "item",
    /** The JSON path inside that field, e.g. `prospect.prospect_id`; `.` is the field itself. */
    readonly path: string,
    problem: string,
  ) {
    super(`cannot decode the event's \`${field}\` at \`${path}\`: ${problem}`);
  }
}

/** The documented type named `name`, exactly or by its legacy short name, else `name` as sent. */
export function normalizeEventType(name: string): EventType {
  if ((DOCUMENTED_EVENT_TYPES as readonly string[]).includes(name)) return name;
  // The legacy short name: the documented name without `activity.`, dots as underscores.
  const documented = DOCUMENTED_EVENT_TYPES.find(
    (type) => type.replace(/^activity\./, "").replaceAll(".", "_") === name,
  );
  return documented ?? name;
}

/**
 * Decodes an event from what the host sends: `metadata` is the webhook's metadata object as JSON,
 * `item` one element of its `data` array. Throws an `EventError` when either is not the shape of
 * the schema's required fields.
 */
export function decodeEvent(
  id: string,
  eventType: string,
  metadataJson: string,
  itemJson: string,
  attempt: number,
): Event {
  const metadata = parseObject("metadata", metadataJson) as unknown as Metadata;
  const item = parseObject("item", itemJson) as unknown as DataItem;
  if (typeof metadata.event_type !== "string") {
    throw new EventError("metadata", "event_type", `expected a string, found ${kind(metadata.event_type)}`);
  }
  metadata.event_type = normalizeEventType(metadata.event_type);
  const prospect = item.prospect as Prospect | undefined;
  if (prospect === null || typeof prospect !== "object" || Array.isArray(prospect)) {
    throw new EventError("item", "prospect", `expected an object, found ${kind(prospect)}`);
  }
  if (!Number.isSafeInteger(prospect.prospect_id)) {
    throw new EventError(
      "item",
      "prospect.prospect_id",
      `expected an integer, found ${kind(prospect.prospect_id)}`,
    );
  }
  // The seed's webhook example spells the address `prospect_email`: copied into `email` when
  // `email` is absent, null or empty; `prospect_email` is kept as sent.
  if ((prospect.email ?? "") === "" && prospect.prospect_email != null) {
    prospect.email = prospect.prospect_email;
  }
  const activity = item.activity ?? null;
  const occurredAt = activity?.created_at ?? metadata.received_at ?? null;
  return {
    id,
    eventType: normalizeEventType(eventType),
    metadata,
    item,
    attempt,
    prospect,
    activity,
    occurredAt,
  };
}

function parseObject(field: "metadata" | "item", json: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new EventError(field, ".", `not JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new EventError(field, ".", `expected an object, found ${kind(value)}`);
  }
  return value as Record<string, unknown>;
}

function kind(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `the string ${JSON.stringify(value.slice(0, 40))}`;
  if (typeof value === "number") return `the number ${value}`;
  return `a ${typeof value}`;
}
