//! The command line: `serve` runs the host; `new-plugin`, `trigger`, `check-plugin` and
//! `test-plugin` help write plugins; the
//! admin commands (`events`, `deliveries`, `plugins`, `replay`, `backfill`) ask a running host.
//!
//! No flag here reads a `SMARTREACH_HOOKS_*` variable (the host treats all of those as its
//! configuration and refuses unknown ones), except `migrate-store --to`, which reads the host's
//! own `SMARTREACH_HOOKS_STORE__URL`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use smartreach_config::Overrides;

/// Receives SmartReach webhooks, stores every event, and runs your wasm plugins on it.
#[derive(Debug, Parser)]
#[command(name = "smartreach-hooks", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the host: receive webhooks and deliver them to the plugins in the plugin folder.
    Serve(ServeArgs),
    /// Write a new plugin project (Rust, TypeScript, JavaScript or Python): source, manifest,
    /// sample event, test, README and build.sh, which builds NAME.wasm.
    NewPlugin(NewPluginArgs),
    /// Send a realistic sample of an event type to a running host, as SmartReach would.
    Trigger(TriggerArgs),
    /// Load a plugin as the host would, show what it declares, and optionally run it on an event
    /// (its HTTP requests are shown, not sent).
    CheckPlugin(CheckPluginArgs),
    /// Snapshot-test a plugin: run it on every documented event it subscribes to (and your own
    /// with --events), its HTTP answered by a scripted fake, and compare what it did with the
    /// accepted snapshots. Exit 1 with a diff when one differs or is new.
    TestPlugin(TestPluginArgs),
    /// List the events a host stored, or show one with its deliveries (admin API).
    Events(EventsArgs),
    /// List deliveries: one event to one plugin, with its status (admin API).
    Deliveries(DeliveriesArgs),
    /// List the plugins a host knows, with their delivery counts (admin API).
    Plugins(PluginsArgs),
    /// Run a delivery again, or every dead delivery of a plugin (admin API).
    Replay(ReplayArgs),
    /// Deliver stored events from a time range to a plugin (admin API).
    Backfill(BackfillArgs),
    /// Copy a stopped host's SQLite store into an empty PostgreSQL store, keeping every id:
    /// webhooks, events, deliveries and attempts.
    MigrateStore(MigrateStoreArgs),
    /// Print the admin API's OpenAPI document (also served at /api/v1/openapi.json).
    #[command(hide = true)]
    Openapi,
}

/// Flags of `serve`; each overrides the configuration file and the environment.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// A TOML configuration file (see the configuration reference in README.md).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on, e.g. 0.0.0.0:8080 (key `listen`).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Folder of the state: the database, the compiled-plugin cache, the generated token (key `data_dir`).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Folder of the plugins, NAME.wasm with an optional NAME.toml manifest (key `plugin_dir`).
    #[arg(long, value_name = "DIR")]
    pub plugin_dir: Option<PathBuf>,
    /// Log format: text or json (key `log.format`).
    #[arg(long, value_name = "FORMAT")]
    pub log_format: Option<String>,
    /// The store: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE for PostgreSQL, or the path
    /// of a SQLite file (key `store.url`). A password here shows in the process list: put a URL
    /// with one in SMARTREACH_HOOKS_STORE__URL or the config file instead.
    #[arg(long, value_name = "URL")]
    pub store_url: Option<String>,
}

impl ServeArgs {
    /// The flags as the top configuration layer.
    pub fn overrides(&self) -> Overrides {
        Overrides {
            config_file: self.config.clone(),
            listen: self.listen.clone(),
            data_dir: self.data_dir.clone(),
            plugin_dir: self.plugin_dir.clone(),
            log_format: self.log_format.clone(),
            store_url: self.store_url.clone(),
        }
    }
}

/// Flags of `migrate-store`.
#[derive(Debug, Args)]
pub struct MigrateStoreArgs {
    /// The SQLite store to copy: the database file of a stopped host (its store.path, by
    /// default DATA_DIR/smartreach-hooks.db). A host still running on it is refused (lock file).
    #[arg(long, value_name = "PATH")]
    pub from: PathBuf,
    /// The PostgreSQL store to copy into, postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE: an
    /// empty database (its tables are created), or one whose tables are empty. Default: the
    /// hosts' SMARTREACH_HOOKS_STORE__URL, which keeps a password out of the process list.
    #[arg(
        long,
        value_name = "URL",
        env = "SMARTREACH_HOOKS_STORE__URL",
        hide_env_values = true
    )]
    pub to: String,
}

/// The host's address when none is given.
pub const DEFAULT_URL: &str = "http://127.0.0.1:8080";

