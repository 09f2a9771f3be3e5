//! The samples `trigger` sends: the documented fixtures of `tests/fixtures/events/`, one per event
//! type, built into the binary so that it works from any folder.

use smartreach_models::DocumentedEventType;

/// A sample webhook body of one event type.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Its event type.
    pub event_type: DocumentedEventType,
    /// When SmartReach sends it, in a few words.
    pub description: &'static str,
    /// The webhook body, as `tests/fixtures/events/{event_type}.json` holds it.
    pub body: &'static str,
}

/// One sample per documented event type, in the documentation's order. The test below keeps it
/// complete.
pub const SAMPLES: [Sample; 13] = [
    Sample {
        event_type: DocumentedEventType::ProspectCreated,
        description: "a prospect is created",
        body: include_str!("../../../../tests/fixtures/events/prospect.created.json"),
    },
    Sample {
        event_type: DocumentedEventType::ProspectUpdated,
        description: "a prospect is updated",
        body: include_str!("../../../../tests/fixtures/events/prospect.updated.json"),
    },
    Sample {
        event_type: DocumentedEventType::ProspectCreatedOrUpdated,
        description: "a prospect is created or updated",
        body: include_str!("../../../../tests/fixtures/events/prospect.created_or_updated.json"),
    },
    Sample {
        event_type: DocumentedEventType::ActivityEmailSent,
        description: "an email is sent (the sample has three prospects)",
        body: include_str!("../../../../tests/fixtures/events/activity.email.sent.json"),
    },
    Sample {
        event_type: DocumentedEventType::ActivityEmailBounced,
        description: "an email bounces",
        body: include_str!("../../../../tests/fixtures/events/activity.email.bounced.json"),
    },
    Sample {
        event_type: DocumentedEventType::ActivityEmailOpened,
        description: "an email is opened",
        body: include_str!("../../../../tests/fixtures/events/activity.email.opened.json"),
    },
    Sample {
        event_type: DocumentedEventType::ActivityEmailLinkClicked,
        description: "a link in an email is clicked",
        body: include_str!("../../../../tests/fixtures/events/activity.email.link_clicked.json"),
    },
    Sample {
        event_type: DocumentedEventType::ActivityEmailInvalid,
        description: "an email address is marked invalid",
        body: include_str!("../../../../tests/fixtures/events/activity.email.invalid.json"),
    },
    Sample {
        event_type: DocumentedEventType::ActivityEmailReplied,
        description: "a prospect replies",
        body: include_str!("../../../../tests/fixtures/events/activity.email.replied.json"),
    },
    Sample {
        event_type: DocumentedEventType::ActivityEmailAutoReplied,
        description: "an auto-reply arrives",
        body: include_str!("../../../../tests/fixtures/events/activity.email.auto_replied.json"),
    },
    Sample {
        event_type: DocumentedEventType::ActivityEmailOutOfOfficeReplied,
        description: "an out-of-office reply arrives",
        body: include_str!(
            "../../../../tests/fixtures/events/activity.email.out_of_office_replied.json"
        ),
    },
    Sample {
        event_type: DocumentedEventType::ActivityProspectOptedOut,
        description: "a prospect opts out (unsubscribes)",
        body: include_str!("../../../../tests/fixtures/events/activity.prospect.opted_out.json"),
    },
    Sample {
        event_type: DocumentedEventType::ActivityProspectCompletedCampaign,
        description: "a prospect completes a campaign",
        body: include_str!(
            "../../../../tests/fixtures/events/activity.prospect.completed_campaign.json"
        ),
    },
];

/// The sample of `event_type`.
pub fn sample(event_type: DocumentedEventType) -> &'static Sample {
    SAMPLES
        .iter()
        .find(|sample| sample.event_type == event_type)
        .expect("SAMPLES has every documented event type (tested)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_type_has_exactly_one_sample_in_order() {
        let types: Vec<DocumentedEventType> = SAMPLES.iter().map(|s| s.event_type).collect();
        assert_eq!(types, DocumentedEventType::ALL);
    }

    #[test]
    fn each_sample_is_a_payload_of_its_type() {
        for sample in &SAMPLES {
            let payload = smartreach_models::parse(sample.body.as_bytes())
                .unwrap_or_else(|err| panic!("{}: {err}", sample.event_type));
            assert_eq!(
                payload.metadata.event_type.documented(),
                Some(sample.event_type)
            );
            assert!(!payload.data.is_empty(), "{}", sample.event_type);
        }
    }
}
