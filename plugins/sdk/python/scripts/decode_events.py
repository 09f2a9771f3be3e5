"""The SDK's event decoding, run natively for the cross-language quirk test
(crates/plugin-sdk/tests/quirks_across_languages.rs): reads one JSON line per event,
`{"id", "eventType", "metadata", "item", "attempt"}` (metadata and item as JSON text, as the host
sends them), and prints one line per event: `{"ok": {id, eventType, metadata, item, attempt,
occurredAt}}` or `{"error": message}`."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from smartreach_plugin._event import decode_event  # noqa: E402

for line in sys.stdin:
    if not line.strip():
        continue
    wit = json.loads(line)
    try:
        event = decode_event(wit["id"], wit["eventType"], wit["metadata"], wit["item"], wit["attempt"])
        answer = {
            "ok": {
                "id": event.id,
                "eventType": event.event_type,
                "metadata": event.metadata,
                "item": event.item,
                "attempt": event.attempt,
                "occurredAt": event.occurred_at,
            }
        }
    except ValueError as err:
        answer = {"error": str(err)}
    print(json.dumps(answer))
