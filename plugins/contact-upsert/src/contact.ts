/** The CRM contact's properties made from an event's prospect (CRM properties are strings). */
import type { Event } from "@smartreach-hooks/plugin-sdk";

/**
 * The properties to upsert: the prospect's fields that are set (an unset field is left out, so
 * that it never blanks what the CRM knows), the SmartReach keys, and what the event says.
 */
export function contactProperties(event: Event): Record<string, string> {
  const p = event.prospect;
  const properties: Record<string, string | null | undefined> = {
    email: p.email,
    firstname: p.first_name,
    lastname: p.last_name,
    company: p.company,
    city: p.city,
    country: p.country,
    smartreach_timezone: p.timezone,
    smartreach_list: p.list,
    smartreach_category: p.prospect_category,
    smartreach_prospect_id: String(p.prospect_id),
    smartreach_last_event: event.eventType,
    smartreach_last_event_at: event.occurredAt === null ? null : new Date(event.occurredAt).toISOString(),
  };
  if (event.eventType === "activity.email.replied") {
    properties.hs_lead_status = "CONNECTED";
    properties.smartreach_last_reply_subject = event.activity?.email_subject;
  }
  if (event.eventType === "activity.prospect.opted_out") {
    properties.smartreach_opted_out = "true";
  }
  const set: Record<string, string> = {};
  for (const [key, value] of Object.entries(properties)) {
    if (value !== null && value !== undefined && value !== "") set[key] = value;
  }
  return set;
}
