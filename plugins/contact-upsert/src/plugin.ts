/**
 * contact-upsert: keeps a HubSpot-style CRM's contacts in step with SmartReach.
 *
 * Each created or updated prospect, each reply and each opt-out becomes one
 * `POST {endpoint}/crm/v3/objects/contacts/batch/upsert` of the prospect, keyed on its email
 * (`idProperty: "email"`), with `Idempotency-Key: {event id}` and `Authorization: Bearer
 * {api_token}`. A reply also sets the lead status to `CONNECTED`; an opt-out sets
 * `smartreach_opted_out`. A prospect without an email is skipped: the CRM keys contacts on it.
 */
import {
  Outcome,
  configRequired,
  config,
  deliver,
  log,
  type Declaration,
  type Event,
} from "@smartreach-hooks/plugin-sdk";
import { contactProperties } from "./contact.js";

export function declare(): Declaration {
  return {
    eventTypes: [
      "prospect.created",
      "prospect.updated",
      "prospect.created_or_updated",
      "activity.email.replied",
      "activity.prospect.opted_out",
    ],
    description: "Upserts prospects as CRM contacts (HubSpot-style batch upsert keyed on email)",
    config: [
      { name: "endpoint", description: "The CRM API's base URL", default: "https://api.hubapi.com" },
      { name: "api_token", description: "Sent as `Authorization: Bearer ...`; unset sends none" },
    ],
  };
}

export async function handle(event: Event): Promise<Outcome> {
  const email = event.prospect.email;
  if (!email) {
    return Outcome.skipped(`prospect ${event.prospect.prospect_id} has no email: contacts are keyed on it`);
  }
  const endpoint = configRequired("endpoint").replace(/\/+$/, "");
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "idempotency-key": event.id,
  };
  const token = config("api_token");
  if (token) headers.authorization = `Bearer ${token}`;
  const body = {
    inputs: [{ idProperty: "email", id: email, properties: contactProperties(event) }],
  };
  log.info(`upserting contact for prospect ${event.prospect.prospect_id} (${event.eventType})`);
  return deliver(`${endpoint}/crm/v3/objects/contacts/batch/upsert`, {
    method: "POST",
    headers,
    body: JSON.stringify(body),
  });
}
