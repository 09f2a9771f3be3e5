//! Guest bindings of `schema/wit/plugin.wit`, generated at compile time by wit-bindgen.
//!
//! Public only so that [`export_plugin!`](crate::export_plugin) can reach them from the plugin
//! crate; plugin authors use the typed API of this crate instead.

wit_bindgen::generate!({
    path: "../../schema/wit/plugin.wit",
    world: "plugin",
    // The export macro is expanded in the plugin crate, which does not depend on wit-bindgen: it
    // finds the bindings through this crate.
    pub_export_macro: true,
    default_bindings_module: "$crate::bindings",
});
