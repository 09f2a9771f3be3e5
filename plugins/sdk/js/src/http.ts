/**
 * The usual outcome of delivering an event over HTTP, as the Rust SDK's
 * `http::delivery_outcome`. Requests go through the global `fetch`, which the host restricts to
 * the manifest's `allowed_outbound_hosts`.
 */
import { Outcome } from "./outcome.js";

/** How many characters of an error response's body go into the outcome's reason. */
const SNIPPET_CHARS = 200;

/**
 * The outcome of one HTTP delivery whose answer is `response`:
 * 2xx done; 408, 429 and 5xx retry (after `Retry-After` seconds when sent); any other status
 * failed, with the status and the start of the body.
 */
export async function deliveryOutcome(response: Response): Promise<Outcome> {
  if (response.status >= 200 && response.status < 300) return Outcome.done;
  const text = (await response.text()).trim();
  const chars = Array.from(text);
  const snippet = chars.length > SNIPPET_CHARS ? `${chars.slice(0, SNIPPET_CHARS).join("")}…` : text;
  const reason = `HTTP ${response.status}: ${snippet}`;
  const transient = response.status === 408 || response.status === 429 || response.status >= 500;
  if (!transient) return Outcome.failed(reason);
  const delayMs = retryAfterMs(response.headers.get("retry-after"));
  return delayMs === undefined ? Outcome.retry(reason) : Outcome.retryAfter(reason, delayMs);
}

/**
 * `fetch(url, init)` and its `deliveryOutcome`. A request that gets no response (the host denied
 * it, DNS, connection, timeout) is retried, with fetch's message as the reason: the host records
 * what happened to it in the attempt's requests (`denied`, `timeout`, ...).
 */
export async function deliver(url: string, init?: RequestInit): Promise<Outcome> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (err) {
    return Outcome.retry(`HTTP request to ${origin(url)} got no response: ${message(err)}`);
  }
  return deliveryOutcome(response);
}

/** The `Retry-After` delay in milliseconds when the header holds a number of seconds. */
export function retryAfterMs(value: string | null): number | undefined {
  if (value === null || !/^\s*\d+\s*$/.test(value)) return undefined;
  return Math.min(Number(value.trim()) * 1000, Number.MAX_SAFE_INTEGER);
}

function origin(url: string): string {
  // Never the path or query, which may hold secrets.
  const match = /^[a-z]+:\/\/[^/?#]*/i.exec(url);
  return match ? match[0] : "an invalid URL";
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
