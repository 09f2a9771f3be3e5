"""The glue between a plugin module (`declare`, `handle`) and the component's `handler` export of
the contract (`schema/wit/plugin.wit`), in componentize-py's conventions. Authors never import it."""

from __future__ import annotations

import importlib
from typing import Any

from wit_world import exports
from wit_world.imports import smartreach_plugin_types as wit

from ._event import EventError, decode_event
from ._outcome import Outcome

#: The author's module: `plugin.py` (or `plugin/__init__.py`) on the build's source path.
PLUGIN_MODULE = "plugin"


_loaded: Any = None


def load_plugin() -> Any:
    """Imports the plugin module (once) and checks that it defines `declare` and `handle`."""
    global _loaded
    if _loaded is not None:
        return _loaded
    module = importlib.import_module(PLUGIN_MODULE)
    missing = [name for name in ("declare", "handle") if not callable(getattr(module, name, None))]
    if missing:
        raise TypeError(
            f"a plugin module ({module.__file__}) defines two functions, `declare()` and "
            f"`handle(event)`; this one lacks {', '.join(missing)}"
        )
    _loaded = module
    return module


def encode_outcome(outcome: Outcome) -> wit.Outcome:
    """`outcome` as the contract's variant; raises on anything that is not an `Outcome`."""
    if not isinstance(outcome, Outcome):
        # A programming error, like a panic in Rust: a fault, retried, and replayable once fixed.
        raise TypeError(
            f"handle() returned {outcome!r}, not an Outcome: return Outcome.DONE, "
            "Outcome.skipped(reason), Outcome.retry(reason), Outcome.retry_after(reason, ms) "
            "or Outcome.failed(reason)"
        )
    if outcome.kind == "done":
        return wit.Outcome_Done()
    if outcome.kind == "skipped":
        return wit.Outcome_Skipped(str(outcome.reason))
    if outcome.kind == "retry":
        return wit.Outcome_Retry(wit.Retry(str(outcome.reason), outcome.delay_ms))
    return wit.Outcome_Failed(str(outcome.reason))


class Handler(exports.Handler):
    """The contract's `handler` interface, implemented by the plugin module."""

    def declare(self) -> wit.Declaration:
        declaration = load_plugin().declare()
        return wit.Declaration(
            event_types=list(declaration.event_types),
            description=declaration.description,
            config=[
                wit.ConfigKey(key.name, key.description, key.default, key.required)
                for key in declaration.config
            ],
        )

    def handle(self, event: wit.Event) -> wit.Outcome:
        try:
            decoded = decode_event(event.id, event.event_type, event.metadata, event.item, event.attempt)
        except EventError as err:
            # Never raise on a malformed event: the host records the reason.
            return encode_outcome(Outcome.failed(str(err)))
        return encode_outcome(load_plugin().handle(decoded))
