//! Secrets reach a plugin from environment variables its manifest names, never from the file.
//! (One test in its own binary: it sets a process environment variable.)

mod support;

use smartreach_plugin_runtime::Outcome;

#[tokio::test]
async fn a_config_value_comes_from_the_named_environment_variable() {
    const VAR: &str = "SMARTREACH_HOOKS_TEST_SECRET";
    let dir = support::PluginDir::new();
    let manifest = format!("[config]\nmode = \"config\"\nsecret = {{ env = \"{VAR}\" }}\n");
    let wasm = dir.add("secretive", "hostile", Some(&manifest));
    let runtime = support::runtime();

    let err = runtime.load_file(&wasm).await.unwrap_err().to_string();
    assert!(
        err.contains(VAR) && err.contains("`secret`") && err.contains("not set"),
        "{err}"
    );

    // SAFETY: this test binary runs this one test, and nothing else reads the environment while
    // it is written.
    #[allow(unsafe_code)]
    unsafe {
        std::env::set_var(VAR, "s3cret");
    }
    let (plugin, _) = runtime.load_file(&wasm).await.unwrap();
    let invocation = plugin.invoke(&support::any_event()).await;
    assert_eq!(
        invocation.outcome,
        Outcome::Skipped {
            reason: "config: s3cret".into()
        }
    );
    assert_eq!(plugin.config_keys(), ["mode", "secret"]);
}
