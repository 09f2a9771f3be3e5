//! `smartreach-hooks serve`: open the store, start loading the plugins (in the background), start
//! the workers, the plugin watcher and the HTTP server; on SIGTERM/SIGINT stop accepting, finish or release what is in
//! flight, and exit.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use smartreach_config::Config;
use smartreach_dispatch::plugins::{Registry, Watcher};
use smartreach_dispatch::{Controls, Dispatcher, RetrySchedule, Shutdown, retention};
use smartreach_http::{App, Tokens, server};
use smartreach_metrics::Metrics;
use smartreach_plugin_runtime::{Runtime, RuntimeConfig};
use tokio::sync::Notify;

use crate::default_source::{default_source, token_file};
use crate::folders::{self, Privacy};

/// The folder, in the data folder, where the start of a new plugin's compile window is kept until
/// it is backfilled (a restart meanwhile continues it).
const COMPILE_WINDOWS: &str = "compile-windows";

/// Why the host could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A folder could not be created, or is not safe to use.
    #[error(transparent)]
    Folder(#[from] crate::folders::FolderError),
    /// The store could not be opened.
    #[error(transparent)]
    Store(#[from] smartreach_store::StoreError),
    /// The plugin engine could not start.
    #[error(transparent)]
    Runtime(#[from] smartreach_plugin_runtime::RuntimeError),
    /// The generated ingest token could not be read or written.
    #[error("cannot read or create the ingest token file {}: {source}", path.display())]
    Token {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The listen address could not be bound.
    #[error("cannot listen on {addr} (listen): {source}; is another process using the port?")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The HTTP server failed.
    #[error("the HTTP server failed: {0}")]
    Server(#[source] std::io::Error),
}

/// Runs the host until `shutdown` triggers (the binary triggers it on SIGTERM/SIGINT).
pub async fn serve(config: Config, shutdown: Shutdown) -> Result<(), ServeError> {
    folders::prepare(&config.data_dir, "data_dir", Privacy::Private)?;
    folders::prepare(&config.plugin_dir, "plugin_dir", Privacy::Shared)?;
    // Not plugins.cache_dir: the plugin runtime creates it private and refuses an unsafe one.

    let opened = crate::store::open(&config.store, &config.data_dir).await?;
    let store = opened.store;

    let (sources, generated) = if config.sources.is_empty() {
        let source = default_source(&config.data_dir).map_err(|source| ServeError::Token {
            path: token_file(&config.data_dir),
            source,
        })?;
        (vec![source], true)
    } else {
        (config.sources.clone(), false)
    };

    let runtime = Arc::new(Runtime::new(RuntimeConfig {
        cache_dir: Some(config.cache_dir.clone()),
        max_instances: config.plugins.max_instances,
        allowed_networks: config.outbound.allowed_networks.clone(),
        ..RuntimeConfig::default()
    })?);
    let registry = Arc::new(Registry::default());
    let wake = Arc::new(Notify::new());
    let metrics = Arc::new(Metrics::default());
    let controls = Arc::new(Controls::new(
        config.delivery.breaker_failures,
        config.delivery.breaker_backoff,
    ));
    let app = Arc::new(App {
        store: Arc::clone(&store),
        registry: Arc::clone(&registry),
        tokens: Tokens::new(&sources),
        sources,
        ingest: config.ingest.clone(),
        wake: Arc::clone(&wake),
        plugins_loaded: Default::default(),
        admin_token: config.admin_token.clone(),
        metrics: Arc::clone(&metrics),
        store_target: opened.target,
        controls: Arc::clone(&controls),
    });
    if let Some(postgres) = &opened.postgres {
        // Other hosts' new work wakes this one's dispatcher, as its own ingest does.
        postgres.wake_on_work(Arc::clone(&wake));
    }
    if generated && opened.postgres.is_some() {
        tracing::warn!(
            token_file = %token_file(&config.data_dir).display(),
            "no [[sources]] configured: this host generated an ingest token of its own, which the \
             other hosts on this database do not accept; configure the same [[sources]] on every \
             host behind the load balancer"
        );
    }
    if app.admin_token.is_none() {
        tracing::info!(
            "admin API and console off: set admin.token to turn on /api/v1 and /console"
        );
    }

    let mut watcher = Watcher::new(
        config.plugin_dir.clone(),
        Arc::clone(&runtime),
        Arc::clone(&registry),
    )
    .backfill_into(Arc::clone(&store), config.data_dir.join(COMPILE_WINDOWS));
    // Starts each plugin's load in the background: the host binds and ingests while big
    // components compile, and each plugin runs once it is loaded (`/readyz` names those still
    // compiling).
    let report = watcher.scan();
    // Only the files are read before listening (tens of ms), so that the subscriptions known
    // before compiling (manifests' `events`, the cache's remembered declarations) are in place
    // for the first webhook.
    watcher.prepared().await;
    app.plugins_loaded.store(true, Ordering::Release);
    if report.loading.is_empty() {
        tracing::warn!(
            dir = %config.plugin_dir.display(),
            "no plugin loaded: webhooks are stored but nothing runs on them; add NAME.wasm files (cargo xtask plugins builds the examples)"
        );
    } else {
        tracing::info!(loading = ?report.loading, dir = %config.plugin_dir.display(), "loading plugins in the background");
    }
    let watch = tokio::spawn(watch_plugins(
        watcher,
        config.plugins.reload_interval,
        shutdown.clone(),
    ));

    let dispatcher = Dispatcher {
        store: Arc::clone(&store),
        registry: Arc::clone(&registry),
        owner: owner_id().into(),
        schedule: Arc::new(RetrySchedule::new(
            config.delivery.retry_schedule.clone(),
            config.delivery.jitter,
        )),
        metrics,
        workers: config.delivery.workers,
        poll_interval: config.delivery.poll_interval,
        lease: config.delivery.lease,
        wake,
        grace: config.shutdown_grace,
        controls,
    };
    let dispatch = tokio::spawn(dispatcher.run(shutdown.clone()));
    let retention = tokio::spawn(retention::run(
        Arc::clone(&store),
        config.retention.max_age,
        config.retention.interval,
        shutdown.clone(),
    ));

    server::open_files::check(
        server::open_files::raise_to_hard_limit(),
        config.http.max_connections,
    );
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| ServeError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(ServeError::Server)?;
    announce(addr, &app, generated);

    // Stops accepting at the shutdown signal and ends once every connection has closed.
    let server = server::run(
        listener,
        smartreach_http::router(Arc::clone(&app)),
        &config.http,
        shutdown.clone(),
    );
    // Requests in progress get the grace period too; after it, the server stops regardless
    // (a request cut off was not acknowledged, so its sender sends it again).
    let drain_limit = {
        let shutdown = shutdown.clone();
        let grace = config.shutdown_grace;
        async move {
            shutdown.wait().await;
            tokio::time::sleep(grace).await;
        }
    };
    tokio::select! {
        () = server => {}
        () = drain_limit => {
            tracing::warn!("requests still open at the end of the grace period were cut off");
        }
    }
    // Whatever ended the server ends the rest.
    shutdown.trigger();
    let _ = dispatch.await;
    let _ = watch.await;
    let _ = retention.await;
    tracing::info!("stopped");
    Ok(())
}

/// Says where the host listens, on stdout (tests and scripts read this line) and in the log.
fn announce(addr: SocketAddr, app: &App, generated: bool) {
    println!("smartreach-hooks listening on http://{addr}");
    for source in &app.sources {
        if generated {
            println!(
                "Give SmartReach this webhook URL: http://{addr}/hooks/smartreach/{}",
                source.tokens[0]
            );
        } else {
            println!(
                "Webhook URL of source `{}`: http://{addr}/hooks/smartreach/<one of its tokens>",
                source.name
            );
        }
    }
    tracing::info!(%addr, "listening");
}

async fn watch_plugins(mut watcher: Watcher, every: Duration, shutdown: Shutdown) {
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = interval.tick() => { watcher.scan(); }
            _ = shutdown.wait() => return,
        }
    }
}

/// This process's name on its claims: unique per run.
fn owner_id() -> String {
    format!(
        "pid{}-{}",
        std::process::id(),
        smartreach_http::ids::webhook_id(smartreach_store::now_ms())
    )
}
