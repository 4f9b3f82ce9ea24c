#!/usr/bin/env bash
# The systemd units (systemd/) without systemd as PID 1, root only:
#   - systemd-analyze verify on each unit, with the build's jail6 as ExecStart
#   - the datapath as jail6-datapath@.service runs it: `jail6 tunnel run NAME
#     --foreground` under the unit's CapabilityBoundingSet and no_new_privs
#     (setpriv), with NOTIFY_SOCKET set (tests/netns/notify_listen.py plays
#     the service manager): READY=1 once up, WATCHDOG=1 after, STOPPING=1 and
#     exit 0 on SIGTERM; the userspace datapath (a socket path) and the eBPF
#     one (an abstract socket), in throwaway namespaces, documentation
#     addresses only
#   - the hand-over: apply with systemd as PID 1 starts the unit (a
#     systemctl of the test's), status sees its datapath, destroy stops it
# Everything is removed on exit, failed or not; every wait is bounded.
set -u
cd "$(dirname "$0")/../.."
. tests/netns/lib.sh
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
BIN=$BUILD/jail6

t_need_root t_units
for t in systemd-analyze setpriv python3 jq; do
	command -v $t >/dev/null || { echo "skip t_units needs $t (scripts/deps installs it)"; exit 0; }
done
[ -c /dev/net/tun ] || { echo "skip t_units needs /dev/net/tun"; exit 0; }
t_tmp t_units
R=$T/netns
mkdir -p "$R" "$T/units"
DP=
t_cleanup() {
	[ -n "$DP" ] && kill -KILL "$DP" 2>/dev/null
	for n in host peer; do [ -e "$R/$n" ] && umount "$R/$n" 2>/dev/null; done
}

