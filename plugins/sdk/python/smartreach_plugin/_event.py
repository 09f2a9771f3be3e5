"""`Event`: one data item of a stored webhook, decoded from the JSON the host sends, with the
seed's quirks handled as the Rust SDK handles them (README.md, "Seed quirks")."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, cast

from .models import Activity, DataItem, Metadata, Prospect

#: The 13 documented event types, in the order of the documentation's table.
DOCUMENTED_EVENT_TYPES: tuple[str, ...] = (
    "prospect.created",
    "prospect.updated",
    "prospect.created_or_updated",
    "activity.email.sent",
    "activity.email.bounced",
    "activity.email.opened",
    "activity.email.link_clicked",
    "activity.email.invalid",
    "activity.email.replied",
    "activity.email.auto_replied",
    "activity.email.out_of_office_replied",
    "activity.prospect.opted_out",
    "activity.prospect.completed_campaign",
)


class EventError(ValueError):
    """The host's event could not be decoded: names the field, the path and what is wrong."""

    def __init__(self, field: str, path: str, problem: str) -> None:
        super().__init__(f"cannot decode the event's `{field}` at `{path}`: {problem}")
        self.field = field
        self.path = path


@dataclass(frozen=True)
class Event:
    """One data item of a webhook, as `handle` receives it."""

    #: Stable id of this (webhook, data item) pair, the same on every retry: an idempotency key.
    id: str
    #: The event type, normalised (a legacy `email_opened` arrives as `activity.email.opened`).
    event_type: str
    #: The webhook's `metadata`; its `event_type` normalised like `event_type`.
    metadata: Metadata
    #: The data item: the prospect, and the activity for `activity.*` events.
    item: DataItem
    #: How many attempts of this delivery came before this one (0 on the first).
    attempt: int

    @property
    def prospect(self) -> Prospect:
        """The prospect the event is about; read its `email`, never `prospect_email`."""
        return self.item["prospect"]

    @property
    def activity(self) -> Activity | None:
        """The activity, for `activity.*` events."""
        return self.item.get("activity")

    @property
    def occurred_at(self) -> int | None:
        """When the event happened, in milliseconds since the Unix epoch: the activity's
        `created_at`, else the webhook's `received_at`."""
        activity = self.activity
        if activity is not None and activity.get("created_at") is not None:
            return activity.get("created_at")
        return self.metadata.get("received_at")


def normalize_event_type(name: str) -> str:
    """The documented type named `name`, exactly or by its legacy short name (the documented
    name without `activity.`, dots as underscores), else `name` as sent."""
    if name in DOCUMENTED_EVENT_TYPES:
        return name
    for documented in DOCUMENTED_EVENT_TYPES:
        if documented.removeprefix("activity.").replace(".", "_") == name:
            return documented
    return name


def decode_event(id: str, event_type: str, metadata_json: str, item_json: str, attempt: int) -> Event:
    """Decodes an event from what the host sends; raises `EventError` when `metadata` or
    `item` is not the shape of the schema's required fields."""
    metadata = _object("metadata", metadata_json)
    item = _object("item", item_json)
    if not isinstance(metadata.get("event_type"), str):
        raise EventError("metadata", "event_type", f"expected a string, found {_kind(metadata.get('event_type'))}")
    metadata["event_type"] = normalize_event_type(metadata["event_type"])
    prospect = item.get("prospect")
    if not isinstance(prospect, dict):
        raise EventError("item", "prospect", f"expected an object, found {_kind(prospect)}")
    prospect_id = prospect.get("prospect_id")
    if not isinstance(prospect_id, int) or isinstance(prospect_id, bool):
        raise EventError("item", "prospect.prospect_id", f"expected an integer, found {_kind(prospect_id)}")
    # The seed's webhook example spells the address `prospect_email`: copied into `email` when
    # `email` is absent, null or empty; `prospect_email` is kept as sent.
    if not prospect.get("email") and prospect.get("prospect_email") is not None:
        prospect["email"] = prospect["prospect_email"]
    return Event(
        id=id,
        event_type=normalize_event_type(event_type),
        metadata=cast(Metadata, metadata),
        item=cast(DataItem, item),
        attempt=attempt,
    )


def _object(field: str, text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as err:
        raise EventError(field, ".", f"not JSON: {err}") from None
    if not isinstance(value, dict):
        raise EventError(field, ".", f"expected an object, found {_kind(value)}")
    return value


def _kind(value: object) -> str:
    if value is None:
        return "null or nothing"
    if isinstance(value, bool):
        return f"the boolean {value}"
    if isinstance(value, str):
        return f"the string {json.dumps(value[:40])}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, list):
        return "an array"
    return f"a {type(value).__name__}"
