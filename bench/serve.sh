#!/usr/bin/env bash
# Benchmark: jail6 serve's GET /api/v1/status and dashboard (GET /) with N
# jails, under concurrent clients from ApacheBench (ab, Debian's
# apache2-utils), against the CLI's `jail6 status --json` run once per
# request, in the same run: requests/s, p50 and p99 latency, and the HTTP
# child's resident memory. The host is a throwaway network namespace with a
# bridge and N unconfined jails (the status of a confined one only adds
# its cgroup's two counters); the HTTP traffic stays on that namespace's
# loopback. Root only; everything is removed on exit.
#   bench/serve.sh [N [CONCURRENCY [REQUESTS]]]    default: 100 8 5000
# Prints a table and writes bench/results/serve.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "bench/serve.sh needs root" >&2; exit 1; }
N=${1:-100} CONC=${2:-8} REQS=${3:-5000}
BASE_REQS=${BASE_REQS:-100}
BIN=${BIN:-$PWD/build/jail6}
[ -x "$BIN" ] || make -s
command -v ab >/dev/null || { echo "bench/serve.sh needs ab (apt-get install apache2-utils)" >&2; exit 1; }
T=$(mktemp -d /tmp/jail6-sbench.XXXXXX)
R=$T/netns S=$T/state C=$T/jail6.conf U=$T/users
PORT=6446
SPID=
mkdir -p "$R" bench/results
j6() { "$BIN" -f "$C" -s "$S" --runtime-dir "$R" --host-netns host --lock-timeout 60 "$@"; }
H() { nsenter --net="$R/host" "$@"; }
cleanup() {
	set +e
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
	j6 destroy >/dev/null 2>&1
	# a few passes: a shared runtime dir can hold a mount twice
	for _ in 1 2 3; do
		awk -v t="$T/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r -u |
			while read -r m; do umount -l "$m" 2>/dev/null; done
	done
	rm -rf "$T"
}
trap cleanup EXIT

touch "$R/host" && unshare --net="$R/host" true && H ip link set lo up
{
	echo 'bridge bridge0 { address = 2001:db8:1::1/64; }'
	for i in $(seq "$N"); do
		echo "jail j$i { confine = no; interface v$i { bridge = bridge0; address = auto; } }"
	done
} >"$C"
echo "bench/serve.sh: applying $N jails" >&2
j6 apply >/dev/null

# the baseline: one `jail6 status --json` process per request, sequential
# for the latencies, then CONC at a time for the throughput
lat=$T/base.lat
for i in $(seq "$BASE_REQS"); do
	s=$(date +%s%N); j6 status --json >/dev/null || true; e=$(date +%s%N)
	echo $(((e - s) / 1000)) >>"$lat"
done
pct() { sort -n "$1" | awk -v p="$2" '{ v[NR] = $1 } END { i = int(NR * p / 100 + 0.999); if (i < 1) i = 1; printf "%.1f", v[i] / 1000 }'; }
base_p50=$(pct "$lat" 50) base_p99=$(pct "$lat" 99)
s=$(date +%s%N)
seq "$BASE_REQS" | xargs -P "$CONC" -I{} "$BIN" -f "$C" -s "$S" --runtime-dir "$R" --host-netns host --lock-timeout 60 status --json >/dev/null 2>&1 || true
e=$(date +%s%N)
base_rps=$(echo "$BASE_REQS * 1000000000 / ($e - $s)" | bc -l)

# jail6 serve, its socket on the namespace's loopback
printf 'bench-password\n' | "$BIN" serve --users "$U" --add-user bench >/dev/null
TOK=$("$BIN" serve --users "$U" --add-token bench)
"$BIN" -f "$C" -s "$S" --runtime-dir "$R" --host-netns host serve --users "$U" --jail-dir "$T/jail6.d" \
	--listen 127.0.0.1:$PORT 2>"$T/serve.log" &
SPID=$!
for _ in $(seq 100); do H curl -s -o /dev/null http://127.0.0.1:$PORT/login && break; sleep 0.1; done
CPID=$(pgrep -P "$SPID" | head -1)
cookie=$(H curl -s -D - -o /dev/null -d 'user=bench&password=bench-password' http://127.0.0.1:$PORT/login |
	sed -n 's/^[Ss]et-[Cc]ookie: \(jail6_session=[0-9a-f]*\).*/\1/p')
# ab's figures: requests/s, and the 50% and 99% lines of its percentiles (ms)
run_ab() {
	local out
	out=$(H ab -q -n "$REQS" -c "$CONC" "$@" 2>&1)
	if ! grep -q '^Failed requests: *0' <<<"$out" || grep -q '^Non-2xx responses' <<<"$out"; then
		echo "bench/serve.sh: ab reported failures:" >&2; echo "$out" >&2; exit 1
	fi
	echo "$(awk '/^Requests per second/ {print $4}' <<<"$out") $(awk '$1 == "50%" {print $2}' <<<"$out") $(awk '$1 == "99%" {print $2}' <<<"$out")"
}
H curl -s -o /dev/null -H "Authorization: Bearer $TOK" http://127.0.0.1:$PORT/api/v1/status
read -r api_rps api_p50 api_p99 < <(run_ab -H "Authorization: Bearer $TOK" http://127.0.0.1:$PORT/api/v1/status)
read -r dash_rps dash_p50 dash_p99 < <(run_ab -C "$cookie" http://127.0.0.1:$PORT/)
rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$CPID/status")
hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$CPID/status")
prss=$(awk '/^VmHWM:/ {print $2}' "/proc/$SPID/status")

{
	echo "# bench/serve.sh: N=$N jails, concurrency $CONC, $REQS requests per ab run, $BASE_REQS baseline runs ($(date -u +%F), $(nproc) CPUs, kernel $(uname -r))"
	printf '%-34s %10s %9s %9s %8s\n' what req_per_s p50_ms p99_ms vs_base
	printf '%-34s %10.1f %9s %9s %8s\n' "jail6 status --json (process)" "$base_rps" "$base_p50" "$base_p99" 1.0
	printf '%-34s %10.1f %9s %9s %8.1f\n' "serve GET /api/v1/status" "$api_rps" "$api_p50" "$api_p99" "$(echo "$api_rps / $base_rps" | bc -l)"
	printf '%-34s %10.1f %9s %9s %8.1f\n' "serve GET / (dashboard)" "$dash_rps" "$dash_p50" "$dash_p99" "$(echo "$dash_rps / $base_rps" | bc -l)"
	echo "HTTP child RSS ${rss} KiB (peak ${hwm} KiB); parent peak RSS ${prss} KiB"
} | tee bench/results/serve.txt
