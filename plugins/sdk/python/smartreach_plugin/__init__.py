"""Write smartreach-hooks plugins in Python.

A plugin is a module `plugin.py` defining two functions, built into a wasm component with
componentize-py (`cargo xtask plugins` for the examples; see plugins/README.md)::

    from smartreach_plugin import ConfigKey, Declaration, Event, Outcome, config_required, http, log

    def declare() -> Declaration:
        return Declaration(
            event_types=["activity.email.replied"],
            description="POSTs each reply's email and subject to `url`",
            config=[ConfigKey("url", "Where to POST the reply", required=True)],
        )

    def handle(event: Event) -> Outcome:
        log.info(f"forwarding reply {event.id}")
        activity = event.activity or {}
        return http.deliver("POST", config_required("url"),
                            headers={"idempotency-key": event.id},
                            json={"email": event.prospect.get("email"),
                                  "subject": activity.get("email_subject")})

The host lets `http` reach only the manifest's `allowed_outbound_hosts`.
"""

from . import http, log
from ._config import ConfigError, config, config_int, config_required
from ._declaration import ALL_EVENTS, ConfigKey, Declaration
from ._event import DOCUMENTED_EVENT_TYPES, Event, EventError, decode_event, normalize_event_type
from ._outcome import Outcome

__all__ = [
    "ALL_EVENTS",
    "DOCUMENTED_EVENT_TYPES",
    "ConfigError",
    "ConfigKey",
    "Declaration",
    "Event",
    "EventError",
    "Outcome",
    "config",
    "config_int",
    "config_required",
    "decode_event",
    "http",
    "log",
    "normalize_event_type",
]
