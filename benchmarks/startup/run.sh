#!/usr/bin/env bash
# Start-up of the one-shot commands against Python Pyro clients doing the same, side by side:
# `mainclient list_all_images` against a Pyro4 client that resolves example.provisioning through
# its name server and calls list_all_images(), and `nsc list` / `nsc lookup NAME` against
# `python3 -m Pyro4.nsc list` / `lookup NAME`. Each against servers already running: a real
# bin/nameserver and bin/mainserver (memory store, loopback, as the README's first commands),
# and a Pyro4 name server with pyro_server.py, all on free ports, none the default ones.
#
#   benchmarks/startup/run.sh            # 30 timed runs a command (hyperfine), 10 for memory
#   RUNS=50 MEM_RUNS=20 benchmarks/startup/run.sh
#   benchmarks/startup/run.sh --no-build # skip `mvn -DskipTests package`
#
# Pyro4, not Pyro5: Debian bookworm packages python3-pyro4 only (PyPI is not reachable here).
# Needs: apt-get install python3-pyro4 python3-serpent hyperfine; it runs /usr/bin/python3,
# which sees Debian's packages (a pyenv python3 on the PATH does not).
#
# It prints a table (medians; ratios to the Python counterpart) and leaves the raw results
# (hyperfine's JSON, each run's max RSS, each command's class-load log) in the folder it names.
# Timings are noisy on a shared machine: it prints the load average before and after; compare
# runs made at a load below 1. It stops what it started, by pid, and nothing else.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PY=/usr/bin/python3
RUNS="${RUNS:-30}"
MEM_RUNS="${MEM_RUNS:-10}"
BUILD=true
[ "${1:-}" = "--no-build" ] && BUILD=false

for tool in hyperfine /usr/bin/time "$PY"; do
  command -v "$tool" >/dev/null || { echo "startup: $tool is missing (apt-get install hyperfine time)" >&2; exit 1; }
