#!/usr/bin/env bash
# The event-loop micro workloads of ../shared/bench/peers/micro.py, measured in one sitting for
# CPython asyncio, uvloop, the plain-JavaScript floor (micro_js.ts) and this library
# (bench/micro.ts), each pinned to CPU 1 like run_peers.sh does. Prints one JSON line per
# runtime and workload, then a table of ns/op with our ratios against asyncio and uvloop.
#
#   bash bench/compare_micro.sh [OUT_DIR]
#
# Environment: PY (a python3 with uvloop; default /usr/bin/python3, which has it after
# `apt-get install -y python3-uvloop`), DENO (default: deno, else npx -y deno@2.9.6),
# REPEAT (3), PIN (1), WORKLOADS (space-separated names; default all).
set -euo pipefail
cd "$(dirname "$0")/.."
PEERS=../shared/bench/peers
PY=${PY:-/usr/bin/python3}
if [[ -z ${DENO:-} ]]; then
  if command -v deno >/dev/null; then DENO=deno; else DENO="npx -y deno@2.9.6"; fi
fi
REPEAT=${REPEAT:-3} PIN=${PIN:-1}
read -r -a names <<<"${WORKLOADS:-}"
out=${1:-bench/results/micro-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
pin=()
if [[ $PIN == 1 ]] && command -v taskset >/dev/null; then pin=(taskset -c 1); fi

micro() { # RUNTIME COMMAND...: tag each JSON line with the runtime
  local runtime=$1
  shift
  "${pin[@]}" "$@" | sed "s/^{/{\"runtime\":\"$runtime\", /" | tee -a "$out/micro.jsonl"
}

: >"$out/micro.jsonl"
micro asyncio "$PY" "$PEERS/micro.py" --repeat "$REPEAT" "${names[@]}"
if "$PY" -c 'import uvloop' 2>/dev/null; then
  micro uvloop "$PY" "$PEERS/micro.py" --uvloop --repeat "$REPEAT" "${names[@]}"
else
  echo "note: $PY has no uvloop; uvloop rows skipped" >&2
fi
# shellcheck disable=SC2086  # DENO may be several words
micro js_floor $DENO run "$PEERS/micro_js.ts" --repeat "$REPEAT" "${names[@]}"
# shellcheck disable=SC2086
micro aio $DENO run bench/micro.ts --repeat "$REPEAT" "${names[@]}"

"$PY" - "$out/micro.jsonl" <<'PY'
import json, sys
rows = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    rows.setdefault(r["name"], {})[r["runtime"]] = r["ns_per_op"]
cols = ["asyncio", "uvloop", "js_floor", "aio"]
print("\n| workload (ns/op) | " + " | ".join(cols) + " | aio vs asyncio | aio vs uvloop |")
print("|---|" + "---|" * (len(cols) + 2))
for name, r in rows.items():
    if "aio" not in r:
        continue
    cells = [f"{r[c]:,.1f}" if c in r else "—" for c in cols]
    ratio = lambda peer: f"{r[peer] / r['aio']:.1f}× faster" if peer in r else "—"
    print(f"| {name} | " + " | ".join(cells) + f" | {ratio('asyncio')} | {ratio('uvloop')} |")
PY
