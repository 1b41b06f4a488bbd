#!/usr/bin/env bash
# Part of the main job (tools/demo.sh): run the corpus's protocol dispatcher (corpus/proto_dispatch.c) on a
# few packets on both engines and show which program handled each. `tailgate run` reports r0 and the number
# of tail calls taken; the handler is the dispatcher itself when no tail call was taken, else the program in
# the jmp_table slot the packet's IPv4 protocol selects (static slots from `tailgate disasm --format json`).
set -uo pipefail
build="${1:-build}"
tg="$build/tools/tailgate"
obj="$build/corpus/proto_dispatch.o"
packets="$(dirname "$0")/../corpus/packets"
echo "== tailgate run $obj --program dispatch (each packet, both engines)"
slots_json="$("$tg" disasm "$obj" --format json)" || exit 1
for pkt in tcp4 udp4 icmp4 arp short; do
    for engine in interp jit; do
        out="$("$tg" run "$obj" --program dispatch --packet "$packets/$pkt.hex" --engine "$engine" --format json)"
        rc=$?
        if [ $rc -ne 0 ]; then
            echo "  $pkt ($engine): tailgate run failed (exit $rc)"
            continue
        fi
        SLOTS="$slots_json" RUN="$out" PKT="$packets/$pkt.hex" ENGINE="$engine" NAME="$pkt" python3 - <<'PY'
import json, os
run = json.loads(os.environ["RUN"])
maps = {m["name"]: m for m in json.loads(os.environ["SLOTS"])["maps"]}
data = bytes.fromhex(" ".join(l.split("#")[0] for l in open(os.environ["PKT"])))
actions = {0: "XDP_ABORTED", 1: "XDP_DROP", 2: "XDP_PASS", 3: "XDP_TX", 4: "XDP_REDIRECT"}
handler = "dispatch"
if run["tail_calls"] > 0 and len(data) > 23:
    handler = maps["jmp_table"]["slots"].get(str(data[23]), "?")
print(f'  {os.environ["NAME"]:6} {os.environ["ENGINE"]:6} return {run["return"]} '
      f'({actions.get(run["return"], "?")}), {run["tail_calls"]} tail call(s), handled by {handler}, '
      f'{run["ns_per_run"]:.0f} ns')
PY
    done
done
