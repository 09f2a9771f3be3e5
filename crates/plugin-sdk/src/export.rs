//! The glue between a [`Plugin`] and the component's `handler` export.

use std::marker::PhantomData;

use crate::bindings::exports::smartreach::plugin::handler::Guest;
use crate::bindings::smartreach::plugin::types as wit;
use crate::{Event, Outcome, Plugin};

/// Implements the generated `handler` interface for any [`Plugin`]: decodes the event, calls the
/// plugin, and encodes what it returns. [`export_plugin!`](crate::export_plugin) exports it.
pub struct Adapter<P>(PhantomData<P>);

impl<P: Plugin> Guest for Adapter<P> {
    fn declare() -> wit::Declaration {
        P::declare().into()
    }

    fn handle(event: wit::Event) -> wit::Outcome {
        let outcome = match Event::from_json(
            event.id,
            &event.event_type,
            &event.metadata,
            &event.item,
            event.attempt,
        ) {
            Ok(event) => P::handle(event),
            // Never panic on a malformed event: the host records the reason.
            Err(err) => Outcome::failed(err.to_string()),
        };
        outcome.into()
    }
}

/// Exports a [`Plugin`] as the component's `smartreach:plugin/handler` interface.
///
/// Write it once, at the top level of the plugin crate's `lib.rs`:
///
/// ```no_run,standalone_crate
/// # use smartreach_plugin_sdk::{Declaration, Event, Outcome, Plugin, export_plugin};
/// struct Noop;
///
/// impl Plugin for Noop {
///     fn declare() -> Declaration {
///         Declaration::new([Declaration::ALL_EVENTS]).description("does nothing")
///     }
///
///     fn handle(_event: Event) -> Outcome {
///         Outcome::Done
///     }
/// }
///
/// export_plugin!(Noop);
/// ```
///
/// The plugin crate needs no dependency besides this one: the generated bindings live here.
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        const _: () = {
            // wit-bindgen's export macro takes a type name, not a path or a generic type.
            type SmartreachPluginExport = $crate::__private::Adapter<$plugin>;
    $crate::__private::export!(SmartreachPluginExport with_types_in $crate::bindings);
        };
    };
}
