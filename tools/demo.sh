#!/usr/bin/env bash
# The main job on the bundled corpus: disassemble, verify (a rejected example included) and run it.
set -uo pipefail
build="${1:-build}"
tg="$build/tools/tailgate"
corpus="$build/corpus"
echo "== tailgate disasm $corpus/proto_dispatch.o"
"$tg" disasm "$corpus/proto_dispatch.o"
