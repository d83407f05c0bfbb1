#!/usr/bin/env bash
# Installs what the console's browser tests (tests/console.rs) drive: Debian's
# `chromium` (apt, when it is missing and we may install it) and the pinned
# `playwright-core` of tests/console/package-lock.json (npm ci; it never
# downloads browsers of its own).
#
# Usage: tests/console/setup.sh [DIR]   (default: target/e2e-console)
#
#   DIR/node    package.json + package-lock.json, npm ci
#   DIR/stamp   hash of what was installed; when it matches, nothing is done
#
# Prints the path of the chromium binary on its last line.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
dir="${1:-$root/target/e2e-console}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"

find_chromium() {
    for c in /usr/bin/chromium /usr/lib/chromium/chromium /usr/bin/chromium-browser; do
        if [[ -x "$c" ]]; then
            echo "$c"
            return 0
        fi
    done
    return 1
}

if command -v flock >/dev/null 2>&1; then
    exec 9>"$dir/.lock"
    flock 9
fi

if ! find_chromium >/dev/null; then
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        echo "setup: installing chromium with apt-get" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >&2
        apt-get install -y -qq --no-install-recommends chromium >&2
    else
        echo "setup: chromium is missing; install Debian's chromium package" >&2
        exit 1
    fi
fi

fingerprint() {
    cat "$here/package.json" "$here/package-lock.json" "$here/setup.sh" | sha256sum | cut -d' ' -f1
    node --version
}

if ! [[ -f "$dir/stamp" && -d "$dir/node/node_modules/playwright-core" &&
        "$(cat "$dir/stamp")" == "$(fingerprint)" ]]; then
    echo "setup: installing playwright-core into $dir" >&2
    rm -rf "$dir/node"
    mkdir -p "$dir/node"
    cp "$here/package.json" "$here/package-lock.json" "$dir/node/"
    (cd "$dir/node" && npm ci --silent --no-audit --no-fund >&2)
    fingerprint > "$dir/stamp"
fi

find_chromium
