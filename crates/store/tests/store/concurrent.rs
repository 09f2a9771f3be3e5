//! Many ingests at once, as the handlers of one host make them: each is answered as if it were
//! alone (a store may commit them in groups), redeliveries among them included, and the
//! deliveries of one prospect keep the order in which their webhooks were acknowledged.

use std::collections::HashMap;

use smartreach_store::{Ingested, Store};

use crate::support::{NOW, all_deliveries, at_once, counts, hook};

pub async fn concurrent_ingests_are_each_stored_once(store: &dyn Store) {
    // 60 distinct webhooks and, among them, 4 copies of one body.
    let mut hooks: Vec<_> = (0..60)
        .map(|n| {
            hook(&format!("w{n:02}"))
                .prospects(&[Some("p"), None])
                .plugins(&["a"])
                .build()
        })
        .collect();
    for copy in 0..4 {
        hooks.insert(
            copy * 15,
            hook(&format!("copy{copy}"))
                .body("same")
                .plugins(&["a"])
                .build(),
        );
    }
    let answers = at_once(hooks.into_iter().map(|h| store.ingest(h, 0)).collect()).await;

    let mut stored_copies = Vec::new();
    let mut duplicates = Vec::new();
    for answer in answers {
        match answer.unwrap() {
            Ingested::Stored {
                webhook_id,
                events,
                deliveries,
            } if webhook_id.starts_with("copy") => {
                assert_eq!((events, deliveries), (1, 1), "{webhook_id}");
                stored_copies.push(webhook_id);
            }
            Ingested::Stored {
                webhook_id,
                events,
                deliveries,
            } => assert_eq!((events, deliveries), (2, 2), "{webhook_id}"),
            Ingested::Duplicate {
                webhook_id,
                received_at,
            } => {
                assert_eq!(received_at, NOW);
                duplicates.push(webhook_id);
            }
        }
    }
    assert_eq!(stored_copies.len(), 1, "one copy of the body stored");
    assert_eq!(
        duplicates,
        vec![stored_copies[0].clone(); 3],
        "the other copies are redeliveries of the stored one"
    );
    assert_eq!(counts(store, "a").await.pending, 60 * 2 + 1);
}

pub async fn concurrent_redeliveries_of_an_earlier_webhook_are_recognised(store: &dyn Store) {
    store
        .ingest(hook("first").body("same").plugins(&["a"]).build(), 0)
        .await
        .unwrap();
    let hooks: Vec<_> = (0..10)
        .map(|n| {
            let body = if n % 2 == 0 {
                "same".to_owned()
            } else {
                format!("own{n}")
            };
            hook(&format!("w{n}"))
                .body(&body)
                .at(NOW + 5)
                .plugins(&["a"])
                .build()
        })
        .collect();
    let answers = at_once(
        hooks
            .into_iter()
            .map(|h| store.ingest(h, NOW - 1))
            .collect(),
    )
    .await;
    for (n, answer) in answers.into_iter().enumerate() {
        let expected = if n % 2 == 0 {
            Ingested::Duplicate {
                webhook_id: "first".to_owned(),
                received_at: NOW,
            }
        } else {
            Ingested::Stored {
                webhook_id: format!("w{n}"),
                events: 1,
                deliveries: 1,
            }
        };
        assert_eq!(answer.unwrap(), expected, "w{n}");
    }
    assert_eq!(counts(store, "a").await.pending, 1 + 5);
}

/// Ingests webhooks `{prospect}-0`, `{prospect}-1`, ... of `prospect` one after the other, each
/// once the one before was acknowledged.
async fn one_after_the_other(store: &dyn Store, prospect: String, webhooks: usize) {
    for n in 0..webhooks {
        let stored = store
            .ingest(
                hook(&format!("{prospect}-{n:02}"))
                    .prospects(&[Some(&prospect), Some(&prospect)])
                    .plugins(&["a", "b"])
                    .build(),
                0,
            )
            .await
            .unwrap();
        assert!(matches!(stored, Ingested::Stored { .. }), "{stored:?}");
    }
}

pub async fn concurrent_ingests_keep_each_prospect_s_order(store: &dyn Store) {
    let prospects: Vec<String> = (0..12).map(|p| format!("p{p:02}")).collect();
    at_once(
        prospects
            .iter()
            .map(|p| one_after_the_other(store, p.clone(), 8))
            .collect(),
    )
    .await;
    for plugin in ["a", "b"] {
        // Per prospect, its event ids in delivery id order.
        let mut seen: HashMap<String, Vec<String>> = HashMap::new();
        for delivery in all_deliveries(store, plugin).await {
            let prospect = delivery.event_id[..3].to_owned();
            seen.entry(prospect).or_default().push(delivery.event_id);
        }
        assert_eq!(seen.len(), prospects.len(), "{plugin}");
        for (prospect, events) in seen {
            let mut sorted = events.clone();
            sorted.sort();
            assert_eq!(events.len(), 16, "{plugin} {prospect}");
            assert_eq!(
                events, sorted,
                "{plugin}: deliveries of {prospect} in the order of acknowledgement"
            );
        }
    }
}

pub async fn a_failing_webhook_does_not_fail_those_ingested_with_it(store: &dyn Store) {
    // Two different bodies under one webhook id: whichever comes second cannot be stored.
    let mut hooks: Vec<_> = (0..20)
        .map(|n| hook(&format!("w{n:02}")).plugins(&["a"]).build())
        .collect();
    hooks.insert(5, hook("clash").body("one").plugins(&["a"]).build());
    hooks.insert(12, hook("clash").body("two").plugins(&["a"]).build());
    let answers = at_once(hooks.into_iter().map(|h| store.ingest(h, 0)).collect()).await;

    let mut clashing = Vec::new();
    for (n, answer) in answers.into_iter().enumerate() {
        if n == 5 || n == 12 {
            clashing.push(answer);
            continue;
        }
        assert!(
            matches!(answer, Ok(Ingested::Stored { .. })),
            "webhook {n}: {answer:?}"
        );
    }
    assert_eq!(
        clashing.iter().filter(|answer| answer.is_ok()).count(),
        1,
        "one of the clashing webhooks stored, the other refused: {clashing:?}"
    );
    assert_eq!(counts(store, "a").await.pending, 20 + 1);
}
