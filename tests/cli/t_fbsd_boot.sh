#!/usr/bin/env bash
# Issue 13, item 3: `jail6 export --target freebsd` and `jail6 plan --target
# freebsd` agree. tests/cli/fbsd_boot.py derives the command sequence a
# FreeBSD host runs at boot from the exported files, in the order rc(8) and
# jail(8) run them (its header lists the rules and the man pages), and
# compares it with the plan: the same facts, each sequence in a working order.
# For examples/seed.conf, examples/lab.conf (as it is both refuse its
# Linux-only datapath; with the kernel datapath and the tunnel named gif0 they
# must agree, db's auto address leased in a store as apply leases it), and a
# generated config of 50 jails with the other forms (paths, limits, grants,
# exec.start/stop, a jail route, IPv4, confine = no, more auto addresses).
set -u
cd "$(dirname "$0")/../.."
J=$(realpath "${JAIL6:-build/jail6}")
LEASE=$(realpath -m "${BUILD:-build}/tests/drv_lease")
T=$(mktemp -d /tmp/jail6-fbsdboot.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
fail() { echo "not ok $1"; [ -n "${2:-}" ] && echo "$2" | head -40 | sed 's/^/#   /'; }

# agree NAME CONF LOCAL PHYSICAL: export, plan, compare (fbsd_boot.py prints ok/not ok)
agree() {
	local name=$1 conf=$2 local=$3 phys=$4 out rc
	rm -rf "$T/$name"
	out=$("$J" -s "$T/state.$name" -f "$conf" export --target freebsd --local "$local" -o "$T/$name" 2>&1) ||
		{ fail "$name: export" "$out"; return; }
	"$J" -f "$conf" plan --target freebsd >"$T/$name.plan" 2>&1 || { fail "$name: plan" "$(cat "$T/$name.plan")"; return; }
	: >"$T/$name.host"
	for p in ${phys//,/ }; do echo "ifconfig_$p=\"up\"" >>"$T/$name.host"; done
	out=$(python3 tests/cli/fbsd_boot.py compare "$T/$name.plan" "$T/$name" --host-rc "$T/$name.host" \
		--physical "$phys" --local "$local" 2>&1); rc=$?
	sed "s/^\(not \)\{0,1\}ok /&$name: /" <<<"$out"
	[ $rc -eq 0 ] || [[ $out == *"not ok"* ]] || fail "$name: compare exited $rc" "$out"
}

[ -x "$LEASE" ] || { fail "drv_lease" "$LEASE is not built (make drivers)"; exit 0; }

# the seed: its host's address towards the broker stands in for local = auto
agree seed examples/seed.conf 192.168.3.2 bge0

# the lab as it is: both say its datapath is Linux only
out=$("$J" -f examples/lab.conf plan --target freebsd 2>&1); rc=$?
[ $rc -ne 0 ] && [[ $out == *"datapath = userspace is Linux only"* ]] && echo "ok lab: plan refuses the userspace datapath" ||
	fail "lab: plan refuses the userspace datapath" "$out"
out=$("$J" -f examples/lab.conf export --target freebsd --local 192.0.2.2 2>&1); rc=$?
[ $rc -eq 2 ] && [[ $out == *"examples/lab.conf:15:13:"*"datapath = userspace is Linux only"* ]] &&
	echo "ok lab: export refuses it at the key" || fail "lab: export refuses it at the key" "$out"
# ... and in the kernel's gif, named gif0, with db's address leased
sed 's/^\tdatapath = userspace;.*$//; s/he0/gif0/g' examples/lab.conf >"$T/lab.conf"
out=$("$LEASE" "$T/state.lab" "$T/lab.conf" 2>&1) || fail "lab: lease" "$out"
agree lab "$T/lab.conf" 192.0.2.2 ""

# 50 jails
{
	cat <<'CONF'
tunnel gif0 {
	type = 6in4;
	remote = 198.51.100.1;
	local = 192.0.2.2;
	via = 192.0.2.1;
	address = 2001:db8:ffff::2/64;
	peer = 2001:db8:ffff::1;
	ttl = 40;
}
bridge bridge0 {
	address = 2001:db8:1::1/64, 192.0.2.129/25;
	members = em0, em1;
	tunnel = gif0;
}
CONF
	for i in $(seq 1 50); do
		echo "jail j$i {"
		case $((i % 5)) in
		0) echo "	interface epair$i { bridge = bridge0; address = auto; }" ;;
		1) echo "	interface epair$i { bridge = bridge0; address = 2001:db8:1::$((i + 100))/64, 192.0.2.$((i + 129))/25; }" ;;
		*) echo "	interface epair$i { bridge = bridge0; address = 2001:db8:1::$((i + 100))/64; mac = 02:00:00:00:00:$(printf %02x "$i"); }" ;;
		esac
		case $((i % 7)) in
		0) printf '\tpath = "/jails/j%d";\n\tlimit.memory = 256M;\n\tlimit.pids = 64;\n\tallow.raw_sockets = yes;\n' "$i" ;;
		1) printf '\texec.start = "/bin/sh", "/etc/rc";\n\texec.stop = "/bin/sh", "/etc/rc.shutdown";\n\tstop.timeout = 20s;\n' ;;
		2) printf '\tconfine = no;\n' ;;
		3) printf '\thostname = "host-%d.example";\n\troute 2001:db8:100::/48 { via = 2001:db8:1::1; }\n' "$i" ;;
		esac
		echo "}"
	done
} >"$T/big.conf"
out=$("$J" check --target freebsd -f "$T/big.conf" 2>&1) && echo "ok big: check --target freebsd" || fail "big: check --target freebsd" "$out"
out=$("$LEASE" "$T/state.big" "$T/big.conf" 2>&1) || fail "big: lease" "$out"
agree big "$T/big.conf" 192.0.2.2 em0,em1
n=$(grep -c '^\(j[0-9]*\) {' "$T/big/jail.conf" 2>/dev/null)
[ "$n" = 50 ] && echo "ok big: 50 jail blocks" || fail "big: 50 jail blocks" "$n"

# the comparison can fail: a jail.conf that creates the epair after the jail
# moves it, and one without the jail's address, are caught
sed -i 's/^\texec.prestart = "\/sbin\/ifconfig epair1 create";$//' "$T/seed/jail.conf"
out=$(python3 tests/cli/fbsd_boot.py compare "$T/seed.plan" "$T/seed" --host-rc "$T/seed.host" --physical bge0 \
	--local 192.168.3.2 2>&1); rc=$?
[ $rc -ne 0 ] && [[ $out == *"only in the plan"*"create"* && $out == *"epair1b does not exist yet"* ]] &&
	echo "ok a broken jail.conf is caught" || fail "a broken jail.conf is caught" "$out"
exit 0
