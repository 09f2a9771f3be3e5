#!/bin/sh
# Builds {{name}}.wasm: cargo build --release --target wasm32-wasip2, then a copy of the component
# beside {{name}}.toml. Adds the wasm32-wasip2 target with rustup when it is missing; says what is
# missing when it cannot. The target folder is cargo's (CARGO_TARGET_DIR, build.target-dir).
set -eu
cd "$(dirname "$0")"

missing() {
    echo "build.sh: $*" >&2
    exit 1
}

command -v cargo >/dev/null 2>&1 && command -v rustc >/dev/null 2>&1 ||
    missing "cargo and rustc are not on PATH: install Rust 1.95 or newer with rustup (https://rustup.rs), then run ./build.sh again"

sysroot=$(rustc --print sysroot)
if [ ! -d "$sysroot/lib/rustlib/wasm32-wasip2" ]; then
    command -v rustup >/dev/null 2>&1 ||
        missing "the Rust target wasm32-wasip2 is not installed in $sysroot, and rustup is not on PATH to add it: install the target for this toolchain (with rustup: rustup target add wasm32-wasip2)"
    echo "build.sh: adding the Rust target wasm32-wasip2 (rustup target add wasm32-wasip2)" >&2
    rustup target add wasm32-wasip2 ||
        missing "rustup could not add the target wasm32-wasip2 (its error is above): run 'rustup target add wasm32-wasip2' where the Rust distribution server is reachable"
fi

cargo build --release --target wasm32-wasip2
# Where cargo put it: CARGO_TARGET_DIR, a build.target-dir setting, or ./target.
target=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
target=${target:-${CARGO_TARGET_DIR:-target}}
# Written whole, then renamed: a host watching a plugin folder never loads half a file.
cp "$target/wasm32-wasip2/release/{{crate_name}}.wasm" {{name}}.wasm.part
mv {{name}}.wasm.part {{name}}.wasm
echo "build.sh: built {{name}}.wasm ($(wc -c < {{name}}.wasm) bytes)"
