//! `replay` and `backfill`: the admin API's write commands. Each makes new deliveries and answers
//! `202 {"count": n, "deliveries": [ids]}`.

use serde::Deserialize;
use serde_json::{Value, json};
use smartreach_store::Queued;

use super::{AdminClient, ClientError, path_segment, pretty, time};
use crate::cli::{BackfillArgs, ReplayArgs};

/// `replay DELIVERY_ID` or `replay --dead --plugin NAME`. Returns what to print.
pub fn run_replay(args: &ReplayArgs) -> Result<String, ClientError> {
    let client = AdminClient::new(&args.api.host)?;
    let path = match (&args.delivery, &args.plugin) {
        (Some(delivery), _) => format!("/api/v1/deliveries/{}/replay", path_segment(delivery)),
        (None, Some(plugin)) => format!("/api/v1/plugins/{}/replay-dead", path_segment(plugin)),
        // clap requires one of the two.
        (None, None) => unreachable!("replay needs DELIVERY_ID or --dead --plugin"),
    };
    let answer: Value = client.post(&path, &json!({}))?;
    show(&path, &answer, args.api.json)
}

/// `backfill --plugin NAME [--type T]... --since S [--until U]`. Returns what to print.
pub fn run_backfill(args: &BackfillArgs) -> Result<String, ClientError> {
    let client = AdminClient::new(&args.api.host)?;
    let now = smartreach_store::now_ms();
    let mut body = json!({ "since": time::parse_time(&args.since, now)? });
    // Absent means "now" by the host's clock, which is the one that stamped the events.
    if let Some(until) = &args.until {
        body["until"] = json!(time::parse_time(until, now)?);
    }
    // Absent, not empty, means "the plugin's subscriptions".
    if !args.event_types.is_empty() {
        body["event_types"] = json!(args.event_types);
    }
    let path = format!("/api/v1/plugins/{}/backfill", path_segment(&args.plugin));
    let answer: Value = client.post(&path, &body)?;
    show(&path, &answer, args.api.json)
}

fn show(path: &str, answer: &Value, json: bool) -> Result<String, ClientError> {
    if json {
        return Ok(pretty(answer));
    }
    let queued = Queued::deserialize(answer).map_err(|err| ClientError::BadAnswer {
        request: format!("POST {path}"),
        message: err.to_string(),
    })?;
    Ok(summary(&queued))
}

/// Ids listed at most; a backfill can make thousands.
const MAX_IDS_SHOWN: usize = 20;

fn summary(queued: &Queued) -> String {
    let mut ids: Vec<String> = queued
        .deliveries
        .iter()
        .take(MAX_IDS_SHOWN)
        .map(i64::to_string)
        .collect();
    let rest = queued.count.saturating_sub(ids.len() as u64);
    if rest > 0 {
        let listed = queued.deliveries.len();
        ids.push(format!("and {rest} more (--json lists the first {listed})"));
    }
    match queued.count {
        0 => "queued no delivery: nothing matched\n".to_owned(),
        1 => format!("queued 1 delivery: {}\n", ids.join(" ")),
        n => format!("queued {n} deliveries: {}\n", ids.join(" ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_counts_and_lists_the_new_deliveries() {
        let queued = |count, ids: Vec<i64>| Queued {
            count,
            deliveries: ids,
        };
        assert_eq!(summary(&queued(1, vec![57])), "queued 1 delivery: 57\n");
        assert_eq!(
            summary(&queued(3, vec![1, 2, 3])),
            "queued 3 deliveries: 1 2 3\n"
        );
        let many: Vec<i64> = (1..=25).collect();
        assert_eq!(
            summary(&queued(25, many)),
            "queued 25 deliveries: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 \
             and 5 more (--json lists the first 25)\n"
        );
        // A backfill of thousands answers with the count and the first ids only.
        let first: Vec<i64> = (1..=Queued::MAX_IDS as i64).collect();
        assert!(
            summary(&queued(5000, first))
                .ends_with("20 and 4980 more (--json lists the first 100)\n")
        );
        assert_eq!(
            summary(&queued(0, vec![])),
            "queued no delivery: nothing matched\n"
        );
    }
}
