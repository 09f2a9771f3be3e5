//! Running a plugin on one event: a fresh instance, a deadline, a memory cap, and the outcome.

use std::time::{Duration, Instant};

use serde::Serialize;
use wasmtime::{Store, UpdateDeadline};

use crate::bindings::{self, types};
use crate::event::PluginEvent;
use crate::logs::LogLine;
use crate::outbound::OutboundRequest;
use crate::plugin::Plugin;
use crate::state::InstanceState;
use crate::text::cut_reason;

/// The longest delay a plugin may ask for before a retry.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(24 * 60 * 60);

/// What came of one invocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// The plugin handled the event.
    Done,
    /// The plugin chose not to act.
    Skipped {
        /// Its reason, cut to [`crate::MAX_REASON_BYTES`].
        reason: String,
    },
    /// The plugin asks to be run again later.
    Retry {
        /// Its reason, cut to [`crate::MAX_REASON_BYTES`].
        reason: String,
        /// The delay it asks for (at most 24 h); `None` leaves it to the host's backoff.
        delay: Option<Duration>,
    },
    /// The plugin reports a permanent failure.
    Failed {
        /// Its reason, cut to [`crate::MAX_REASON_BYTES`].
        reason: String,
    },
    /// The plugin did not finish: the sandbox stopped it, or it crashed.
    Fault(Fault),
}

/// Why an invocation did not finish.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "fault", rename_all = "snake_case")]
pub enum Fault {
    /// It ran past its wall-clock deadline and was interrupted.
    #[error("stopped after its deadline of {} ms (limits.timeout_ms)", limit.as_millis())]
    Timeout {
        /// The deadline.
        limit: Duration,
    },
    /// It tried to grow its memory past its cap and was trapped.
    #[error("stopped for growing its memory past {} MiB (limits.memory_mib)", limit_bytes / (1024 * 1024))]
    MemoryExhausted {
        /// The cap.
        limit_bytes: u64,
    },
    /// No instance slot was free (too many invocations at once across all plugins); nothing of the
    /// plugin ran, so the event can be retried as it is.
    #[error(
        "not run: every instance slot of the runtime was in use (RuntimeConfig::max_instances)"
    )]
    Capacity,
    /// It trapped (a Rust panic ends here; its message is in the stderr log lines).
    #[error("trapped: {message}")]
    Trap {
        /// The trap, as wasmtime reports it, cut to [`crate::MAX_REASON_BYTES`].
        message: String,
    },
}

/// The record of one invocation.
#[derive(Debug, Clone, Serialize)]
pub struct Invocation {
    /// What came of it.
    pub outcome: Outcome,
    /// What the plugin logged, and wrote to stdout and stderr (capped).
    pub logs: Vec<LogLine>,
    /// The outbound HTTP requests it made: sent, denied, or (record-only mode) not sent.
    pub requests: Vec<OutboundRequest>,
    /// Wall-clock time, instantiation included.
    pub duration: Duration,
}

impl Plugin {
    /// Runs the plugin on `event` in a fresh instance. Never fails: every way the plugin can go
    /// wrong is an [`Outcome`].
    pub async fn invoke(&self, event: &PluginEvent) -> Invocation {
        let started = Instant::now();
        // limits.max_concurrency: further invocations wait here for a running one to finish.
        let _permit = self
            .permits
            .acquire()
            .await
            .expect("the semaphore is never closed");
        let mut store = self.new_store();
        let input = types::Event {
            id: event.id.clone(),
            event_type: event.event_type.clone(),
            metadata: event.metadata.clone(),
            item: event.item.clone(),
            attempt: event.attempt,
        };
        let result = self
            .with_deadline(async {
                let instance = self.pre.instantiate_async(&mut store).await?;
                instance
                    .smartreach_plugin_handler()
                    .call_handle(&mut store, &input)
                    .await
            })
            .await;
        let outcome = match result {
            Ok(outcome) => Outcome::from_wit(outcome),
            Err(err) => Outcome::Fault(self.classify(&store, err)),
        };
        let (logs, requests) = store.data_mut().take_output();
        Invocation {
            outcome,
            logs,
            requests,
            duration: started.elapsed(),
        }
    }

    /// A store for one instance, with this plugin's limits.
    pub(crate) fn new_store(&self) -> Store<InstanceState> {
        let state = InstanceState::new(
            self.config.clone(),
            self.outbound.clone(),
            self.limits.memory_bytes,
            self.max_output_bytes,
            self.fixed_wall_clock,
        );
        let mut store = Store::new(self.pre.engine(), state);
        store.limiter(|state| &mut state.limiter);
        // Every epoch tick, wasm code yields to the async executor (so a loop never holds a worker
        // thread) until the deadline passes; then it traps.
        let deadline = Instant::now() + self.limits.timeout;
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |_| {
            Ok(if Instant::now() >= deadline {
                UpdateDeadline::Interrupt
            } else {
                UpdateDeadline::Yield(1)
            })
        });
        store
    }

    /// Runs `work` under the wall-clock deadline. Epoch interruption stops wasm code; this timer
    /// also covers time spent waiting in host calls (outbound HTTP).
    pub(crate) async fn with_deadline<T>(
        &self,
        work: impl Future<Output = wasmtime::Result<T>>,
    ) -> wasmtime::Result<T> {
        let grace = self.epoch_tick * 2;
        match tokio::time::timeout(self.limits.timeout + grace, work).await {
            Ok(result) => result,
            Err(_) => Err(wasmtime::Trap::Interrupt.into()),
        }
    }

    pub(crate) fn classify(&self, store: &Store<InstanceState>, err: wasmtime::Error) -> Fault {
        if err
            .downcast_ref::<wasmtime::PoolConcurrencyLimitError>()
            .is_some()
        {
            Fault::Capacity
        } else if store.data().limiter.exceeded {
            Fault::MemoryExhausted {
                limit_bytes: self.limits.memory_bytes,
            }
        } else if err.downcast_ref::<wasmtime::Trap>() == Some(&wasmtime::Trap::Interrupt) {
            Fault::Timeout {
                limit: self.limits.timeout,
            }
        } else {
            Fault::Trap {
                message: cut_reason(format!("{err:?}")),
            }
        }
    }
}

impl Outcome {
    fn from_wit(outcome: types::Outcome) -> Self {
        match outcome {
            types::Outcome::Done => Self::Done,
            types::Outcome::Skipped(reason) => Self::Skipped {
                reason: cut_reason(reason),
            },
            types::Outcome::Retry(bindings::types::Retry { reason, delay_ms }) => Self::Retry {
                reason: cut_reason(reason),
                delay: delay_ms.map(|ms| Duration::from_millis(ms).min(MAX_RETRY_DELAY)),
            },
            types::Outcome::Failed(reason) => Self::Failed {
                reason: cut_reason(reason),
            },
        }
    }
}

impl Plugin {
    /// Instantiates the plugin in a fresh store and drops it, calling nothing: shows the plugin can
    /// still be instantiated, and measures what instantiation alone costs.
    pub async fn probe(&self) -> Result<(), Fault> {
        let mut store = self.new_store();
        match self
            .with_deadline(self.pre.instantiate_async(&mut store))
            .await
        {
            Ok(_) => Ok(()),
            Err(err) => Err(self.classify(&store, err)),
        }
    }
}
