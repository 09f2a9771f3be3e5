//! Host-side bindings of the plugin contract, `schema/wit/plugin.wit`.

wasmtime::component::bindgen!({
    path: "../../schema/wit",
    world: "plugin",
    exports: { default: async },
});

pub use smartreach::plugin::types;
