"""`Outcome`: what the host does after `handle`, by the Rust SDK's names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal


@dataclass(frozen=True)
class Outcome:
    """The contract's `outcome`: build it with `Outcome.DONE`, `skipped`, `retry`,
    `retry_after` or `failed`."""

    kind: Literal["done", "skipped", "retry", "failed"]
    reason: str = ""
    delay_ms: int | None = None

    DONE: ClassVar["Outcome"]  # set below: handled, the delivery is done

    @staticmethod
    def skipped(reason: str) -> "Outcome":
        """Not for this plugin (an auto-reply to a replies plugin, a prospect without email)."""
        return Outcome("skipped", reason)

    @staticmethod
    def retry(reason: str) -> "Outcome":
        """A transient problem: retried after the host's backoff, dead-lettered when the
        schedule runs out."""
        return Outcome("retry", reason)

    @staticmethod
    def retry_after(reason: str, delay_ms: int) -> "Outcome":
        """A transient problem: retried after `delay_ms` milliseconds."""
        if not isinstance(delay_ms, int) or isinstance(delay_ms, bool) or delay_ms < 0:
            raise ValueError(
                f"Outcome.retry_after: delay_ms must be a whole number of milliseconds >= 0, "
                f"got {delay_ms!r}"
            )
        return Outcome("retry", reason, delay_ms)

    @staticmethod
    def failed(reason: str) -> "Outcome":
        """A permanent problem: the delivery is dead-lettered at once."""
        return Outcome("failed", reason)


Outcome.DONE = Outcome("done")
