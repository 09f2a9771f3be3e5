//! Which contract version a component was built for, read from its exports before it is linked.

use wasmtime::Engine;
use wasmtime::component::Component;

/// The contract version this host speaks: the version of the `smartreach:plugin` WIT package.
pub const CONTRACT_VERSION: &str = "0.1.0";

const HANDLER_PREFIX: &str = "smartreach:plugin/handler@";

/// What the component's exports say about the contract.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Contract {
    /// It exports this host's `smartreach:plugin/handler`.
    Compatible,
    /// It exports `smartreach:plugin/handler` of another version.
    Incompatible { plugin_version: String },
    /// It exports no `smartreach:plugin/handler` at all.
    Missing { exports: Vec<String> },
}

pub(crate) fn contract_of(engine: &Engine, component: &Component) -> Contract {
    let exports: Vec<String> = component
        .component_type()
        .exports(engine)
        .map(|(name, _)| name.to_owned())
        .collect();
    let versions: Vec<&str> = exports
        .iter()
        .filter_map(|name| name.strip_prefix(HANDLER_PREFIX))
        .collect();
    if versions.contains(&CONTRACT_VERSION) {
        Contract::Compatible
    } else if let Some(other) = versions.first() {
        Contract::Incompatible {
            plugin_version: (*other).to_owned(),
        }
    } else {
        Contract::Missing { exports }
    }
}
