#!/bin/sh
# Builds {{name}}.wasm from src/plugin.py with componentize-py, at the version pinned in
# sdk/requirements-build.txt: installed with pip from PyPI into .venv/ when it is missing or the
# pin changed (or the one COMPONENTIZE_PY names, when it is that version). Says what is missing
# when it cannot.
set -eu
cd "$(dirname "$0")"

missing() {
    echo "build.sh: $*" >&2
    exit 1
}

pin=$(sed -n 's/^componentize-py==//p' sdk/requirements-build.txt)
if [ -n "${COMPONENTIZE_PY:-}" ]; then
    # An installed componentize-py, e.g. the one a CI machine keeps; only the pinned version.
    "$COMPONENTIZE_PY" --version 2>/dev/null | grep -qF "$pin" ||
        missing "COMPONENTIZE_PY=$COMPONENTIZE_PY is not componentize-py $pin: unset it to install that version into .venv/"
    componentize=$COMPONENTIZE_PY
else
    componentize=.venv/bin/componentize-py
    if [ ! -x "$componentize" ] || ! cmp -s sdk/requirements-build.txt .venv/.smartreach-installed; then
        command -v python3 >/dev/null 2>&1 ||
            missing "python3 is not on PATH: install Python 3.10 or newer with its venv module (e.g. apt-get install python3 python3-venv), then run ./build.sh again"
        python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' ||
            missing "$(python3 --version 2>&1) is too old: componentize-py needs Python 3.10 or newer as python3"
        echo "build.sh: installing componentize-py $pin from PyPI into .venv/" >&2
        rm -rf .venv
        python3 -m venv .venv ||
            missing "python3 -m venv failed: python3's venv module (with ensurepip) is missing: install it (e.g. apt-get install python3-venv)"
        .venv/bin/pip install --disable-pip-version-check --quiet -r sdk/requirements-build.txt ||
            missing "pip could not install componentize-py $pin (its error is above): PyPI must be reachable (or set PIP_INDEX_URL to a mirror)"
        cp sdk/requirements-build.txt .venv/.smartreach-installed
    fi
fi

# Written whole, then renamed: a host watching a plugin folder never loads half a file.
"$componentize" --wit-path sdk/wit --world plugin-python componentize smartreach_plugin_app \
    --python-path src --python-path sdk --output {{name}}.wasm.part
mv {{name}}.wasm.part {{name}}.wasm
echo "build.sh: built {{name}}.wasm ($(wc -c < {{name}}.wasm) bytes)"