/// Flags of `trigger`.
#[derive(Debug, Args)]
pub struct TriggerArgs {
    /// The event type to send, e.g. activity.email.replied (legacy names such as email_replied
    /// work too; `--list` shows them all).
    #[arg(value_name = "EVENT_TYPE", required_unless_present = "list")]
    pub event_type: Option<String>,
    /// List the event types that have a sample, and exit.
    #[arg(long, conflicts_with_all = ["event_type", "token", "secret"])]
    pub list: bool,
    /// The host's base URL.
    #[arg(long, value_name = "URL", default_value = DEFAULT_URL)]
    pub url: String,
    /// The ingest token of a source (the last segment of /hooks/smartreach/TOKEN). Default: the
    /// token the host generated in DATA_DIR/ingest-token.
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// The host's data folder, where the generated token is read from when --token is not given.
    #[arg(long, value_name = "DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Sign the request with this Standard Webhooks secret (whsec_...), for a source that has
    /// signing_secrets.
    #[arg(long, value_name = "SECRET")]
    pub secret: Option<String>,
}

/// Flags of `new-plugin`.
#[derive(Debug, Args)]
pub struct NewPluginArgs {
    /// The plugin's name, which is also its file's (NAME.wasm, NAME.toml) and its package's: a
    /// lowercase letter, then lowercase letters, digits, `-` and `_`.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// The language: rust, ts, js or python.
    #[arg(long, value_enum, value_name = "LANG")]
    pub lang: crate::new_plugin::Lang,
    /// The project's folder, created when missing; an existing one must be empty. Default: ./NAME.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Rust only: the checkout of smartreach-hooks whose SDK crate (crates/plugin-sdk) the
    /// project depends on by path. Default: the first checkout above DIR, else the one this
    /// binary was built from. (TypeScript, JavaScript and Python projects get a copy of their
    /// SDK, built into this binary.)
    #[arg(long, value_name = "PATH")]
    pub sdk: Option<PathBuf>,
}

/// Flags of `check-plugin`.
#[derive(Debug, Args)]
pub struct CheckPluginArgs {
    /// The plugin, NAME.wasm; its manifest NAME.toml beside it is read when present, as the host
    /// reads it.
    #[arg(value_name = "FILE.wasm")]
    pub file: PathBuf,
    /// Also run the plugin once on each data item of this webhook body (a SmartReach JSON
    /// payload, such as tests/fixtures/events/activity.email.replied.json).
    #[arg(long, value_name = "FIXTURE.json")]
    pub event: Option<PathBuf>,
    /// Instead of --event: fetch this stored event (an id like 01J...:0, from `events`) from a
    /// running host through its admin API, show what happened to it with this plugin (its
    /// deliveries and their attempts), and run the plugin on it: a dead letter replayed against
    /// the build at hand.
    #[arg(long, value_name = "ID", conflicts_with = "event")]
    pub event_id: Option<String>,
    /// With --event-id: the host and its admin token.
    #[command(flatten)]
    pub host: HostArgs,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Show the whole path and query of each request; by default only the first path segment is
    /// shown and the rest masked (`/services/***`), as paths may hold secrets.
    #[arg(long)]
    pub show_paths: bool,
}

/// Flags of `test-plugin`.
#[derive(Debug, Args)]
pub struct TestPluginArgs {
    /// The plugin, NAME.wasm; its manifest NAME.toml beside it is read when present, as the host
    /// reads it (see --manifest).
    #[arg(value_name = "FILE.wasm")]
    pub file: PathBuf,
    /// The manifest to load the plugin with, instead of NAME.toml beside it. Its `{ env = "VAR" }`
    /// values come from the environment when set, else from [placeholders] of
    /// DIR/test-plugin.toml, else `placeholder-VAR`; snapshots show them as `${VAR}`.
    #[arg(long, value_name = "FILE.toml")]
    pub manifest: Option<PathBuf>,
    /// The folder of the snapshots (`{plugin}@{event type}.snap`) and of the optional
    /// test-plugin.toml that scripts the fake upstream's answers.
    #[arg(long, value_name = "DIR", default_value = "snapshots")]
    pub snapshots: PathBuf,
    /// Also run the plugin on each webhook body (*.json) in this folder, such as events saved
    /// from a running host; each gets a snapshot `{plugin}@events-{file name}.snap`.
    #[arg(long, value_name = "DIR")]
    pub events: Option<PathBuf>,
    /// Write every snapshot that differs or is new (refused under CI=true, which never writes).
    #[arg(long)]
    pub accept: bool,
}

