#!/bin/sh
# The distribution archive as a user gets it: unpacked into an empty folder, away from the
# source tree and with no Maven in sight, its commands run. A name server from the archive
# listens on a free port; nsc, obsh, the gateway (through curl) and mainclient from the archive
# talk to it.
# Usage: archive-smoke.sh ARCHIVE.tar.gz WORK_DIR
set -eu
archive=$1
work=$2
fail() { echo "archive-smoke: $*" >&2; [ -f "$work/ns.err" ] && cat "$work/ns.err" >&2; exit 1; }
rm -rf "$work"
mkdir -p "$work"
tar -xzf "$archive" -C "$work"
root=$(echo "$work"/objectbroker-*)
[ -d "$root/bin" ] && [ -d "$root/lib" ] || fail "no bin/ and lib/ in $archive"
[ ! -e "$root/distribution" ] || fail "the archive holds a source tree"
# Nothing of the environment: no OB_ variable, no user's configuration file, no Maven.
env_clean() {
  env -i PATH=/usr/bin:/bin HOME="$work" ${JAVA_HOME:+JAVA_HOME="$JAVA_HOME"} "$@"
}
# What sed script SCRIPT takes from FILE once the server PID writes its ready line there, up
# to 60 s; fails naming WHAT and showing ERRORS if it exits or takes longer.
ready() {
  n=0
  while [ $n -lt 600 ]; do
    found=$(sed -n "$2" "$1")
    [ -n "$found" ] && { echo "$found"; return; }
    kill -0 "$3" 2>/dev/null || fail "$4 exited: $(cat "$5")"
    sleep 0.1
    n=$((n + 1))
  done
  fail "$4 did not start within 60 s"
}
for c in nameserver mainserver mainclient nsc testclass gateway obsh; do
  env_clean "$root/bin/$c" --help >"$work/$c.help" 2>&1 || fail "bin/$c --help failed: $(cat "$work/$c.help")"
  grep -q "^Usage: $c" "$work/$c.help" || fail "bin/$c --help: $(head -3 "$work/$c.help")"
done
# Started by env itself, not through env_clean: $! is then the server's own process (env and
# the launcher exec it), which the kills below stop; a function would be a subshell of its own.
env -i PATH=/usr/bin:/bin HOME="$work" ${JAVA_HOME:+JAVA_HOME="$JAVA_HOME"} \
  "$root/bin/nameserver" --port 0 --no-discovery >"$work/ns.out" 2>"$work/ns.err" &
ns=$!
trap 'kill $ns 2>/dev/null || true' EXIT
address=$(ready "$work/ns.out" 's/^name server ready on \([^ ]*\) .*/\1/p' $ns "the name server" "$work/ns.err")
out=$(env_clean "$root/bin/nsc" --ns "$address" ping) || fail "nsc ping: $out"
case $out in "name server at $address answers: "*) ;; *) fail "nsc ping said: $out" ;; esac
out=$(printf 'ls\nhelp\n' | env_clean "$root/bin/obsh" --ns "$address" 2>&1) || fail "obsh < script: $out"
case $out in *"use NAME"*) ;; *) fail "obsh's help said: $out" ;; esac
env -i PATH=/usr/bin:/bin HOME="$work" ${JAVA_HOME:+JAVA_HOME="$JAVA_HOME"} \
  "$root/bin/gateway" --port 0 --ns "$address" >"$work/gw.out" 2>"$work/gw.err" &
gw=$!
trap 'kill $ns $gw 2>/dev/null || true' EXIT
url=$(ready "$work/gw.out" 's/^gateway ready: \(http[^ ]*\) .*/\1/p' $gw "the gateway" "$work/gw.err")
out=$(curl -sS --max-time 30 -X POST "$url/call/Pyro.NameServer/ping") || fail "curl the gateway: $out"
[ "$out" = '{"result":null}' ] || fail "the gateway's Pyro.NameServer.ping said: $out"
{ kill $gw; wait $gw; } 2>/dev/null || true
! kill -0 $gw 2>/dev/null || fail "the gateway still runs after its SIGTERM"
status=0
out=$(env_clean OB_NS="$address" "$root/bin/mainclient" list_all_images 2>&1) || status=$?
[ $status -eq 4 ] || fail "mainclient without a server: exit $status, expected 4 (not registered): $out"
{ kill $ns; wait $ns; } 2>/dev/null || true
! kill -0 $ns 2>/dev/null || fail "the name server still runs after its SIGTERM"
trap - EXIT
echo "archive-smoke: $archive unpacked and run: bin/ and lib/, no source tree; nsc, obsh, the gateway and mainclient reached its name server"
