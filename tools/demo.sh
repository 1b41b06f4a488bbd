#!/usr/bin/env bash
# The main job on the bundled corpus (README): disassemble the protocol dispatcher, verify it (and a
# rejected example, to show what a diagnostic looks like), print its tail-call graph, and run it on a few
# packets on both engines.
set -uo pipefail
build="${1:-build}"
tg="$build/tools/tailgate"
corpus="$build/corpus"
src="$(dirname "$0")/../corpus"
section() { printf '\n== %s\n' "$*"; }

section "tailgate disasm --program dispatch $corpus/proto_dispatch.o"
"$tg" disasm --program dispatch "$corpus/proto_dispatch.o"

section "tailgate verify $corpus/proto_dispatch.o"
"$tg" verify "$corpus/proto_dispatch.o"
echo "(exit $?)"

section "tailgate verify $corpus/tail_index.o $corpus/bpf2bpf_tail.o  -- warnings and a rejected program"
"$tg" verify "$corpus/tail_index.o" "$corpus/bpf2bpf_tail.o"
echo "(exit $?: 1 = some program rejected)"

section "tailgate graph --format json $corpus/chain_stack.o  -- chain length and worst-case chain stack"
"$tg" graph --format json "$corpus/chain_stack.o" | grep -E '"(name|targets|max_chain_length|chain_stack_bytes|cycle)"' | tr -s ' '

section "tailgate run: the dispatcher on packets, both engines"
bash "$(dirname "$0")/demo_run.sh" "$build"
