//! The fake upstream of a test run: answers each request as the script says and keeps it, so
//! that the run's snapshot can show what the plugin sent.

use std::sync::{Arc, Mutex, PoisonError};

use smartreach_plugin_runtime::{FakeRequest, FakeResponse, FakeUpstream};

use super::script::Script;

/// A request the plugin sent and the status it was answered with.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// What the plugin sent.
    pub request: FakeRequest,
    /// The status the script answered.
    pub status: u16,
}

/// Answers from a [`Script`] and records every exchange.
#[derive(Debug)]
pub struct Recorder {
    script: Script,
    exchanges: Mutex<Vec<Exchange>>,
}

impl Recorder {
    /// A recorder answering as `script` says.
    pub fn new(script: Script) -> Arc<Self> {
        Arc::new(Self {
            script,
            exchanges: Mutex::default(),
        })
    }

    /// The exchanges since the last call, in the order they were answered.
    pub fn take(&self) -> Vec<Exchange> {
        std::mem::take(
            &mut *self
                .exchanges
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }
}

impl FakeUpstream for Recorder {
    fn answer(&self, request: FakeRequest) -> FakeResponse {
        let response = self.script.answer(&request);
        self.exchanges
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Exchange {
                request,
                status: response.status,
            });
        response
    }
}
