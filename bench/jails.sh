#!/usr/bin/env bash
# Benchmark: `jail6 apply` of N confined jails (each: network namespace,
# veth on a bridge, one IPv6 address, default route, and a running
# container: user namespace, seccomp, cgroup, jail6-init as PID 1) against
# a baseline that does the same with one `ip` command per network step and
# one `lxc-start` per jail, in the same run; then a no-op re-apply, the
# memory each idle jail costs (proportional set size of its processes: the
# jail's init and liblxc's monitor), and destroy.
#   bench/jails.sh [N...]        default: 100 1000
# Root only. The lxc tools come from Debian's `lxc` package, downloaded and
# unpacked into the benchmark's temp dir (apt-get download + dpkg-deb -x):
# never installed, so none of its services (lxcbr0, dnsmasq) start. Like
# bench/apply.sh, everything runs in a private mount namespace with a tmpfs
# on /run/netns and its own /etc/subuid and /etc/subgid (bind-mounted
# there), in throwaway network namespaces; everything is removed on exit.
# Prints one line per N and writes bench/results/jails.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
[ "$(id -u)" -eq 0 ] || { echo "bench/jails.sh needs root" >&2; exit 1; }
if [ "${JAIL6_BENCH_INNER:-}" != 1 ]; then
	exec unshare -m --propagation private env JAIL6_BENCH_INNER=1 "$0" "$@"
