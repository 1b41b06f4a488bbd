#!/usr/bin/env bash
# The main job on the bundled corpus (README): disassemble the protocol dispatcher, verify it (and a
# rejected example, to show what a diagnostic looks like), verify the whole corpus (a line per object), print
# a tail-call graph, and run the dispatcher on a few packets on both engines.
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

section "tailgate verify $corpus/*.o  -- the whole bundled corpus, a line per object (every verdict is the one its source states: the rejected programs are deliberate negatives)"
"$tg" verify "$corpus"/*.o | awk '
    / programs: .* accepted, .* rejected;/ { summary = $0; next }
    match($0, /^[^ ]+\.o: [^ ]+ \([^)]*\): (accepted|rejected) /) {
        split($0, f, ": "); obj = f[1]
        if (!(obj in seen)) { seen[obj] = 1; order[++n] = obj }
        if ($0 ~ /: accepted /) acc[obj]++; else rej[obj]++
    }
    END {
        for (i = 1; i <= n; i++) printf "  %-40s %3d accepted %3d rejected\n", order[i], acc[order[i]], rej[order[i]]
        print summary
    }'
echo "(exit ${PIPESTATUS[0]}: 1 = some program rejected)"

section "tailgate graph --format json $corpus/chain_stack.o  -- chain length and worst-case chain stack"
"$tg" graph --format json "$corpus/chain_stack.o" | grep -E '"(name|targets|max_chain_length|chain_stack_bytes|cycle)"' | tr -s ' '

section "tailgate run: the dispatcher on packets, both engines"
bash "$(dirname "$0")/demo_run.sh" "$build"
