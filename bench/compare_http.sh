#!/usr/bin/env bash
# The HTTP sample (examples/http_server.ts, on streams) on both loops beside a raw Deno.serve hello
# server (bench/http_hello_deno.ts), measured in one sitting with wrk (keep-alive, one thread,
# CONNS connections), server pinned to CPU 1 and wrk to CPU 0 (bench/_servers.sh). Each server
# gets a WARMUP-second wrk run first, not counted. Prints one JSON line per server, then a table.
#
#   bash bench/compare_http.sh [OUT_DIR]
#
# Environment: PY (python3, for the table; default /usr/bin/python3), DENO (default deno), WRK
# (default wrk), DURATION (5 s), WARMUP (1 s), CONNS (10), PIN (1).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-/usr/bin/python3} DENO=${DENO:-deno} WRK=${WRK:-wrk}
DURATION=${DURATION:-5} WARMUP=${WARMUP:-1} CONNS=${CONNS:-10} PIN=${PIN:-1}
out=${1:-bench/results/http-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"

# shellcheck source=bench/_servers.sh
. bench/_servers.sh
trap stop_server EXIT

net=--allow-net=127.0.0.1
servers=("deno_serve|$DENO run $net bench/http_hello_deno.ts @PORT@"
  "aio_http_selector|$DENO run $net examples/http_server.ts 127.0.0.1 @PORT@ --loop=selector"
  "aio_http_proactor|$DENO run $net examples/http_server.ts 127.0.0.1 @PORT@ --loop=proactor")

: >"$out/http.jsonl"
for entry in "${servers[@]}"; do
  name=${entry%%|*} cmd=${entry#*|}
  start_server "$name" "$cmd" "$out/$name.log" || continue
  url=http://127.0.0.1:$port/
  "${pin_client[@]}" "$WRK" -t1 -c"$CONNS" -d"${WARMUP}s" "$url" >/dev/null
  "${pin_client[@]}" "$WRK" -t1 -c"$CONNS" -d"${DURATION}s" --latency "$url" >"$out/$name.wrk"
  "$PY" - "$name" "$out/$name.wrk" <<'PY' | tee -a "$out/http.jsonl"
import json, re, sys
name, text = sys.argv[1], open(sys.argv[2]).read()
def micros(v, unit):
    return float(v) * {"us": 1, "ms": 1e3, "s": 1e6}[unit]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
pct = {p: micros(v, u) for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)$", text, re.M)}
errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: .*", text)
print(json.dumps({"server": name, "rps": rps, "p50_us": pct.get("50"), "p99_us": pct.get("99"),
                  "errors": errors.group(0) if errors else None}))
PY
  stop_server
  [[ -s $out/$name.log ]] || rm -f "$out/$name.log"
done

"$PY" - "$out/http.jsonl" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
base = next((r["rps"] for r in rows if r["server"] == "deno_serve"), None)
print("| server | rps | p50 µs | p99 µs | vs deno_serve |")
print("|---|---|---|---|---|")
for r in rows:
    ratio = f"{100 * r['rps'] / base:.0f}%" if base else "—"
    print(f"| {r['server']} | {r['rps']:,.0f} | {r['p50_us']:,.0f} | {r['p99_us']:,.0f} | {ratio} |")
PY
