#!/usr/bin/env bash
# One entry point for a fresh Debian machine: installs what is missing, builds, then
#   demo: verifies and runs the bundled corpus (the README's first command)
#   test: runs the whole test suite in a normal and an ASan+UBSan build and ends with "N passed, N failed"
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-}"
case "$mode" in demo|test) ;; *) echo "usage: bash tools/bootstrap.sh demo|test" >&2; exit 2 ;; esac

packages=(meson ninja-build g++ clang-14 llvm-14 llvm-14-dev libboost-graph-dev nlohmann-json3-dev doctest-dev
          libbpf-dev libxbyak-dev python3 pkg-config)
missing=()
for p in "${packages[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p"); done
if ((${#missing[@]})); then
    sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    echo "installing: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

jobs="${JOBS:-2}"
build() { # build DIR [meson options...]; on failure show the end of the log and stop
    local dir="$1"; shift
    local log; log="$(mktemp)"
    if [ ! -f "$dir/build.ninja" ] && ! meson setup "$dir" "$@" >"$log" 2>&1; then
        tail -n 40 "$log"; echo "meson setup $dir failed"; exit 1
    fi
    if ! ninja -C "$dir" -j"$jobs" >"$log" 2>&1; then
        grep -E "error|FAILED" "$log" | head -n 40; echo "build of $dir failed"; echo "0 passed, 1 failed"; exit 1
    fi
    rm -f "$log"
}

if [ "$mode" = demo ]; then
    build build
    exec bash tools/demo.sh build
fi

build build
meson test -C build --num-processes "$jobs" --no-rebuild >/dev/null 2>&1 || true
cp build/meson-logs/testlog.json /tmp/tailgate-testlog-normal.json
build build-asan -Db_sanitize=address,undefined -Db_lundef=false
ASAN_OPTIONS=detect_leaks=0:abort_on_error=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson test -C build-asan --num-processes "$jobs" --no-rebuild >/dev/null 2>&1 || true
exec python3 tools/summarize_tests.py normal=build/meson-logs/testlog.json asan=build-asan/meson-logs/testlog.json
