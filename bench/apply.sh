#!/usr/bin/env bash
# Benchmark: `jail6 apply` of N jails on one bridge (each: namespace, veth,
# bridge port, one IPv6 address, default route) against a baseline that does
# the same with one `ip` command per step, in the same run; then a no-op
# re-apply. Root only. Everything happens inside a private mount namespace
# (tmpfs on /run/netns) and throwaway network namespaces: nothing reaches the
# machine's own namespace or its /run/netns. jail6's state dir (with its run
# dir, where each jail's hostname namespace is bound) is under /tmp, on the
# machine's disk, as /var/lib/jail6 would be.
#   bench/apply.sh [N...]        default: 100 1000
# Prints one line per N and writes bench/results/apply.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "bench/apply.sh needs root" >&2; exit 1; }
if [ "${JAIL6_BENCH_INNER:-}" != 1 ]; then
	exec unshare -m --propagation private env JAIL6_BENCH_INNER=1 "$0" "$@"
fi
Ns=("$@"); [ ${#Ns[@]} -gt 0 ] || Ns=(100 1000)
BIN=${BIN:-$PWD/build/jail6}
[ -x "$BIN" ] || make -s
mount -t tmpfs tmpfs /run/netns 2>/dev/null || { mkdir -p /run/netns && mount -t tmpfs tmpfs /run/netns; }
T=$(mktemp -d /tmp/jail6-bench.XXXXXX)
# On any exit: the jails' namespace files are mounts under the state dir
# (STATE/run/ns) and a failed run can leave them; unmount them deepest first
# so that rm can remove the files.
cleanup() {
	set +e   # every step runs, even when one finds nothing (grep) or fails
	findmnt -rn -o TARGET | grep -F "$T/" | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
	umount -l /run/netns 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT
mkdir -p bench/results
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc -l; }

# one jail6 config with N jails on bridge0
gen_conf() {
	echo "bridge bridge0 { address = 2001:db8:1::1/64; }"
	for ((i = 1; i <= $1; i++)); do
		printf 'jail j%d { confine = no; interface e%d { bridge = bridge0; address = 2001:db8:1::%x/64; } }\n' $i $i $((i + 1))
	done
}

# the baseline: the same objects, one ip(8) command per step
baseline() {
	local n=$1 i
	ip netns add bh
	ip -n bh link set lo up
	ip -n bh link add bridge0 type bridge
	ip -n bh addr add 2001:db8:1::1/64 dev bridge0 nodad
	ip -n bh link set bridge0 up
	for ((i = 1; i <= n; i++)); do
		ip netns add b$i
		ip -n b$i link set lo up
		ip -n bh link add e${i}a type veth peer name e${i}b
		ip -n bh link set e${i}a master bridge0
		ip -n bh link set e${i}a up
		ip -n bh link set e${i}b netns b$i
		ip -n b$i addr add 2001:db8:1::$(printf %x $((i + 1)))/64 dev e${i}b nodad
		ip -n b$i link set e${i}b up
		ip -n b$i route add default via 2001:db8:1::1 dev e${i}b
	done
}
baseline_clean() {
	local n=$1 i
	for ((i = 1; i <= n; i++)); do ip netns del b$i; done
	ip netns del bh
}

# Deleting namespaces returns at once and the kernel tears them down in the
# background (the "netns" workqueue) holding the rtnl lock: before the next
# timed phase, wait until no kworker has been running netns work for three
# polls in a row (ps shows a busy one as kworker/...+netns), for at most 60 s.
netns_busy() { ps -eo comm= | grep -c '^kworker/.*+netns' || true; }
settle() {
	local i quiet=0
	for ((i = 0; i < 600 && quiet < 3; i++)); do
		if [ "$(netns_busy)" -eq 0 ]; then quiet=$((quiet + 1)); else quiet=0; fi
		sleep 0.1
	done
	[ $quiet -ge 3 ] || echo "bench/apply.sh: namespaces still being torn down after 60 s" >&2
}

out=bench/results/apply.txt
: >"$out"
printf '%-6s %10s %10s %8s %10s %8s %10s %10s\n' N baseline_s jail6_s speedup noop_s noop_pct rss_kib destroy_s | tee -a "$out"
for n in "${Ns[@]}"; do
	t0=$(now); baseline "$n"; t1=$(now); baseline_clean "$n"
	b=$(secs "$t0" "$t1")
	settle "$n"

	gen_conf "$n" >"$T/c$n.conf"
	ip netns add bhost
	J=("$BIN" -f "$T/c$n.conf" -s "$T/s$n" --host-netns bhost)
	t0=$(now); /usr/bin/time -f %M -o "$T/rss" "${J[@]}" apply >"$T/apply.log"; t1=$(now)
	a=$(secs "$t0" "$t1"); rss=$(cat "$T/rss")
	t0=$(now); "${J[@]}" apply >"$T/noop.log"; t1=$(now)
	z=$(secs "$t0" "$t1")
	grep -q "nothing to do" "$T/noop.log" || { echo "no-op apply did something:" >&2; head "$T/noop.log" >&2; exit 1; }
	t0=$(now); "${J[@]}" destroy >/dev/null; t1=$(now)
	d=$(secs "$t0" "$t1")
	ip netns del bhost
	settle "$n"
	printf '%-6s %10.3f %10.3f %8.1f %10.3f %7.1f%% %10s %10.3f\n' "$n" "$b" "$a" "$(echo "$b / $a" | bc -l)" \
		"$z" "$(echo "100 * $z / $a" | bc -l)" "$rss" "$d" | tee -a "$out"
done
