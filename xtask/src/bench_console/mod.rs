//! `cargo xtask bench-console [--events N] [--samples K] [--binary PATH] [--store sqlite|postgres]
//! [--keep]`: the server time of every console page with N events in the store (default 100,000).
//!
//! It fills a fresh SQLite store through the store's own API (`seed.rs`: N events over the last
//! 100 minutes, two deliveries each, a third of them attempted in the last hour: done, retried,
//! dead), starts the host on it with an admin token and no plugins (so that nothing changes while
//! it measures), signs in to the console, and requests each page K times after one warm-up. The
//! time is the host's own, from the `Server-Timing` header every console answer carries (request
//! in, page rendered), so the client and the loopback are not counted. Nothing is asserted; the
//! table is for README.
//!
//! With `--store postgres` the host runs on the PostgreSQL store instead, on a database of the
//! bench's own (as `cargo xtask bench` makes it: `SMARTREACH_TEST_POSTGRES`'s server, dropped
//! after): the seeded SQLite store is copied into it with the host's own `migrate-store`, and
//! `VACUUM ANALYZE` then does at once what autovacuum does within a minute of a bulk load
//! (statistics for the planner, a visibility map for index-only scans).

mod pages;
mod postgres;
mod seed;

use std::fs;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use smartreach_store::{SqliteStore, Store};

use crate::host::{Host, toml_string};
use crate::{cargo, target_dir};

/// The console's admin token in the bench host.
const ADMIN_TOKEN: &str = "bench-console-admin-token";

/// What to run.
struct Options {
    events: u64,
    samples: usize,
    /// A host binary to use as it is (a test build); `None`: build the release binary.
    binary: Option<PathBuf>,
    /// Run the host on a PostgreSQL copy of the seeded store instead of the SQLite file.
    postgres: bool,
    keep: bool,
}

fn options(args: &[&str]) -> Result<Options> {
    let mut options = Options {
        events: 100_000,
        samples: 20,
        binary: None,
        postgres: false,
        keep: false,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .with_context(|| format!("{name} needs a number"))?
                .parse::<u64>()
                .with_context(|| format!("{name} needs a number"))
        };
        match *arg {
            "--events" => options.events = value("--events")?.max(1),
            "--samples" => options.samples = value("--samples")?.max(1) as usize,
            "--binary" => {
                options.binary = Some(PathBuf::from(
                    args.next()
                        .context("--binary needs the path of a host binary")?,
                ));
            }
            "--store" => {
                options.postgres = match args.next().copied() {
                    Some("sqlite") => false,
                    Some("postgres") => true,
                    other => bail!("--store: `sqlite` or `postgres`, not {other:?}"),
                };
            }
            "--keep" => options.keep = true,
            other => bail!(
                "unknown argument `{other}`; usage: cargo xtask bench-console [--events N] \
                 [--samples K] [--binary PATH] [--store sqlite|postgres] [--keep]"
            ),
        }
    }
    Ok(options)
}

/// Runs the bench.
pub fn run(args: &[&str]) -> Result<()> {
    let options = options(args)?;
    let binary = match &options.binary {
        Some(binary) => binary.clone(),
        None => {
            cargo(&["build", "--release", "--package", "smartreach-hooks"])?;
            target_dir()?.join("release/smartreach-hooks")
        }
    };
    let dir = tempfile::Builder::new()
        .prefix("smartreach-hooks-bench-console-")
        .tempdir()
        .context("creating the bench's folder")?;
    let folder = dir.path().to_owned();
    let result = bench(&options, &binary, &folder);
    if options.keep {
        let kept = dir.keep();
        println!("bench-console: kept {}", kept.display());
    }
    result
}

fn bench(options: &Options, binary: &Path, folder: &Path) -> Result<()> {
    let data = folder.join("data");
    fs::DirBuilder::new()
        .mode(0o700)
        .recursive(true)
        .create(&data)
        .context("creating the data folder")?;
    fs::create_dir_all(folder.join("plugins")).context("creating the plugin folder")?;
    let now = smartreach_store::now_ms();
    println!(
        "bench-console: seeding {} events into {}",
        options.events,
        data.display()
    );
    let started = std::time::Instant::now();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting a runtime for the seeding")?;
    let seeded = runtime.block_on(async {
        let store: Arc<dyn Store> = Arc::new(
            SqliteStore::open(&data.join("smartreach-hooks.db")).context("opening the store")?,
        );
        seed::fill(store, options.events, now).await
    })?;
    drop(runtime);
    println!(
        "bench-console: {} events, {} deliveries, {} attempts seeded in {:.1} s",
        seeded.events,
        seeded.deliveries,
        seeded.attempts,
        started.elapsed().as_secs_f64()
    );
    // Dropped after the host stopped (declared first: dropped last).
    let database = if options.postgres {
        Some(postgres::fill(binary, &data.join("smartreach-hooks.db"))?)
    } else {
        None
    };
    let store = match &database {
        Some(database) => format!("\n[store]\nurl = {}\n", toml_string(&database.url())),
        None => String::new(),
    };
    let config = folder.join("smartreach-hooks.toml");
    fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\ndata_dir = {data}\nplugin_dir = {plugins}\n\n[admin]\ntoken = {token}\n{store}",
            data = toml_string(&data.to_string_lossy()),
            plugins = toml_string(&folder.join("plugins").to_string_lossy()),
            token = toml_string(ADMIN_TOKEN),
        ),
    )
    .context("writing the host's configuration")?;
    let mut host = Host::start(binary, folder, &config, &folder.join("host.log"), &[])?;
    let measured = pages::measure(host.addr, ADMIN_TOKEN, options.samples);
    host.stop()?;
    let rows = measured?;
    pages::report(&rows, options, binary);
    Ok(())
}

impl pages::Described for Options {
    fn describe(&self) -> String {
        format!(
            "{} events, {} samples per page, {} build, {} store",
            self.events,
            self.samples,
            match &self.binary {
                Some(_) => "given",
                None => "release",
            },
            if self.postgres {
                "PostgreSQL"
            } else {
                "SQLite"
            }
        )
    }
}
