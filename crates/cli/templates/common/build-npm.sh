#!/bin/sh
# Builds {{name}}.wasm from {{entry}}: installs the pinned toolchain of sdk/package.json
# (componentize-js, esbuild, TypeScript) from npm into node_modules/ when it is missing or
# package.json changed, then type-checks, bundles and componentizes (sdk/bin/smartreach-plugin.mjs).
# Says what is missing when it cannot.
set -eu
cd "$(dirname "$0")"

missing() {
    echo "build.sh: $*" >&2
    exit 1
}

command -v node >/dev/null 2>&1 ||
    missing "node is not on PATH: install Node.js 20 or newer with npm (e.g. apt-get install nodejs npm, or https://nodejs.org), then run ./build.sh again"
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] ||
    missing "Node.js $(node --version) is too old: componentize-js needs Node.js 20 or newer"
command -v npm >/dev/null 2>&1 ||
    missing "npm is not on PATH (node is): install npm (e.g. apt-get install npm), then run ./build.sh again"

# The toolchain is installed again only when the package files change.
wanted=$(cat package.json sdk/package.json)
if [ ! -f node_modules/.smartreach-installed ] || [ "$(cat node_modules/.smartreach-installed)" != "$wanted" ]; then
    echo "build.sh: installing the pinned toolchain from npm into node_modules/ (npm install)" >&2
    npm install --prefer-offline --no-audit --no-fund --loglevel=error ||
        missing "npm install failed (its error is above): the npm registry must be reachable, or npm's cache hold the packages"
    printf '%s' "$wanted" > node_modules/.smartreach-installed
fi

node sdk/bin/smartreach-plugin.mjs build {{entry}} --out dist/{{name}}.wasm
# Written whole, then renamed: a host watching a plugin folder never loads half a file.
cp dist/{{name}}.wasm {{name}}.wasm.part
mv {{name}}.wasm.part {{name}}.wasm
echo "build.sh: built {{name}}.wasm ($(wc -c < {{name}}.wasm) bytes)"
