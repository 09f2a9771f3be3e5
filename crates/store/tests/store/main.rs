//! The store conformance suite: every promise of the `Store` trait's documentation, as test
//! functions over any store (`&dyn Store`), run here against [`SqliteStore`] and
//! [`PostgresStore`] (a database of its own per test, see `test_db.rs`).
//!
//! A new implementation runs the same functions by adding one line beside `sqlite` below: a module
//! that calls [`conformance!`] with a function opening a fresh, empty store of its kind. The list
//! of tests is written once, in the macro; a test function left out of it is dead code, which
//! clippy (`-D warnings`) refuses.
//!
//! SQLite's own behaviour (its lock file, the privacy of its files, recovery at open) is tested
//! in `tests/sqlite.rs`; PostgreSQL's (connection, migrations, hosts at once) in
//! `tests/postgres.rs`.

mod backfill;
mod claim;
mod complete;
mod concurrent;
mod controls;
mod ingest;
mod leases;
mod ordering;
mod rate;
mod read;
mod requeue;
mod retention;
mod support;
mod test_db;

use support::Subject;

/// Declares one `#[tokio::test]` per conformance test, each on a fresh store from `$open` (an
/// `async fn() -> Option<Subject>`; `None` skips the test, when its server is told to be skipped).
macro_rules! conformance {
    ($open:path) => {
        conformance!(@tests $open;
            ingest::ingest_stores_events_and_one_pending_delivery_per_event_and_plugin,
            ingest::a_redelivery_within_the_window_is_acknowledged_and_not_stored,
            ingest::the_dedup_window_starts_at_dedup_since,
            ingest::redeliveries_are_recognised_per_source,
            ingest::a_webhook_without_subscribers_keeps_its_events,
            concurrent::concurrent_ingests_are_each_stored_once,
            concurrent::concurrent_redeliveries_of_an_earlier_webhook_are_recognised,
            concurrent::concurrent_ingests_keep_each_prospect_s_order,
            concurrent::a_failing_webhook_does_not_fail_those_ingested_with_it,
            claim::claims_take_due_deliveries_longest_due_first,
            claim::deliveries_not_due_yet_are_not_claimed,
            claim::claims_take_at_most_each_request_s_limit_of_its_plugin,
            claim::a_claim_hands_over_the_event_and_its_webhook_s_metadata,
            ordering::only_the_oldest_open_delivery_of_a_prospect_is_claimed,
            ordering::a_later_event_waits_while_the_earlier_one_waits_for_its_retry,
            ordering::each_plugin_orders_a_prospect_s_deliveries_apart,
            ordering::sources_order_their_prospects_apart,
            ordering::a_dead_letter_stops_holding_its_prospect_back,
            ordering::the_head_of_a_prospect_is_held_whichever_owner_claimed_it,
            leases::a_held_lease_is_claimed_by_nobody_not_even_its_owner,
            leases::an_expired_lease_is_taken_over_and_its_run_counts_as_an_attempt,
            leases::an_expired_lease_is_handed_to_its_own_owner_again,
            leases::a_renewed_lease_is_not_taken_over_until_its_new_end,
            leases::renew_extends_only_what_the_owner_still_holds,
            complete::completing_records_the_attempt_and_finishes_the_delivery,
            complete::a_retry_is_pending_until_its_time_and_keeps_its_error,
            complete::a_dead_letter_is_final_until_replayed,
            complete::completing_a_delivery_held_by_another_owner_is_refused,
            complete::completing_after_a_takeover_is_refused,
            complete::completing_after_the_lease_expired_but_before_a_takeover_is_accepted,
            complete::completing_twice_records_one_attempt,
            requeue::a_requeue_is_pending_at_its_time_without_an_attempt,
            requeue::a_requeue_changes_only_deliveries_the_owner_holds,
            requeue::a_release_returns_the_owner_s_deliveries_due_at_once,
            controls::a_paused_plugin_s_deliveries_wait_in_order_until_resumed,
            controls::a_paused_plugin_s_expired_leases_are_not_taken_over,
            controls::any_plugin_name_may_be_paused_or_resumed,
            controls::a_held_plugin_waits_until_the_hold_ends,
            rate::a_rate_limited_claim_takes_no_more_than_the_shared_budget,
            rate::a_rate_limited_claim_that_finds_nothing_spends_nothing,
            backfill::a_replay_queues_a_new_delivery_once,
            backfill::a_replay_is_refused_while_open_or_unknown,
            backfill::a_replay_runs_after_its_prospect_s_newer_events,
            backfill::replay_dead_replays_every_dead_letter_once_oldest_first,
            backfill::a_backfill_queues_events_of_its_types_and_window_once,
            backfill::large_backfills_and_replays_queue_everything,
            retention::prune_keeps_webhooks_with_open_deliveries_or_dead_letters,
            retention::prune_deletes_old_attempts_of_finished_deliveries,
            retention::prune_goes_in_batches_until_nothing_is_left,
            read::events_are_listed_newest_first_filtered_and_paged,
            read::deliveries_are_listed_newest_first_filtered_and_paged,
            read::an_event_shows_its_deliveries_and_their_attempts,
            read::plugin_activity_counts_by_status_with_the_last_error,
            read::plugin_activity_counts_every_status_once_and_each_plugin_s_own_last_error,
            read::deliveries_are_listed_by_every_status_with_and_without_a_plugin,
            read::queue_stats_count_open_deliveries_and_unreplayed_dead_letters,
            read::activity_is_counted_per_minute_from_since,
            read::ping_answers,
        );
    };
    (@tests $open:path; $($module:ident :: $test:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $test() {
                let subject: Option<$crate::Subject> = $open().await;
                if let Some(subject) = subject {
                    $crate::$module::$test(subject.store()).await;
                }
            }
        )*
    };
}

/// The embedded store, on a fresh file in a temporary folder.
mod sqlite {
    use smartreach_store::SqliteStore;

    use crate::Subject;

    async fn open() -> Option<Subject> {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let store = SqliteStore::open(&dir.path().join("store.db")).expect("a fresh store");
        Some(Subject::new(store, dir))
    }

    conformance!(open);
}

/// The PostgreSQL store, on a fresh database of the test server (`SMARTREACH_TEST_POSTGRES`).
mod postgres {
    use smartreach_store::PostgresStore;

    use crate::Subject;
    use crate::test_db::TestDb;

    async fn open() -> Option<Subject> {
        let db = TestDb::create().await?;
        let store = PostgresStore::connect(&db.url())
            .await
            .expect("a fresh store");
        Some(Subject::new(store, db))
    }

    conformance!(open);
}