fi
Ns=("$@"); [ ${#Ns[@]} -gt 0 ] || Ns=(100 1000)
BIN=${BIN:-$PWD/build/jail6}
INIT=${INIT:-$PWD/build/jail6-init}
[ -x "$BIN" ] && [ -x "$INIT" ] || make -s
T=$(mktemp -d /tmp/jail6-jbench.XXXXXX)
chmod 0711 "$T"    # the jails' mapped root walks through it
BASE=1000000000    # the baseline's ids, and jail6's default pool

cleanup() {
	set +e   # every step runs, even when one finds nothing (grep) or fails
	local d
	for d in "$T"/lxc/*/; do
		[ -d "$d" ] && "$LXC/lxc-stop" -P "$T/lxc" -n "$(basename "$d")" -k >/dev/null 2>&1 || true
	done
	findmnt -rn -o TARGET | grep -F "$T/" | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
	umount -l /run/netns 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT

# the lxc tools, unpacked, not installed
(cd "$T" && apt-get download -qq lxc >/dev/null 2>&1) || { echo "bench/jails.sh: apt-get download lxc failed" >&2; exit 1; }
dpkg-deb -x "$T"/lxc_*.deb "$T/pkg"
LXC=$T/pkg/usr/bin

mount -t tmpfs -o mode=0755 tmpfs /run/netns 2>/dev/null || { mkdir -p /run/netns && mount -t tmpfs -o mode=0755 tmpfs /run/netns; }
# root may map BASE.. (newuidmap, when installed, checks these files)
printf 'root:%d:%d\n' $BASE 1000000000 >"$T/subid"
mount --bind "$T/subid" /etc/subuid 2>/dev/null || true
mount --bind "$T/subid" /etc/subgid 2>/dev/null || true
mkdir -p bench/results

# The baseline's container: what jail6 gives a pathless confined jail.
base_config() {
	local name=$1 idbase=$2
	cat <<EOF
lxc.uts.name = $name
lxc.rootfs.path = dir:/
lxc.mount.entry = tmpfs tmp tmpfs nosuid,nodev,mode=1777 0 0
lxc.mount.entry = tmpfs run tmpfs nosuid,nodev,mode=755 0 0
lxc.mount.entry = tmpfs var/tmp tmpfs nosuid,nodev,mode=1777 0 0
lxc.mount.entry = $INIT dev/.jail6-init none bind,ro,create=file 0 0
lxc.init.cmd = /dev/.jail6-init
lxc.namespace.share.net = /run/netns/$name
lxc.idmap = u 0 $idbase 65536
lxc.idmap = g 0 $idbase 65536
lxc.mount.auto = proc:mixed
lxc.autodev = 1
lxc.no_new_privs = 1
lxc.seccomp.profile = /usr/share/lxc/config/common.seccomp
lxc.cap.drop = sys_admin sys_module sys_rawio sys_time sys_boot mac_admin mac_override net_admin net_raw mknod sys_ptrace
lxc.console.path = none
lxc.tty.max = 0
lxc.log.file = $T/lxc/$name/lxc.log
lxc.log.level = WARN
EOF
}

baseline() {
	local n=$1 i
	base_host
	for ((i = 1; i <= n; i++)); do
		base_jail_net $i
		mkdir -p "$T/lxc/b$i"
		base_config b$i $((BASE + 65536 * (i - 1))) >"$T/lxc/b$i/config"
		"$LXC/lxc-start" -P "$T/lxc" -n b$i -d
	done
}
baseline_clean() {
	local n=$1 i
	for ((i = 1; i <= n; i++)); do
		"$LXC/lxc-stop" -P "$T/lxc" -n b$i -k >/dev/null 2>&1 || true
		ip netns del b$i
	done
	ip netns del bh
	rm -rf "$T/lxc"
}

# every process inside the jails: children of their monitors
pss_jails() {
	local sum=0 m c v
	for m in $(pgrep -f -- "$1"); do
		v=$(awk '/^Pss:/ { print $2 }' "/proc/$m/smaps_rollup" 2>/dev/null || true)
		sum=$((sum + ${v:-0}))
		for c in $(pgrep -P "$m"); do
			v=$(awk '/^Pss:/ { print $2 }' "/proc/$c/smaps_rollup" 2>/dev/null || true)
			sum=$((sum + ${v:-0}))
		done
	done
	echo $sum
}

gen_conf() {
	echo "bridge bridge0 { address = 2001:db8:1::1/64; }"
	for ((i = 1; i <= $1; i++)); do
		printf 'jail j%d { interface e%d { bridge = bridge0; address = 2001:db8:1::%x/64; } }\n' $i $i $((i + 1))
	done
}

out=bench/results/jails.txt
: >"$out"
printf '%-6s %10s %10s %8s %10s %8s %14s %14s %10s %10s\n' N baseline_s jail6_s speedup noop_s noop_pct \
	base_kib_jail jail6_kib_jail rss_kib destroy_s | tee -a "$out"
for n in "${Ns[@]}"; do
	t0=$(now); baseline "$n"; t1=$(now)
	b=$(secs "$t0" "$t1")
	bm=$(pss_jails "\[lxc monitor\] $T/lxc ")
	baseline_clean "$n"
	settle

	gen_conf "$n" >"$T/c$n.conf"
	ip netns add bhost
	J=("$BIN" -f "$T/c$n.conf" -s "$T/s$n" --host-netns bhost)
	t0=$(now); /usr/bin/time -f %M -o "$T/rss" "${J[@]}" apply >"$T/apply.log"; t1=$(now)
	a=$(secs "$t0" "$t1"); rss=$(cat "$T/rss")
	t0=$(now); "${J[@]}" apply >"$T/noop.log"; t1=$(now)
	z=$(secs "$t0" "$t1")
	grep -q "nothing to do" "$T/noop.log" || { echo "no-op apply did something:" >&2; head "$T/noop.log" >&2; exit 1; }
	jm=$(pss_jails "\[lxc monitor\] $T/s$n/")
	t0=$(now); "${J[@]}" destroy >/dev/null; t1=$(now)
	d=$(secs "$t0" "$t1")
	ip netns del bhost
	settle
	printf '%-6s %10.3f %10.3f %8.1f %10.3f %7.1f%% %14d %14d %10s %10.3f\n' "$n" "$b" "$a" "$(echo "$b / $a" | bc -l)" \
		"$z" "$(echo "100 * $z / $a" | bc -l)" $((bm / n)) $((jm / n)) "$rss" "$d" | tee -a "$out"
done
