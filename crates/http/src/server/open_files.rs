//! The open-files limit: every connection costs a file descriptor, and the usual soft limit (1024)
//! is lower than what the server is configured to hold, so it is raised to the hard limit at start.

use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

/// Descriptors kept for everything that is not a client connection: the listener, the store's
/// database, WAL and lock files, the plugin and cache folders, wasmtime's memory files, stdio.
pub const RESERVED_FDS: u64 = 128;

/// Raises the soft `RLIMIT_NOFILE` to the hard limit and returns the soft limit now in force
/// (`None` when unlimited). Failing to raise it is not fatal: the old limit stays, and is returned.
pub fn raise_to_hard_limit() -> Option<u64> {
    let limit = getrlimit(Resource::Nofile);
    if limit.current == limit.maximum {
        return limit.current;
    }
    let raised = Rlimit {
        current: limit.maximum,
        maximum: limit.maximum,
    };
    match setrlimit(Resource::Nofile, raised) {
        Ok(()) => limit.maximum,
        Err(err) => {
            tracing::warn!(%err, soft = ?limit.current, hard = ?limit.maximum, "cannot raise the open-files limit");
            limit.current
        }
    }
}

/// Logs the open-files limit, and warns when it cannot hold `max_connections` connections plus
/// [`RESERVED_FDS`]: past it, accepting fails and the server waits a second before trying again.
pub fn check(limit: Option<u64>, max_connections: usize) {
    let Some(limit) = limit else {
        tracing::info!("open-files limit: unlimited");
        return;
    };
    tracing::info!(limit, "open-files limit");
    let needed = max_connections as u64 + RESERVED_FDS;
    if limit < needed {
        tracing::warn!(
            limit,
            max_connections,
            "the open-files limit is below http.max_connections + {RESERVED_FDS}: lower \
             http.max_connections, or raise the hard limit (ulimit -Hn, or LimitNOFILE= in a \
             systemd unit)"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_soft_limit_ends_at_the_hard_limit() {
        let now = raise_to_hard_limit();
        assert_eq!(now, getrlimit(Resource::Nofile).current);
        assert_eq!(now, getrlimit(Resource::Nofile).maximum);
    }
}
