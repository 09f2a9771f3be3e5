//! The TypeScript SDK's generated files: the payload types, made from the webhook JSON Schema by
//! json-schema-to-typescript (pinned in `plugins/package-lock.json`, run by
//! `plugins/sdk/js/scripts/codegen.mjs`), and the SDK's copy of the contract.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use smartreach_plugin_build::{Output, js};

use super::{Generated, rust_preamble};

/// The schema, relative to the workspace root.
const SCHEMA: &str = "schema/smartreach-webhook.schema.json";
/// The generated types, relative to the workspace root.
const OUTPUT: &str = "plugins/sdk/js/src/generated/webhook.ts";
/// The generator script, relative to the workspace root.
const SCRIPT: &str = "plugins/sdk/js/scripts/codegen.mjs";

pub(super) fn generate(root: &Path) -> Result<Generated> {
    let schema = std::fs::read(root.join(SCHEMA)).with_context(|| format!("reading {SCHEMA}"))?;
    js::ensure_installed(&root.join("plugins"), Output::Quiet)?;
    let mut child = Command::new("node")
        .arg(root.join(SCRIPT))
        .current_dir(root.join("plugins/sdk/js"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| {
            format!("cannot start `node` to run {SCRIPT}: Node.js 20 or newer must be on PATH")
        })?;
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(&schema)
        .with_context(|| format!("writing {SCHEMA} to {SCRIPT}"))?;
    let output = child.wait_with_output().context("waiting for node")?;
    if !output.status.success() {
        bail!("{SCRIPT} failed ({}); its errors are above", output.status);
    }
    let types =
        String::from_utf8(output.stdout).context("json-schema-to-typescript wrote non-UTF-8")?;
    Ok(Generated {
        path: OUTPUT.into(),
        contents: format!("{}{types}", rust_preamble(SCHEMA)),
    })
}