/// Where the admin API is, and its token: flags of every command that calls it.
#[derive(Debug, Clone, Args)]
pub struct HostArgs {
    /// The host's base URL.
    #[arg(long, value_name = "URL", default_value = DEFAULT_URL)]
    pub url: String,
    /// The admin API's bearer token: the host's `admin.token`.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "SMARTREACH_ADMIN_TOKEN",
        hide_env_values = true
    )]
    pub admin_token: Option<String>,
}

/// Flags shared by the admin commands.
#[derive(Debug, Clone, Args)]
pub struct ApiArgs {
    /// Where and with what token.
    #[command(flatten)]
    pub host: HostArgs,
    /// Print the API's JSON answer instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Flags of list commands: how many rows.
#[derive(Debug, Clone, Args)]
pub struct PageArgs {
    /// Rows per request (1 to 500).
    #[arg(long, value_name = "N", default_value_t = 50,
          value_parser = clap::value_parser!(u32).range(1..=500))]
    pub limit: u32,
    /// Fetch every page, not just the first.
    #[arg(long)]
    pub all: bool,
}

/// `events`: a filtered list, or `events show ID`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct EventsArgs {
    /// `show ID`; without it, the list.
    #[command(subcommand)]
    pub show: Option<EventsCommand>,
    /// Only events of this type (e.g. activity.email.replied).
    #[arg(long = "type", value_name = "TYPE")]
    pub event_type: Option<String>,
    /// Only events received at or after this time: RFC 3339 (2026-11-27T10:00:00Z), a date,
    /// Unix milliseconds, or an age such as 15m, 2h, 7d.
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only events received before this time (same forms as --since).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Only events of the prospect with this email address.
    #[arg(long, value_name = "EMAIL")]
    pub email: Option<String>,
    /// Rows.
    #[command(flatten)]
    pub page: PageArgs,
    /// Where and how.
    #[command(flatten)]
    pub api: ApiArgs,
}

/// Subcommands of `events`.
#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// Show one event: its data, then each delivery with its attempts and log lines.
    Show(EventShowArgs),
}

/// `events show ID`.
#[derive(Debug, Args)]
pub struct EventShowArgs {
    /// The event id, as `events` lists it.
    #[arg(value_name = "ID")]
    pub id: String,
    /// Where and how.
    #[command(flatten)]
    pub api: ApiArgs,
}

/// `deliveries`: a filtered list.
#[derive(Debug, Args)]
pub struct DeliveriesArgs {
    /// Only deliveries in this status: pending, running, done, skipped or dead.
    #[arg(long, value_name = "STATUS")]
    pub status: Option<String>,
    /// Only deliveries to this plugin.
    #[arg(long, value_name = "NAME")]
    pub plugin: Option<String>,
    /// Only deliveries of events of this type.
    #[arg(long = "type", value_name = "TYPE")]
    pub event_type: Option<String>,
    /// Rows.
    #[command(flatten)]
    pub page: PageArgs,
    /// Where and how.
    #[command(flatten)]
    pub api: ApiArgs,
}

/// `plugins`, or `plugins pause NAME` / `plugins resume NAME`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct PluginsArgs {
    /// `pause NAME` or `resume NAME`; without it, the list.
    #[command(subcommand)]
    pub control: Option<PluginsCommand>,
    /// Where and how.
    #[command(flatten)]
    pub api: ApiArgs,
}

/// Subcommands of `plugins`.
#[derive(Debug, Subcommand)]
pub enum PluginsCommand {
    /// Pause a plugin on every host of the store: its deliveries wait, pending and in order,
    /// until it is resumed (kept across restarts).
    Pause(PluginControlArgs),
    /// Resume a paused plugin (and end a hold): its waiting deliveries run, in order.
    Resume(PluginControlArgs),
}

/// `plugins pause NAME` or `plugins resume NAME`.
#[derive(Debug, Args)]
pub struct PluginControlArgs {
    /// The plugin (its file name without `.wasm`; it need not be loaded).
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Where and how.
    #[command(flatten)]
    pub api: ApiArgs,
}

/// `replay DELIVERY_ID` or `replay --dead --plugin NAME`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The delivery to run again (a new delivery is made; the old one keeps its history).
    #[arg(value_name = "DELIVERY_ID", required_unless_present = "dead",
          conflicts_with_all = ["dead", "plugin"])]
    pub delivery: Option<String>,
    /// Replay every dead delivery of --plugin.
    #[arg(long, requires = "plugin")]
    pub dead: bool,
    /// The plugin whose dead deliveries to replay.
    #[arg(long, value_name = "NAME", requires = "dead")]
    pub plugin: Option<String>,
    /// Where and how.
    #[command(flatten)]
    pub api: ApiArgs,
}

