"""lead-score (Python): scores each email activity and appends it as a row to a sheet.

Each scored event becomes one `POST {endpoint}/v4/spreadsheets/{sheet_id}/values/{range}:append`
(Google-Sheets-style) of one row: event id, when, prospect id, email, company, event type,
points, campaign. The sheet sums the points per prospect. `Idempotency-Key: {event id}` lets the
API drop a retried row; auto-replies score nothing and are skipped.
"""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import quote

from smartreach_plugin import ConfigKey, Declaration, Event, Outcome, config, config_required, http, log

#: Points per event type: engagement raises a lead's score, a bounce or an opt-out lowers it.
POINTS = {
    "activity.email.opened": 1,
    "activity.email.link_clicked": 3,
    "activity.email.replied": 10,
    "activity.email.auto_replied": 0,
    "activity.email.bounced": -5,
    "activity.prospect.opted_out": -20,
}


def declare() -> Declaration:
    return Declaration(
        event_types=list(POINTS),
        description="Scores email activity and appends each score as a row to a sheet",
        config=[
            ConfigKey("sheet_id", "The spreadsheet's id", required=True),
            ConfigKey("range", "Where rows are appended", default="Scores!A:H"),
            ConfigKey("endpoint", "The sheets API's base URL", default="https://sheets.googleapis.com"),
            ConfigKey("api_token", "Sent as `Authorization: Bearer ...`; unset sends none"),
        ],
    )


def row(event: Event) -> list[str | int | None]:
    """The sheet row of a scored event."""
    prospect = event.prospect
    activity = event.activity or {}
    when = event.occurred_at
    return [
        event.id,
        None if when is None else datetime.fromtimestamp(when / 1000, timezone.utc).isoformat(timespec="seconds"),
        prospect["prospect_id"],
        prospect.get("email"),
        prospect.get("company"),
        event.event_type,
        POINTS.get(event.event_type, 0),
        activity.get("campaign_name"),
    ]


def handle(event: Event) -> Outcome:
    points = POINTS.get(event.event_type, 0)
    if points == 0:
        return Outcome.skipped(f"{event.event_type} scores no points")
    endpoint = config_required("endpoint").rstrip("/")
    sheet = quote(config_required("sheet_id"), safe="")
    cells = quote(config_required("range"), safe="!:")
    headers = {"idempotency-key": event.id}
    token = config("api_token")
    if token:
        headers["authorization"] = f"Bearer {token}"
    log.info(f"prospect {event.prospect['prospect_id']}: {points:+d} for {event.event_type}")
    return http.deliver(
        "POST",
        f"{endpoint}/v4/spreadsheets/{sheet}/values/{cells}:append?valueInputOption=RAW",
        headers=headers,
        json={"values": [row(event)]},
    )
