#!/usr/bin/env bash
# Echo servers measured in one sitting with the C load client of ../shared/bench (echo_load.c,
# closed loop, CONNS connections, one message in flight each): the C epoll server
# (peers/c_epoll.c: the ceiling of the client plus the kernel's loopback path, not of a server),
# the floor of a Deno server of the API's model (bench/floor_echo.ts: `loop` for protocol
# servers, `task` for streams servers; FFI epoll without this library), raw Deno
# (peers/deno_raw.ts), uvloop's and CPython asyncio's servers and this library's on both
# loops, all on one API:
# API=protocol (default): the protocol servers (peers/asyncio_protocol.py, bench/echo_server.ts,
# also as a BufferedProtocol: the aio_buffered rows);
# API=streams: the streams servers (peers/asyncio_streams.py, bench/streams_echo_server.ts).
# Pinned like run_peers.sh: server on CPU 1, client on CPU 0. Prints one JSON line per server and
# size, then a table of rps with our ratio to deno_raw.
#
#   bash bench/compare_echo.sh [OUT_DIR]
#   API=streams bash bench/compare_echo.sh [OUT_DIR]
#
# Environment: API (protocol), PY (a python3 with uvloop; default /usr/bin/python3), DENO
# (default deno), DURATION (3 s per point), WARMUP (1 s), CONNS (10), SIZES ("1024 10240
# 102400"), PIN (1), REPEAT (1: rounds over all the servers; the table shows the medians),
# TABLE_ONLY (1: only print the table of an existing OUT_DIR), ONLY (an extended regular
# expression: only the servers whose names match it, e.g. ONLY='deno_raw|uvloop|epoll').
# ../shared is read-only: the client is built from a copy in a temp dir.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=$(cd ../shared/bench && pwd)
PY=${PY:-/usr/bin/python3} DENO=${DENO:-deno}
DURATION=${DURATION:-3} WARMUP=${WARMUP:-1} CONNS=${CONNS:-10}
SIZES=${SIZES:-1024 10240 102400} PIN=${PIN:-1} API=${API:-protocol} REPEAT=${REPEAT:-1}
case $API in
  protocol) ours=bench/echo_server.ts ours_name=aio ;;
  streams) ours=bench/streams_echo_server.ts ours_name=aio_streams ;;
  *) echo "API must be protocol or streams: received $API" >&2; exit 2 ;;