/// `backfill --plugin NAME [--type T]... --since S [--until U]`.
#[derive(Debug, Args)]
pub struct BackfillArgs {
    /// The plugin to deliver to.
    #[arg(long, value_name = "NAME")]
    pub plugin: String,
    /// An event type to include (repeat for more). Default: the plugin's subscriptions.
    #[arg(long = "type", value_name = "TYPE")]
    pub event_types: Vec<String>,
    /// Events received at or after this time: RFC 3339, a date, Unix milliseconds, or an age
    /// such as 7d.
    #[arg(long, value_name = "TIME")]
    pub since: String,
    /// Events received before this time (default: now).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Where and how.
    #[command(flatten)]
    pub api: ApiArgs,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("smartreach-hooks").chain(args.iter().copied()))
    }

    /// The kind of error clap refuses `args` with.
    fn refused(args: &[&str]) -> clap::error::ErrorKind {
        match parse(args) {
            Ok(cli) => panic!("{args:?} was accepted: {:?}", cli.command),
            Err(err) => err.kind(),
        }
    }

    #[test]
    fn replay_takes_an_id_or_dead_with_a_plugin() {
        use clap::error::ErrorKind::{ArgumentConflict, MissingRequiredArgument};
        let Command::Replay(one) = parse(&["replay", "42"]).unwrap().command else {
            panic!("not replay")
        };
        assert_eq!(
            (one.delivery.as_deref(), one.dead, one.plugin),
            (Some("42"), false, None)
        );
        let Command::Replay(dead) = parse(&["replay", "--dead", "--plugin", "crm"])
            .unwrap()
            .command
        else {
            panic!("not replay")
        };
        assert_eq!(
            (dead.delivery, dead.dead, dead.plugin.as_deref()),
            (None, true, Some("crm"))
        );
        assert_eq!(refused(&["replay"]), MissingRequiredArgument);
        assert_eq!(refused(&["replay", "--dead"]), MissingRequiredArgument);
        assert_eq!(
            refused(&["replay", "42", "--dead", "--plugin", "crm"]),
            ArgumentConflict
        );
    }

    #[test]
    fn events_show_takes_the_api_flags_and_refuses_list_filters() {
        let cli = parse(&["events", "show", "01J:0", "--json", "--url", "http://h:1"]).unwrap();
        let Command::Events(EventsArgs {
            show: Some(EventsCommand::Show(show)),
            ..
        }) = cli.command
        else {
            panic!("not events show")
        };
        assert_eq!(show.id, "01J:0");
        assert!(show.api.json);
        assert_eq!(
            refused(&["events", "--type", "x", "show", "1"]),
            clap::error::ErrorKind::ArgumentConflict
        );
        assert_eq!(
            refused(&["events", "--limit", "501"]),
            clap::error::ErrorKind::ValueValidation
        );
        let Command::Events(list) = parse(&["events", "--limit", "500", "--all"])
            .unwrap()
            .command
        else {
            panic!("not events")
        };
        assert_eq!((list.page.limit, list.page.all), (500, true));
    }

    #[test]
    fn new_plugin_takes_a_language_by_name_or_alias() {
        use crate::new_plugin::Lang;
        for (given, lang) in [
            ("rust", Lang::Rust),
            ("ts", Lang::Ts),
            ("typescript", Lang::Ts),
            ("js", Lang::Js),
            ("python", Lang::Python),
            ("py", Lang::Python),
        ] {
            let Command::NewPlugin(args) = parse(&["new-plugin", "crm", "--lang", given])
                .unwrap()
                .command
            else {
                panic!("not new-plugin")
            };
            assert_eq!((args.name.as_str(), args.lang), ("crm", lang));
        }
        assert_eq!(
            refused(&["new-plugin", "crm", "--lang", "go"]),
            clap::error::ErrorKind::InvalidValue
        );
        assert_eq!(
            refused(&["new-plugin", "crm"]),
            clap::error::ErrorKind::MissingRequiredArgument
        );
    }

    #[test]
    fn trigger_needs_a_type_unless_listing() {
        use clap::error::ErrorKind::{ArgumentConflict, MissingRequiredArgument};
        let Command::Trigger(list) = parse(&["trigger", "--list"]).unwrap().command else {
            panic!("not trigger")
        };
        assert!(list.list && list.event_type.is_none());
        let Command::Trigger(one) = parse(&["trigger", "email_opened"]).unwrap().command else {
            panic!("not trigger")
        };
        assert_eq!(
            (one.list, one.event_type.as_deref()),
            (false, Some("email_opened"))
        );
        assert_eq!(refused(&["trigger"]), MissingRequiredArgument);
        assert_eq!(
            refused(&["trigger", "--list", "email_opened"]),
            ArgumentConflict
        );
    }
}
