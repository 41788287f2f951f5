#!/usr/bin/env python3
"""Where a Deno server's own CPU time goes, with V8's builtins named.

`perf` sees V8's embedded builtins (promise machinery, microtasks, typed-array constructors, ...)
as anonymous addresses in the stripped `deno` binary, and the JIT code only through
`--perf-basic-prof`'s map. This samples the main thread of a running server and names both:
builtins from the code-creation lines of a V8 `--prof` log (their offset in the binary found by
matching a builtin's bytes from /proc/PID/mem), JIT code from the perf map. Needs `perf` and root
(or perf_event_paranoid <= 1).

    deno run -A --v8-flags=--perf-basic-prof,--prof,--no-logfile-per-isolate,--logfile=/tmp/v8.log \\
      bench/streams_echo_server.ts 9000 epoll &
    # ... put load on it (../shared/bench/echo_load), then:
    python3 bench/perf_builtins.py PID /tmp/v8.log 4 [RATE]

With RATE (requests per second during the sampling), figures are CPU µs per request; without it,
percent of the main thread's samples. "native" is the rest of the binary: V8's C++ runtime and
Deno's Rust (the event loop's host turns).
"""
import bisect
import collections
import os
import re
import subprocess
import sys
import tempfile

HZ = 4000


def builtins(pid: int, log: str) -> tuple[list[int], list[tuple[int, str]]]:
    """Builtin start offsets in the deno binary, and (size, name) for each."""
    entries = []
    for line in open(log):
        if line.startswith("code-creation,Builtin,"):
            fields = line.rstrip("\n").split(",")
            entries.append((int(fields[4], 16), int(fields[5]), fields[6]))
    if not entries:
        sys.exit(f"no builtins in {log}: was the server started with --prof?")
    entries.sort()
    binary = open(os.readlink(f"/proc/{pid}/exe"), "rb").read()
    address, size, _ = max(entries, key=lambda e: e[1])
    with open(f"/proc/{pid}/mem", "rb") as mem:
        mem.seek(address)
        offset = binary.find(mem.read(64))
    if offset < 0:
        sys.exit("the builtins were not found in the deno binary")
    delta = offset - address
    return [a + delta for a, _, _ in entries], [(s, n) for _, s, n in entries]


def main() -> None:
    pid, log, seconds = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    rate = float(sys.argv[4]) if len(sys.argv) > 4 else None
    starts, info = builtins(pid, log)
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "perf.data")
        subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-F", str(HZ), "-t", str(pid),
                        "-o", data, "--", "sleep", str(seconds)], check=True)
        report = subprocess.run(["perf", "report", "-i", data, "-n", "-q", "-g", "none",
                                 "--sort", "dso,sym"], capture_output=True, text=True,
                                check=True).stdout
    symbols, groups, total = collections.Counter(), collections.Counter(), 0
    row = re.compile(r"\s*[\d.]+%\s+(\d+)\s+(\[JIT\] tid \d+|\S+)\s+\[.\]\s+(.*)")
    for line in report.splitlines():
        m = row.match(line)
        if not m:
            continue
        n, dso, sym = int(m.group(1)), m.group(2), m.group(3).strip()
        total += n
        if dso == "[kernel.kallsyms]":
            group, name = "kernel", "kernel"
        elif dso == "deno" and sym.startswith("0x"):
            address = int(sym, 16)
            i = bisect.bisect_right(starts, address) - 1
            if i >= 0 and address < starts[i] + info[i][0]:
                group, name = "builtins", "builtin " + info[i][1]
            else:
                group, name = "native", "native"
        elif dso.startswith("[JIT]"):
            group, name = "JIT", sym.split(" ")[0]
        else:
            group, name = "libraries", f"{dso}:{sym[:40]}"
        symbols[name] += n
        groups[group] += n
    if total == 0:
        sys.exit("no samples")
    unit = "µs/request" if rate else "%"

    def scale(n: int) -> float:
        return n / HZ * 1e6 / (rate * seconds) if rate else 100 * n / total

    print(f"main thread: {scale(total):.2f} {unit}; user side "
          f"{scale(total - groups['kernel']):.2f}")
    print("  " + "  ".join(f"{g} {scale(n):.2f}" for g, n in groups.most_common()))
    for name, n in symbols.most_common(40):
        if name != "kernel":
            print(f"  {scale(n):7.3f}  {name}")


if __name__ == "__main__":
    main()
