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
. bench/lib.sh
[ "$(id -u)" -eq 0 ] || { echo "bench/apply.sh needs root" >&2; exit 1; }
if [ "${JAIL6_BENCH_INNER:-}" != 1 ]; then
	exec unshare -m --propagation private env JAIL6_BENCH_INNER=1 "$0" "$@"
fi
Ns=("$@"); [ ${#Ns[@]} -gt 0 ] || Ns=(100 1000)
BIN=${BIN:-$PWD/build/jail6}
[ -x "$BIN" ] || make -s
mount -t tmpfs -o mode=0755 tmpfs /run/netns 2>/dev/null || { mkdir -p /run/netns && mount -t tmpfs -o mode=0755 tmpfs /run/netns; }
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
	base_host
	for ((i = 1; i <= n; i++)); do base_jail_net $i; done
}
baseline_clean() {
	local n=$1 i
	for ((i = 1; i <= n; i++)); do ip netns del b$i; done
	ip netns del bh
}

out=bench/results/apply.txt
: >"$out"
printf '%-6s %10s %10s %8s %10s %8s %10s %10s\n' N baseline_s jail6_s speedup noop_s noop_pct rss_kib destroy_s | tee -a "$out"
for n in "${Ns[@]}"; do
	t0=$(now); baseline "$n"; t1=$(now); baseline_clean "$n"
	b=$(secs "$t0" "$t1")
	settle

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
	settle
	printf '%-6s %10.3f %10.3f %8.1f %10.3f %7.1f%% %10s %10.3f\n' "$n" "$b" "$a" "$(echo "$b / $a" | bc -l)" \
		"$z" "$(echo "100 * $z / $a" | bc -l)" "$rss" "$d" | tee -a "$out"
done