esac
out=${1:-bench/results/echo-$API-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"

# shellcheck source=bench/_servers.sh
. bench/_servers.sh
build=$(mktemp -d)
trap 'stop_server; rm -rf "$build"' EXIT
gcc -O2 -Wall -Wextra -o "$build/echo_load" "$SHARED/echo_load.c"
gcc -O2 -Wall -Wextra -o "$build/c_epoll" "$SHARED/peers/c_epoll.c"
TICKS=$(getconf CLK_TCK)
server_cpu_ticks() { # utime + stime of the server process (fields 14 and 15 of /proc/PID/stat)
  awk '{ print $14 + $15 }' "/proc/$server_pid/stat"
}

# name|command, where @PORT@ stands for the port
floor_mode=loop
[[ $API == streams ]] && floor_mode=task
servers=("c_epoll|$build/c_epoll @PORT@"
  "floor_$floor_mode|$DENO run -A bench/floor_echo.ts @PORT@ $floor_mode"
  "deno_raw|$DENO run --allow-net=127.0.0.1 $SHARED/peers/deno_raw.ts @PORT@")
if "$PY" -c 'import uvloop' 2>/dev/null; then
  servers+=("uvloop_$API|$PY $SHARED/peers/asyncio_$API.py --uvloop @PORT@")
  # Issue 7 measures the streams echo against uvloop's protocol server too.
  [[ $API == streams ]] && servers+=("uvloop_protocol|$PY $SHARED/peers/asyncio_protocol.py --uvloop @PORT@")
else
  echo "note: $PY has no uvloop; uvloop row skipped" >&2
fi
servers+=("asyncio_$API|$PY $SHARED/peers/asyncio_$API.py @PORT@"
  "${ours_name}_selector|$DENO run -A $ours @PORT@ selector"
  "${ours_name}_proactor|$DENO run -A $ours @PORT@ proactor"
  # The epoll selector over FFI (real descriptors).
  "${ours_name}_epoll|$DENO run -A $ours @PORT@ epoll")
if [[ $API == protocol ]]; then
  # The same echo as a BufferedProtocol (reads into one reused buffer: no allocation per read)
  # on the proactor and epoll loops.
  servers+=("aio_buffered_proactor|$DENO run -A $ours @PORT@ proactor --buffered"
    "aio_buffered_epoll|$DENO run -A $ours @PORT@ epoll --buffered")
fi

if [[ -n ${ONLY:-} ]]; then
  kept=()
  for entry in "${servers[@]}"; do [[ ${entry%%|*} =~ $ONLY ]] && kept+=("$entry"); done
  servers=("${kept[@]}")
fi
if [[ ${TABLE_ONLY:-0} == 1 ]]; then servers=(); else : >"$out/echo.jsonl"; fi
# Rounds go over all the servers in turn, so a burst of noise from outside hits one round of
# several servers rather than every round of one; the table shows the median of the rounds.
for round in $(seq "$REPEAT"); do
  for entry in "${servers[@]}"; do
    name=${entry%%|*} cmd=${entry#*|}
    start_server "$name" "$cmd" "$out/$name.log" || continue
    for size in $SIZES; do
      # The server's CPU time (user + system, all threads) is sampled over the measured seconds.
      "${pin_client[@]}" "$build/echo_load" 127.0.0.1 "$port" "$CONNS" "$size" "$DURATION" "$WARMUP" >"$build/point" &
      load_pid=$!
      sleep "$WARMUP"
      cpu0=$(server_cpu_ticks)
      if wait "$load_pid"; then
        cpu1=$(server_cpu_ticks)
        json=$(cat "$build/point")
        echo "{\"server\":\"$name\",\"round\":$round,\"cpu_s\":$(((cpu1 - cpu0) * 1000 / TICKS))e-3,${json#\{}" | tee -a "$out/echo.jsonl"
      else
        echo "$name $size: load failed" >&2
      fi
    done
    stop_server
    [[ -s $out/$name.log ]] || rm -f "$out/$name.log"
  done
done

"$PY" - "$out/echo.jsonl" <<'PY'
import json, statistics, sys
runs, sizes = {}, []
for line in open(sys.argv[1]):
    r = json.loads(line)
    runs.setdefault(r["server"], {}).setdefault(r["msize"], []).append(r)
    if r["msize"] not in sizes:
        sizes.append(r["msize"])
def median(rs, key):
    values = [r[key] for r in rs if r[key] is not None]
    return statistics.median(values) if values else None
def cpu_us(r):  # server CPU per echo over the measured seconds
    return 1e6 * r["cpu_s"] / r["requests"] if r.get("cpu_s") and r["requests"] else None
for by in runs.values():
    for rs in by.values():
        for r in rs:
            r["cpu_us"] = cpu_us(r)
rows = {name: {s: (median(rs, "rps"), median(rs, "p99_us"), len(rs), median(rs, "cpu_us"))
               for s, rs in by.items()}
        for name, by in runs.items()}
raw = rows.get("deno_raw", {})
rounds = max((n for by in rows.values() for _, _, n, _ in by.values()), default=0)
print(f"median of {rounds} round(s)" if rounds > 1 else "one round")
head = "| server |" + "".join(
    f" {s // 1024} KiB rps | p99 µs | CPU µs/echo | vs deno_raw |" for s in sizes)
print(head)
print("|---|" + "---|---|---|---|" * len(sizes))
for name, by in rows.items():
    cells = []
    for s in sizes:
        if s not in by:
            cells += ["—", "—", "—", "—"]
            continue
        rps, p99, _, cpu = by[s]
        ratio = f"{100 * rps / raw[s][0]:.0f}%" if s in raw else "—"
        cells += [f"{rps:,.0f}", "—" if p99 is None else f"{p99:,.0f}",
                  "—" if cpu is None else f"{cpu:.2f}", ratio]
    print(f"| {name} | " + " | ".join(cells) + " |")
PY
