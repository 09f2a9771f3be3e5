//! Normalisation of the documentation's inconsistent spellings, applied by [`crate::parse`].

use crate::{Prospect, WebhookPayload};

impl WebhookPayload {
    /// Applies the model's normalisations in place; [`crate::parse`] calls it, so only code that
    /// builds a payload by other means needs to.
    ///
    /// The documentation's webhook example spells the prospect's address `prospect_email`, its
    /// Prospect table `email`. Consumers read `email`: when it is absent, null or empty, the value of
    /// `prospect_email` is copied into it. `prospect_email` is kept as sent. (Event type names are
    /// normalised by [`crate::EventType`] itself.)
    pub fn normalize(&mut self) {
        for item in &mut self.data {
            item.prospect.normalize();
        }
    }
}

impl Prospect {
    fn normalize(&mut self) {
        let email_missing = self.email.as_deref().is_none_or(str::is_empty);
        if email_missing && self.prospect_email.is_some() {
            self.email.clone_from(&self.prospect_email);
        }
    }
}