# ---- systemd-analyze verify, on copies naming the build's jail6
for f in systemd/*; do
	b=$(basename "$f" .in)
	sed "s|@SBINDIR@|$BUILD|g" "$f" >"$T/units/$b"
done
out=$(cd "$T/units" && systemd-analyze verify --man=no ./jail6.service ./jail6-datapath@t6.service \
	./jail6-update@t6.service ./jail6-update@t6.timer 2>&1); rc=$?
if [ $rc -eq 0 ] && [ -z "$out" ]; then ok "systemd-analyze verify: every unit"; else nok "systemd-analyze verify: every unit" "$out"; fi
check "jail6-datapath@ is Type=notify with a watchdog, restarted on failure" \
	test "$(grep -cE '^(Type=notify|WatchdogSec=[0-9]+s|Restart=on-failure|NoNewPrivileges=yes|ProtectSystem=strict|PrivateTmp=yes)$' "$T/units/jail6-datapath@.service")" -eq 6

# the unit's capability bounding set, as setpriv takes it
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$T/units/jail6-datapath@.service")
bset=-all
for c in $caps; do c=${c#CAP_}; bset="$bset,+${c,,}"; done
check "the datapath's bounding set is what it needs: $caps" \
	test "$caps" = "CAP_NET_ADMIN CAP_NET_RAW CAP_BPF CAP_PERFMON CAP_SYS_CHROOT CAP_SETPCAP CAP_SETUID CAP_SETGID CAP_KILL"
# CapBnd as /proc/PID/status shows it: bits 5 (KILL), 6 (SETGID), 7
# (SETUID), 8 (SETPCAP), 12 (NET_ADMIN), 13 (NET_RAW), 18 (SYS_CHROOT), 38
# (PERFMON), 39 (BPF): the parent's; its jail6-datapath drops them all
# (t_privdrop.sh)
want_bnd=000000c0000431e0

# ---- host (198.51.100.1) -- peer (198.51.100.2), the tunnel t6 on host
t_ns host lo && t_ns peer lo || { nok "namespaces" "unshare failed"; exit 1; }
H ip link add u0 type veth peer name u1 && H ip link set u1 netns "$R/peer" &&
	H ip addr add 198.51.100.1/24 dev u0 && H ip link set u0 up &&
	nsenter --net="$R/peer" ip addr add 198.51.100.2/24 dev u1 && nsenter --net="$R/peer" ip link set u1 up ||
	{ nok "the link host -- peer" "ip failed"; exit 1; }

# conf FILE DATAPATH: the tunnel t6, host's end
conf() {
	cat >"$1" <<CONF
tunnel t6 {
	type = 6in4;
	remote = 198.51.100.2;
	local = 198.51.100.1;
	address = 2001:db8:ffff::1/64;
	peer = 2001:db8:ffff::2;
	datapath = $2;
}
CONF
}

# run_unit DATAPATH SOCKET: the unit's command line in host, under its
# bounding set; notify_listen.py's lines
run_unit() {
	conf "$T/jail6.conf" "$1"
	# (both in host: an abstract socket's name is one network namespace's)
	timeout 60 nsenter --net="$R/host" python3 tests/netns/notify_listen.py "$2" 30 \
		setpriv --no-new-privs --bounding-set "$bset" -- \
		"$BIN" -f "$T/jail6.conf" -s "$T/state" tunnel run t6 --foreground --stats "$T/state/run/tunnel/t6.stats" \
		2>"$T/$1.err"
}

for dp in userspace ebpf; do
	sock=$T/notify.$dp
	[ $dp = ebpf ] && sock=@jail6-t_units-$$
	out=$(run_unit $dp "$sock")
	DP=$(sed -n 's/^pid //p' <<<"$out")
	check "$dp: READY=1 once the datapath is up" grep -q '^ready ' <<<"$out"
	expect "$dp: under the unit's bounding set, no_new_privs" "status CapBnd=$want_bnd NoNewPrivs=1" \
		"$(grep '^status ' <<<"$out")" "$(cat "$T/$dp.err")"
	check "$dp: WATCHDOG=1 after" grep -q '^watchdog [2-9]' <<<"$out"
	check "$dp: STOPPING=1 on SIGTERM, then exit 0" test "$(grep -cE '^(stopping|exit 0)$' <<<"$out")" -eq 2
	check "$dp: its stats file (the directory made)" test "$(jq -r .datapath "$T/state/run/tunnel/t6.stats" 2>/dev/null)" = $dp
	[ $n_fail -eq 0 ] || printf '%s\n' "$out" "$(cat "$T/$dp.err")" | sed 's/^/#   /'
	DP=
	rm -rf "$T/state"
done
check "no TUN device left (the foreground datapath made its own)" test -z "$(H ip -o link show t6 2>/dev/null)"

# ---- the hand-over: apply (the test build) with systemd "as PID 1"
# (JAIL6_TEST_SYSTEMD_DIR names a directory that exists) and a systemctl of
# this test's, which runs the unit's command line as systemd would, with
# this test's namespace and directories
U=$T/state/run/tunnel
cat >"$T/systemctl" <<SH
#!/bin/sh
echo "\$*" >>"$T/systemctl.calls"
name=\${3#jail6-datapath@}; name=\${name%.service}
args=\$(sed -n 's/^JAIL6_DATAPATH_ARGS=//p' "$U/\$name.env")
setsid "$BUILD/tests/jail6" --runtime-dir "$R" --host-netns host tunnel run "\$name" --foreground \\
	--pidfile "$U/\$name.pid" --stats "$U/\$name.stats" \$args </dev/null >>"$T/unit.log" 2>&1 &
SH
chmod +x "$T/systemctl"
conf "$T/apply.conf" userspace
j6u() {
	JAIL6_TEST_SYSTEMD_DIR=$T JAIL6_TEST_SYSTEMCTL=$T/systemctl "$BUILD/tests/jail6" -f "$T/apply.conf" -s "$T/state" \
		--runtime-dir "$R" --host-netns host --lock-timeout 20 "$@"
}
out=$(j6u apply 2>&1); rc=$?
expect "apply hands the datapath to its unit" "0 start --no-block jail6-datapath@t6.service" \
	"$rc $(cat "$T/systemctl.calls" 2>/dev/null)" "$out" "$(cat "$T/unit.log" 2>/dev/null)"
expect "the unit's settings, from the config" \
	"JAIL6_DATAPATH_ARGS=--local 198.51.100.1 --remote 198.51.100.2 --ttl 64 --mtu 1480 --datapath userspace" \
	"$(cat "$U/t6.env" 2>/dev/null)"
read -r DP _ <"$U/t6.pid" 2>/dev/null
check "the unit's datapath runs in the foreground, no supervisor of jail6's" \
	test -n "$DP" -a "$(tr '\0' ' ' <"/proc/${DP:-0}/cmdline" 2>/dev/null | grep -c -- '--foreground --pidfile')" -eq 1 -a \
	-z "$(pgrep -f -- "--runtime-dir $R .*--supervise")"
out=$(j6u status 2>&1); rc=$?
expect "status: in sync with the unit's datapath" 0 $rc "$out"
out=$(j6u apply 2>&1)
check "a second apply has nothing to do, starts nothing" test "$(grep -c 'nothing to do' <<<"$out") $(wc -l <"$T/systemctl.calls")" = "1 1"
out=$(j6u destroy 2>&1); rc=$?
check "destroy stops it (SIGTERM: a clean exit, which the unit does not restart)" poll test ! -d "/proc/$DP"
check "and removes its files (pidfile, stats, settings)" test ! -e "$U/t6.pid" -a ! -e "$U/t6.stats" -a ! -e "$U/t6.env"
DP=
exit $((n_fail > 0))