done
"$PY" -c 'import Pyro4' 2>/dev/null \
  || { echo "startup: $PY has no Pyro4 (apt-get install python3-pyro4 python3-serpent)" >&2; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/objectbroker-startup.XXXXXX")"
PIDS=()
stop() {
  # Last started, first stopped: mainserver before the name server, so that it can unregister.
  local i pid
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    pid=${PIDS[i]}
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
}
trap stop EXIT
fail() {
  echo "startup: $*" >&2
  for log in "$WORK"/*.log; do [ -f "$log" ] && { echo "--- $log" >&2; tail -20 "$log" >&2; }; done
  exit 1
}

# A free TCP port on loopback (the kernel's choice; nothing else is meant to take it meanwhile).
free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# Waits (at most 60 s) for a line matching $2 in log $1 of process $3.
await_line() {
  for _ in $(seq 600); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || fail "$(basename "$1" .log) exited before it was ready"
    sleep 0.1
  done
  fail "$(basename "$1" .log) was not ready within 60 s"
}
await_port() {
  for _ in $(seq 600); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || fail "the process of port $1 exited"
    sleep 0.1
  done
  fail "nothing listens on port $1 after 60 s"
}

if $BUILD; then
  echo "== building (mvn -DskipTests package: the commands' class paths and class-data archives)"
  (cd "$ROOT" && mvn -q -B -Dstyle.color=never -DskipTests package) || fail "the build failed"
fi

NS_PORT="$(free_port)"
PYNS_PORT="$(free_port)"
# A tgtd control port that no tgtd uses: mainserver's tgtadm calls then reach none.
TGT_PORT=""
for _ in $(seq 50); do
  c=$((10000 + RANDOM % 6000))
  [ -e "/var/run/tgtd/socket.$c" ] || [ -e "/var/run/tgtd/socket.$c.lock" ] || { TGT_PORT=$c; break; }
done
[ -n "$TGT_PORT" ] || fail "no unused tgtd control port found"

echo "== ObjectBroker: nameserver on 127.0.0.1:$NS_PORT, mainserver (data in $WORK/data)"
"$ROOT/bin/nameserver" --port "$NS_PORT" >"$WORK/nameserver.log" 2>&1 &
PIDS+=($!)
await_line "$WORK/nameserver.log" "ready" "${PIDS[-1]}"
"$ROOT/bin/mainserver" --host 127.0.0.1 --ns "127.0.0.1:$NS_PORT" --data-dir "$WORK/data" \
  --tgt-control-port "$TGT_PORT" >"$WORK/mainserver.log" 2>&1 &
PIDS+=($!)
await_line "$WORK/mainserver.log" "ready" "${PIDS[-1]}"
export OB_NS="127.0.0.1:$NS_PORT"
"$ROOT/bin/mainclient" create_image img1 1M >/dev/null || fail "mainclient create_image failed"

echo "== Pyro4: name server on 127.0.0.1:$PYNS_PORT, pyro_server.py"
"$PY" -m Pyro4.naming -n 127.0.0.1 -p "$PYNS_PORT" >"$WORK/pyro-naming.log" 2>&1 &
PIDS+=($!)
await_port "$PYNS_PORT" "${PIDS[-1]}"
"$PY" "$HERE/pyro_server.py" 127.0.0.1 "$PYNS_PORT" >"$WORK/pyro-server.log" 2>&1 &
PIDS+=($!)
await_line "$WORK/pyro-server.log" "ready" "${PIDS[-1]}"

# name|command: pairs of (Python, ObjectBroker), compared in the table in this order.
COMMANDS=(
  "python pyro_client.py|$PY $HERE/pyro_client.py 127.0.0.1 $PYNS_PORT"
  "mainclient list_all_images|$ROOT/bin/mainclient list_all_images"
  "python -m Pyro4.nsc list|$PY -m Pyro4.nsc -n 127.0.0.1 -p $PYNS_PORT list"
  "nsc list|$ROOT/bin/nsc list"
  "python -m Pyro4.nsc lookup|$PY -m Pyro4.nsc -n 127.0.0.1 -p $PYNS_PORT lookup example.provisioning"
  "nsc lookup|$ROOT/bin/nsc lookup example.provisioning"
)

echo "== each answers"
for entry in "${COMMANDS[@]}"; do
  name=${entry%%|*}
  cmd=${entry#*|}
  # shellcheck disable=SC2086  # the command's words
  out="$($cmd 2>&1)" || fail "$name failed: $out"
  printf '%-28s %s\n' "$name" "$(echo "$out" | grep -v -e '^-*START' -e '^-*END' | head -2 | tr '\n' ' ')"
done

{
  echo "date: $(date -u +%FT%TZ)"
  echo "machine: $(nproc) cores, $(uname -r)"
  echo "java: $(java -version 2>&1 | head -1)"
  echo "python: $("$PY" --version 2>&1), Pyro4 $("$PY" -c 'import Pyro4; print(Pyro4.__version__)')"
  echo "hyperfine: $(hyperfine --version)"
  echo "archives: $(cd "$ROOT/distribution/target" && ls -- *.jsa 2>/dev/null | tr '\n' ' ')"
} >"$WORK/environment.txt"
cat "$WORK/environment.txt"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$WORK/environment.txt"

echo "== wall time (hyperfine -N --warmup 3 --runs $RUNS)"
HF=(hyperfine -N --warmup 3 --runs "$RUNS" --style basic --export-json "$WORK/hyperfine.json")
for entry in "${COMMANDS[@]}"; do
  HF+=(-n "${entry%%|*}" "${entry#*|}")
done
"${HF[@]}"

echo "== max RSS (/usr/bin/time -v, $MEM_RUNS runs each)"
: >"$WORK/rss.txt"
for entry in "${COMMANDS[@]}"; do
  name=${entry%%|*}
  cmd=${entry#*|}
  for _ in $(seq "$MEM_RUNS"); do
    # shellcheck disable=SC2086
    /usr/bin/time -v -o "$WORK/time.one" $cmd >/dev/null 2>&1 || fail "$name failed"
    echo "$name|$(sed -n 's/^\tMaximum resident set size (kbytes): //p' "$WORK/time.one")" \
      >>"$WORK/rss.txt"
  done
done

echo "== classes loaded (-Xlog:class+load, one run each)"
OB_EXTRA_JAVA_OPTS="-Xlog:class+load:file=$WORK/classes-mainclient.log:none" \
  "$ROOT/bin/mainclient" list_all_images >/dev/null
OB_EXTRA_JAVA_OPTS="-Xlog:class+load:file=$WORK/classes-nsc-list.log:none" \
  "$ROOT/bin/nsc" list >/dev/null
OB_EXTRA_JAVA_OPTS="-Xlog:class+load:file=$WORK/classes-nsc-lookup.log:none" \
  "$ROOT/bin/nsc" lookup example.provisioning >/dev/null

echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$WORK/environment.txt"
"$PY" "$HERE/report.py" "$WORK" | tee "$WORK/report.md"
echo "(raw results in $WORK)"
