"""{{name}}: a smartreach-hooks plugin. It logs the type of every event and the prospect's email.

Build: ./build.sh (writes {{name}}.wasm). The SDK's reference is sdk/smartreach_plugin/__init__.py.
"""

from smartreach_plugin import ALL_EVENTS, Declaration, Event, Outcome, log


def declare() -> Declaration:
    return Declaration(
        event_types=[ALL_EVENTS],
        description="Logs the type of every event and the prospect's email",
    )


def handle(event: Event) -> Outcome:
    email = event.prospect.get("email") or "(no email)"
    log.info(f"{event.event_type} {event.id} {email}")
    return Outcome.DONE
