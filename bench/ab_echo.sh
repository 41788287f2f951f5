#!/usr/bin/env bash
# A/B of echo servers by the server's user and system CPU time per echo, in alternating rounds:
# each round starts every server in turn (pinned as by bench/_servers.sh: server on CPU 1, the C
# load client of ../shared/bench on CPU 0), loads it for DURATION seconds after WARMUP, and prints
# its rps, user and system CPU µs per echo (from /proc/PID/stat) and p99. User time is what the
# server's own code costs; the kernel's share (system) is much the same for every server making
# the same system calls. At the end, each server's medians, and the median of its per-round rps
# ratios against the first server (rounds run back to back, so a ratio within a round shares
# the host's mood of the moment; the median of those is steadier than a ratio of medians).
#
#   bash bench/ab_echo.sh SIZE ROUNDS 'label|command with @PORT@' ...
#   CONNS=1 bash bench/ab_echo.sh 1024 2 \
#     'epoll|deno run -A bench/echo_server.ts @PORT@ epoll' \
#     'uvloop|python3 ../shared/bench/peers/asyncio_protocol.py --uvloop @PORT@'
#
# Environment: CONNS (10), DURATION (5 s), WARMUP (1 s), PIN (1), PY (/usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:?SIZE} rounds=${2:?ROUNDS}
shift 2
CONNS=${CONNS:-10} DURATION=${DURATION:-5} WARMUP=${WARMUP:-1} PIN=${PIN:-1}
PY=${PY:-/usr/bin/python3}
# shellcheck source=bench/_servers.sh
. bench/_servers.sh
build=$(mktemp -d)
trap 'stop_server; rm -rf "$build"' EXIT
gcc -O2 -Wall -Wextra -o "$build/echo_load" ../shared/bench/echo_load.c
TICKS=$(getconf CLK_TCK)
for _ in $(seq "$rounds"); do
  for entry in "$@"; do
    label=${entry%%|*}
    start_server "$label" "${entry#*|}" "$build/server.log" || continue
    "${pin_client[@]}" "$build/echo_load" 127.0.0.1 "$port" "$CONNS" "$size" "$DURATION" \
      "$WARMUP" >"$build/point" &
    load=$!
    sleep "$WARMUP"
    read -r u0 s0 < <(awk '{ print $14, $15 }' "/proc/$server_pid/stat")
    wait "$load"
    read -r u1 s1 < <(awk '{ print $14, $15 }' "/proc/$server_pid/stat")
    "$PY" - "$label" "$u0" "$s0" "$u1" "$s1" "$TICKS" "$build/point" <<'PY' | tee -a "$build/rows"
import json, sys
label, u0, s0, u1, s1, ticks, point = sys.argv[1], *map(int, sys.argv[2:7]), sys.argv[7]
d = json.load(open(point))
n = d["requests"]
print(f"{label:16s} rps {d['rps']:9,.0f}  user µs/echo {1e6 * (u1 - u0) / ticks / n:6.2f}"
      f"  system µs/echo {1e6 * (s1 - s0) / ticks / n:6.2f}  p99 µs {d['p99_us']:7,.0f}")
PY
    stop_server
  done
done
"$PY" - "$build/rows" <<'PY'
import statistics, sys
rows = [line.replace(",", "").split() for line in open(sys.argv[1])]
labels = list(dict.fromkeys(r[0] for r in rows))
series = {l: [(float(r[2]), float(r[5]), float(r[8])) for r in rows if r[0] == l] for l in labels}
first = series[labels[0]]
print(f"medians over the rounds; 'vs {labels[0]}' is the median of the per-round rps ratios")
for l in labels:
    rps, user, system = (statistics.median(x) for x in zip(*series[l]))
    pairs = [a[0] / b[0] for a, b in zip(series[l], first)]
    print(f"{l:16s} rps {rps:9,.0f}  user {user:5.2f}  system {system:5.2f}"
          f"  vs {labels[0]} {statistics.median(pairs):5.2f} ({min(pairs):.2f}-{max(pairs):.2f})")
PY
