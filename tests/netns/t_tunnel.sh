#!/usr/bin/env bash
# The userspace 6in4 datapath (`jail6 tunnel run`) end to end, root only.
# Throwaway namespaces bound in a private runtime dir (nothing reaches the
# machine's own namespace or /run/netns), documentation addresses only:
#
#   j (a "jail", 2001:db8:1::2) -- a -- s (a switch: bridge) -- b
#                                        |
#                                        c (a third party on the IPv4 segment)
#   a: 198.51.100.1, TUN t6 2001:db8:ffff::1/64, forwards for j;
#      `jail6 --host-netns a tunnel run --foreground` (it creates its own TUN)
#   b: 198.51.100.2 and .4, persistent TUN t6 2001:db8:ffff::2/64;
#      `jail6 --host-netns b tunnel run --supervise`, started from outside
#   c: 198.51.100.3; sends crafted protocol-41 packets (build/tests/drv_proto41)
#   then a's end again as `jail6 apply` makes it (a persistent TUN t6 and a
#   supervised datapath) for the MTU changes of the config
#   last, datapath = ebpf (tc BPF programs, kernel 6.3+): b's end by hand,
#   a's by apply; the same ingress, payload, MTU, TCP and restart checks,
#   the switch userspace <-> ebpf, and destroy leaving nothing behind
#
# Both TUN devices have MTU 1500 while the tunnel MTU is 1480, so every
# Packet Too Big seen here comes from the daemon, not from the kernel (but
# in the ebpf part, where the kernel sends them: the TUN link has MTU 1480).
# Everything is removed on exit, failed or not; every wait is bounded.
set -u
cd "$(dirname "$0")/../.."
. tests/netns/lib.sh
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
BIN=$BUILD/jail6
# the test build (util/testhook.h): it can pretend a kernel without BPF
# decapsulation
JAIL6_TEST=${JAIL6_TEST:-$BUILD/tests/jail6}
DRV=$BUILD/tests/drv_proto41

t_need_root t_tunnel
for t in jq iperf3 ping; do
	command -v $t >/dev/null || { echo "skip t_tunnel needs $t (scripts/deps installs it)"; exit 0; }
done
[ -x "$DRV" ] || { echo "not ok t_tunnel: $DRV missing (make drivers)"; exit 1; }
[ -c /dev/net/tun ] || { echo "skip t_tunnel needs /dev/net/tun"; exit 0; }

t_tmp t_tunnel
R=$T/netns
mkdir -p "$R"
A_PID= SUP= IPERF= STOPPED=
# pid_of PIDFILE: the pid a pidfile names; pidfiles hold "PID START EXE"
# (src/util/proc.h), and START is no pid to signal
pid_of() { local p _; [ -f "$1" ] && read -r p _ <"$1" && echo "$p"; }
# every process this script starts: a's daemon, iperf3, and whatever
# supervisor a pidfile in $T (or apply's, under $T/state/run) names
ours() { local f; echo $A_PID $IPERF; for f in "$T"/*.pid "$T"/state/run/tunnel/*.pid; do pid_of "$f"; done; }
t_cleanup() {
	local p alive
	# a datapath stopped on purpose, if a check left it so
	[ -n "$STOPPED" ] && kill -KILL "$STOPPED" 2>/dev/null
	for p in $(ours); do kill -TERM "$p" 2>/dev/null; done
	for _ in $(seq 50); do
		alive=0
		for p in $(ours); do kill -0 "$p" 2>/dev/null && alive=1; done
		[ $alive -eq 0 ] && break
		sleep 0.1
	done
	for p in $(ours); do kill -KILL "$p" 2>/dev/null; done
}

# check NAME CMD...: as lib.sh's, CMD's output not shown
check() { local name=$1; shift; if "$@" >/dev/null 2>&1; then ok "$name"; else nok "$name" "failed: $*"; fi; }
# N NS CMD...: run CMD in namespace NS (-F: no fork, so $! is CMD's pid)
N() { local n=$1; shift; nsenter -F --net="$R/$n" "$@"; }
# wait_until SECONDS CMD...: poll CMD every 0.1 s until it succeeds
wait_until() { local t=$1; shift; local i; for ((i = 0; i < t * 10; i++)); do "$@" && return 0; sleep 0.1; done; return 1; }
# js FILE JQ-EXPR: a field of a stats file
js() { jq -r "$2" "$1" 2>/dev/null; }
# the ICMPv6 echo requests b's IPv6 stack has received
in_echos() { N b awk '$1 == "Icmp6InEchos" { print $2 }' /proc/net/snmp6; }
echos_ge() { [ "$(in_echos)" -ge "$1" ]; }
A_STATS=$T/a.stats B_STATS=$T/b.stats
# stamp FILE: inode and mtime of a stats file; a daemon rewrites its file
# about once a second by renaming a new file over it, so each rewrite
# changes the stamp
stamp() { stat -c '%i %.9Y' "$1" 2>/dev/null; }
rewritten() { [ "$(stamp "$1")" != "$2" ]; }
# fresh FILE...: wait until each stats file has been rewritten after this
# call, so that it shows all the daemon had counted by then; bounded (5 s)
fresh() {
	local i s0=()
	for i in "$@"; do s0+=("$(stamp "$i")"); done
	for ((i = 1; i <= $#; i++)); do
		if ! wait_until 5 rewritten "${!i}" "${s0[i - 1]}"; then
			nok "stats file $(basename "${!i}") rewritten" "not rewritten within 5 s (inode, mtime: ${s0[i - 1]})"
			return 1
		fi
	done
}
# grew FILE JQ-EXPR BASE N: the stats value is at least BASE + N
grew() { local v; v=$(js "$1" "$2"); [ -n "$v" ] && [ "$v" -ge $(($3 + $4)) ]; }
# counted FILE JQ-EXPR BASE N: wait (5 s at most) until the daemon has
# counted the N packets just sent (a fresh after it shows any counted past N)
counted() { wait_until 5 grew "$@" || echo "# $(basename "$1") $2: $(js "$1" "$2") after 5 s, want at least $(($3 + $4))"; }

# ---- the world
for n in a b c j s; do
	t_ns $n lo || { nok "namespaces" "unshare $n failed"; exit 1; }
done
N s ip link add br0 type bridge && N s ip link set br0 up
for n in a b c; do
	N s ip link add s$n type veth peer name eth0 netns "$R/$n"
	N s ip link set s$n master br0 && N s ip link set s$n up
	N $n ip link set eth0 up
done
N a ip addr add 198.51.100.1/24 dev eth0
N b ip addr add 198.51.100.2/24 dev eth0
N b ip addr add 198.51.100.4/24 dev eth0
N c ip addr add 198.51.100.3/24 dev eth0
N j ip link add ja type veth peer name aj netns "$R/a"
N j ip addr add 2001:db8:1::2/64 dev ja nodad && N j ip link set ja up
N j ip route add default via 2001:db8:1::1
N a ip addr add 2001:db8:1::1/64 dev aj nodad && N a ip link set aj up
N a sysctl -qw net.ipv6.conf.all.forwarding=1
N b ip tuntap add dev t6 mode tun
N b ip link set t6 mtu 1500 up
N b ip addr add 2001:db8:ffff::2/64 dev t6 nodad
N b ip route add 2001:db8:1::/64 via 2001:db8:ffff::1 dev t6

# ---- the daemons
"$BIN" --runtime-dir "$R" --host-netns a tunnel run t6 --local 198.51.100.1 --remote 198.51.100.2 --mtu 1480 \
	--address 2001:db8:ffff::1 --stats "$A_STATS" 2>"$T/a.log" &
A_PID=$!
out=$("$BIN" --runtime-dir "$R" --host-netns b tunnel run t6 --local auto --remote 198.51.100.1 \
	--supervise --pidfile "$T/b.pid" --stats "$B_STATS" --log "$T/b.log" 2>&1); rc=$?
if [ $rc -eq 0 ] && [ -s "$T/b.pid" ]; then ok "supervisor starts and writes its pidfile"; else nok "supervisor starts" "rc=$rc" "$out" "$(cat "$T/b.log" 2>/dev/null)"; fi
SUP=$(pid_of "$T/b.pid")
wait_until 5 N a ip link show t6 >/dev/null 2>&1
N a ip link set t6 mtu 1500
N a ip addr add 2001:db8:ffff::1/64 dev t6 nodad
wait_until 5 test -s "$B_STATS"
wait_until 5 test -s "$A_STATS"
check "stats name b's resolved local address (local = auto)" test "$(js "$B_STATS" .local)" = 198.51.100.2
check "stats say remote, ttl and mtu" test "$(js "$A_STATS" '[.remote,.ttl,.mtu,.name] | join(" ")')" = "198.51.100.2 64 1480 t6"
out=$("$BIN" --runtime-dir "$R" --host-netns b tunnel run t6 --local auto --remote 198.51.100.1 \
	--supervise --pidfile "$T/b.pid" --stats "$T/b2.stats" --log "$T/b2.log" 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q "already runs" <<<"$out"; then ok "a second supervisor for the same pidfile is refused"; else nok "second supervisor refused" "rc=$rc" "$out"; fi
out=$(timeout 10 "$BIN" --runtime-dir "$R" --host-netns b tunnel run t6 --remote 198.51.100.1 2>&1); rc=$?
if [ $rc -eq 1 ] && grep -q "in use by another process" <<<"$out"; then ok "a second datapath on the same TUN device is refused"; else nok "second datapath refused" "rc=$rc" "$out"; fi

# ---- traffic
if wait_until 5 N a ping -6 -c 1 -W 1 2001:db8:ffff::2 >/dev/null; then ok "ping6 a -> b through the tunnel"; else nok "ping6 a -> b" "$(cat "$T/a.log" "$T/b.log")"; fi
out=$(N j ping -6 -c 3 -i 0.2 -W 2 2001:db8:ffff::2 2>&1)
check "ping6 from the jail behind a, forwarded through the tunnel" grep -q " 0% packet loss" <<<"$out"
fresh "$A_STATS" "$B_STATS"
check "a counts what it encapsulated (tx)" test "$(js "$A_STATS" .tx_packets)" -ge 4
check "b counts what it decapsulated (rx)" test "$(js "$B_STATS" .rx_packets)" -ge 4
check "outer TTL is 64" test "$(js "$B_STATS" .ttl)" = 64

# ---- ingress filtering: a spoofed outer source never reaches b's IPv6 stack
# ingress STATS PREFIX: c sends b protocol 41 from spoofed sources and to
# another of b's addresses (counted by reason, never delivered), then from
# the remote's address behind IPv4 options, Record Route and Timestamp
# among them (b's kernel writes into those without updating the checksum
# it checked): decapsulated and counted. Sets e1 to b's echo requests after.
ingress() {
	local st=$1 pre=$2 e0 ws0 wd0 bh0 rx0
	e0=$(in_echos) ws0=$(js "$st" .drops.wrong_source)
	N c "$DRV" 198.51.100.3 198.51.100.2 ping6 5 && N c "$DRV" 203.0.113.99 198.51.100.2 ping6 5
	counted "$st" .drops.wrong_source "$ws0" 10
	fresh "$st"
	check "${pre}spoofed protocol 41: b's IPv6 stack saw no echo request" test "$(in_echos)" -eq "$e0"
	check "${pre}spoofed protocol 41: drops.wrong_source grew by 10" test $(($(js "$st" .drops.wrong_source) - ws0)) -eq 10
	# another address of b is not the tunnel's (the eBPF decapsulator
	# leaves those to the kernel, where the datapath's raw socket counts them)
	wd0=$(js "$st" .drops.wrong_destination)
	N c "$DRV" 198.51.100.1 198.51.100.4 ping6 3
	counted "$st" .drops.wrong_destination "$wd0" 3
	fresh "$st"
	check "${pre}to another address of b: drops.wrong_destination grew by 3" test $(($(js "$st" .drops.wrong_destination) - wd0)) -eq 3
	check "${pre}... and b's IPv6 stack saw nothing" test "$(in_echos)" -eq "$e0"
	# the positive control: the remote's own address, behind IPv4 options
	N c "$DRV" 198.51.100.1 198.51.100.2 options 3
	if wait_until 3 echos_ge $((e0 + 3)); then ok "${pre}from the remote's address with IPv4 options (IHL 6): decapsulated"; else nok "${pre}IHL 6 decapsulated" "in_echos $(in_echos) want $((e0 + 3))"; fi
	e1=$(in_echos)
	fresh "$st"
	bh0=$(js "$st" .drops.bad_header) rx0=$(js "$st" .rx_packets)
	N c "$DRV" 198.51.100.1 198.51.100.2 rr 3 && N c "$DRV" 198.51.100.1 198.51.100.2 ts 3
	if wait_until 3 echos_ge $((e1 + 6)); then ok "${pre}with Record Route and Timestamp options: decapsulated"; else nok "${pre}Record Route and Timestamp decapsulated" "in_echos $(in_echos) want $((e1 + 6))" "drops.bad_header $(js "$st" .drops.bad_header) (was $bh0)"; fi
	counted "$st" .rx_packets "$rx0" 6
	fresh "$st"
	check "${pre}... counted in rx_packets (+6 at least)" grew "$st" .rx_packets "$rx0" 6
	check "${pre}... and not in drops.bad_header" test "$(js "$st" .drops.bad_header)" -eq "$bh0"
	e1=$(in_echos)
}
ingress "$B_STATS" ""
# a UDP checksum left for offload (the pseudo-header sum only, as a kernel
# sender on the same host leaves it): b's daemon marks it for its TUN device
# and b's stack takes it (port 9 has no listener: Udp6NoPorts); a wrong one
# is still b's stack's to drop (Udp6InCsumErrors)
udp6_of() { N b awk -v k="$1" '$1 == k { print $2 }' /proc/net/snmp6; }
udp6_ge() { [ "$(udp6_of "$1")" -ge "$2" ]; }
np0=$(udp6_of Udp6NoPorts) ce0=$(udp6_of Udp6InCsumErrors)
N c "$DRV" 198.51.100.1 198.51.100.2 udp-partial 3
if wait_until 3 udp6_ge Udp6NoPorts $((np0 + 3)); then ok "UDP with its checksum left for offload: b's stack takes it"; else nok "UDP with its checksum left for offload taken" "Udp6NoPorts $(udp6_of Udp6NoPorts) want $((np0 + 3))" "Udp6InCsumErrors $(udp6_of Udp6InCsumErrors) (was $ce0)"; fi
check "... with no checksum error" test "$(udp6_of Udp6InCsumErrors)" -eq "$ce0"
N c "$DRV" 198.51.100.1 198.51.100.2 udp-badsum 3
check "UDP with a wrong checksum: b's stack drops it (Udp6InCsumErrors +3)" wait_until 3 udp6_ge Udp6InCsumErrors $((ce0 + 3))

# ---- malformed payloads: counted, and the daemon lives on
# malformed STATS PREFIX: c sends b crafted payloads; each kind is counted
# by reason, the IHL 15 control among them decapsulated (b's echo requests
# past e1), and b's datapath process the same (names start with PREFIX)
malformed() {
	local st=$1 p=$2 s0 v0 bpid k
	fresh "$st"
	s0=$(js "$st" .drops.short) v0=$(js "$st" .drops.not_ipv6) bpid=$(js "$st" .pid)
	for k in truncated badlen empty; do N c "$DRV" 198.51.100.1 198.51.100.2 $k 20; done
	for k in garbage notv6; do N c "$DRV" 198.51.100.1 198.51.100.2 $k 20; done
	N c "$DRV" 198.51.100.1 198.51.100.2 ihl15 3
	N c "$DRV" 198.51.100.1 198.51.100.2 garbage 2000
	counted "$st" .drops.short "$s0" 60
	counted "$st" .drops.not_ipv6 "$v0" 2040
	fresh "$st"
	check "${p}truncated, bad length, empty: drops.short grew by 60" test $(($(js "$st" .drops.short) - s0)) -eq 60
	check "${p}garbage and IPv4 payloads: drops.not_ipv6 grew by 2040" test $(($(js "$st" .drops.not_ipv6) - v0)) -eq 2040
	check "${p}IHL 15 (40 bytes of options): decapsulated too" wait_until 5 echos_ge $((e1 + 3))
	check "${p}the datapath survived (same pid, alive)" test "$(js "$st" .pid)" = "$bpid" -a -d "/proc/$bpid"
}
malformed "$B_STATS" ""
check "ping6 still works" N a ping -6 -c 1 -W 2 2001:db8:ffff::2

# ---- MTU: 1480 passes, 1481 gets the daemon's Packet Too Big
check "a 1480-byte IPv6 packet passes (ping -s 1432 -M do)" N j ping -6 -c 1 -W 2 -s 1432 -M do 2001:db8:ffff::2
p0=$(js "$A_STATS" .ptb_sent)
out=$(N j ping -6 -c 2 -i 0.3 -W 2 -s 1433 -M do 2001:db8:ffff::2 2>&1)
if grep -qiE "packet too big.*mtu[=:] ?1480|message too long, mtu[=:] ?1480" <<<"$out"; then ok "1481 bytes: Packet Too Big with mtu 1480"; else nok "1481 bytes: Packet Too Big" "$out"; fi
fresh "$A_STATS"
check "ptb_sent and drops.too_big grew" test "$(js "$A_STATS" .ptb_sent)" -gt "$p0" -a "$(js "$A_STATS" .drops.too_big)" -gt 0
# TCP through PMTU discovery: the jail's MTU is 1500, b announces MSS 1440
N j ip -6 route flush cache 2>/dev/null
p0=$(js "$A_STATS" .ptb_sent)
N b timeout 30 iperf3 -s -1 -B 2001:db8:ffff::2 >/dev/null 2>&1 & IPERF=$!
wait_until 5 sh -c "nsenter --net=$R/b ss -ltn | grep -q 5201"
out=$(N j timeout 20 iperf3 -c 2001:db8:ffff::2 -n 4M 2>&1); rc=$?
fresh "$A_STATS" "$B_STATS"
if [ $rc -eq 0 ] && grep -q receiver <<<"$out"; then ok "a 4 MB TCP transfer from the jail completes"; else nok "TCP transfer" "rc=$rc" "$out"; fi
check "... after the daemon's Packet Too Big (PMTU discovery)" test "$(js "$A_STATS" .ptb_sent)" -gt "$p0"
check "no send or TUN write errors" test "$(js "$A_STATS" '.drops.send + .drops.tun_write')" -eq 0 -a "$(js "$B_STATS" '.drops.send + .drops.tun_write')" -eq 0
wait "$IPERF" 2>/dev/null; IPERF=

# ---- an IPv4 path narrower than the outer packets: IPv4 fragments them
reasm() { N b awk '/^Ip:/ { if (!h) { split($0, k); h = 1 } else { split($0, v); for (i in k) if (k[i] == "ReasmOKs") print v[i] } }' /proc/net/snmp; }
N a ip link set eth0 mtu 1400 && N b ip link set eth0 mtu 1400
r0=$(reasm) d0=$(js "$A_STATS" .drops.send)
check "outer path MTU 1400: a 1448-byte IPv6 packet still passes" N a ping -6 -c 2 -i 0.3 -W 2 -s 1400 -M do 2001:db8:ffff::2
check "... as IPv4 fragments that b reassembles" test "$(reasm)" -ge $((r0 + 2))
fresh "$A_STATS"
check "... with no send errors" test "$(js "$A_STATS" .drops.send)" -eq "$d0"
N a ip link set eth0 mtu 1500 && N b ip link set eth0 mtu 1500

# ---- supervision: kill -9 the datapath, it comes back
child=$(js "$B_STATS" .pid)
rx0=$(js "$B_STATS" .rx_packets)
kill -KILL "$child"
restarted() { local p; p=$(js "$B_STATS" .pid); [ -n "$p" ] && [ "$p" != "$child" ] && [ "$(js "$B_STATS" .restarts)" -ge 1 ] && [ -d "/proc/$p" ]; }
if wait_until 10 restarted; then ok "killed datapath restarted (stats: new pid, restarts >= 1)"; else nok "datapath restarted" "$(tail -5 "$T/b.log")"; fi
if wait_until 10 N a ping -6 -c 1 -W 1 2001:db8:ffff::2 >/dev/null; then ok "ping resumes after the restart"; else nok "ping resumes" "$(tail -5 "$T/b.log")"; fi
check "counters carry over the restart" test "$(js "$B_STATS" .rx_packets)" -ge "$rx0"
check "the supervisor logged the kill" grep -q "killed by signal 9" "$T/b.log"

# ---- stop: SIGTERM to the supervisor takes everything down
child=$(js "$B_STATS" .pid)
kill -TERM "$SUP"
gone() { ! kill -0 "$SUP" 2>/dev/null && ! kill -0 "$child" 2>/dev/null; }
if wait_until 5 gone; then ok "SIGTERM: supervisor and datapath gone"; else nok "SIGTERM stops all" "$(tail -5 "$T/b.log")"; fi
check "pidfile removed" test ! -e "$T/b.pid"
check "final stats kept" test "$(js "$B_STATS" .rx_packets)" -gt 0
check "the persistent TUN device stays for a restart" N b ip link show t6
kill -TERM "$A_PID"
if wait_until 5 sh -c "! kill -0 $A_PID 2>/dev/null"; then ok "foreground daemon stops on SIGTERM"; else nok "foreground stops"; fi
wait "$A_PID"; rc=$?
check "... with exit status 0" test $rc -eq 0
check "... and its own (non-persistent) TUN device is gone" sh -c "! nsenter --net=$R/a ip link show t6 >/dev/null 2>&1"
A_PID=
check "no datapath process left" test -z "$(pgrep -f -- "--stats $T/" || true)"

# ---- refusals
out=$(N a "$BIN" tunnel run t6 --remote 198.51.100.2 --supervise --pidfile "$T/x.pid" --stats "$T/x.stats" --log "$T/x.log" 2>&1); rc=$?
if wait_until 5 grep -q "does not exist" "$T/x.log"; then ok "supervised datapath on a missing TUN device logs why"; else nok "missing TUN logged" "rc=$rc" "$out" "$(cat "$T/x.log" 2>/dev/null)"; fi
[ -s "$T/x.pid" ] && kill -TERM "$(pid_of "$T/x.pid")" 2>/dev/null
wait_until 5 test ! -e "$T/x.pid"
out=$(N a "$BIN" tunnel run t6 --remote 198.51.100.2 --mtu 1481 2>&1); rc=$?
check "--mtu 1481 is refused (exit 2)" test $rc -eq 2
out=$(N a "$BIN" tunnel run t6 --remote 2001:db8::1 2>&1); rc=$?
check "an IPv6 remote is refused (exit 2)" test $rc -eq 2

# ---- the config's mtu reaches a running datapath: apply sets the TUN link's
# MTU, the datapath follows (SIGHUP) and apply waits until its stats say so.
# Here the TUN MTU is the tunnel MTU, so a's kernel answers what is too big
# for the link; the datapath must let through all that the link takes.
C=$T/jail6.conf S=$T/state
A_DP_STATS=$T/state/run/tunnel/t6.stats
j6() { "$BIN" -f "$C" -s "$S" --runtime-dir "$R" --host-netns a --lock-timeout 20 "$@"; }
conf() {
	cat >"$C" <<CONF
tunnel t6 {
	type = 6in4;
	local = 198.51.100.1;
	remote = 198.51.100.2;
	address = 2001:db8:ffff::1/64;
	peer = 2001:db8:ffff::2;
	datapath = userspace;
	mtu = $1;
}
CONF
}
# ping6 from the jail with an IPv6 packet of $1 bytes, DF: its output
big_ping() { N j ping -6 -c 1 -W 2 -s $(($1 - 48)) -M do 2001:db8:ffff::2 2>&1; }
ptb_names() { grep -qiE "packet too big.*mtu[=:] ?$1|message too long, mtu[=:] ?$1" <<<"$2"; }
"$BIN" --runtime-dir "$R" --host-netns b tunnel run t6 --local auto --remote 198.51.100.1 \
	--supervise --pidfile "$T/b.pid" --stats "$B_STATS" --log "$T/b.log" >/dev/null 2>&1
conf 1400
out=$(j6 apply 2>&1); rc=$?
if [ $rc -eq 0 ] && wait_until 5 test "$(js "$A_DP_STATS" .mtu)" = 1400; then ok "apply mtu 1400: the datapath runs with mtu 1400"; else nok "apply mtu 1400" "rc=$rc" "$out" "$(cat "$T"/state/run/tunnel/t6.log 2>/dev/null)"; fi
if wait_until 5 N j ping -6 -c 1 -W 1 2001:db8:ffff::2 >/dev/null; then ok "ping6 through apply's tunnel"; else nok "ping6 through apply's tunnel" "$(tail -5 "$T"/state/run/tunnel/t6.log)"; fi
dp=$(js "$A_DP_STATS" .pid)
conf 1480
out=$(j6 apply 2>&1); rc=$?
# no fresh: apply has waited for the datapath's stats
if [ $rc -eq 0 ] && [ "$(js "$A_DP_STATS" .mtu)" = 1480 ]; then ok "mtu 1400 -> 1480: when apply returns, the stats say mtu 1480"; else nok "mtu 1400 -> 1480" "rc=$rc" "$out" "stats mtu $(js "$A_DP_STATS" .mtu)"; fi
check "... the TUN link has mtu 1480" grep -q "mtu 1480 " <<<"$(N a ip link show t6)"
check "... from the same datapath process (no restart)" test "$(js "$A_DP_STATS" .pid)" = "$dp"
out=$(big_ping 1480)
if grep -q " 0% packet loss" <<<"$out"; then ok "... a 1480-byte packet passes (the datapath took 1480)"; else nok "1480 bytes after raising the mtu" "$out" "$(tail -3 "$T"/state/run/tunnel/t6.log)"; fi
out=$(big_ping 1481)
if ptb_names 1480 "$out"; then ok "... 1481 bytes: Packet Too Big with mtu 1480"; else nok "1481 bytes: Packet Too Big with mtu 1480" "$out"; fi
conf 1300
out=$(j6 apply 2>&1); rc=$?
if [ $rc -eq 0 ] && [ "$(js "$A_DP_STATS" .mtu)" = 1300 ]; then ok "mtu 1480 -> 1300: when apply returns, the stats say mtu 1300"; else nok "mtu 1480 -> 1300" "rc=$rc" "$out" "stats mtu $(js "$A_DP_STATS" .mtu)"; fi
check "... a 1300-byte packet passes" grep -q " 0% packet loss" <<<"$(big_ping 1300)"
out=$(big_ping 1301)
if ptb_names 1300 "$out"; then ok "... 1301 bytes: Packet Too Big with mtu 1300"; else nok "1301 bytes: Packet Too Big with mtu 1300" "$out"; fi
out=$(j6 apply 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q "nothing to do" <<<"$out"; then ok "... and the next apply has nothing to do"; else nok "next apply: nothing to do" "rc=$rc" "$out"; fi
check "the datapath logged the changes" grep -q "mtu 1480 -> 1300" "$T"/state/run/tunnel/t6.log
# a datapath that cannot answer (stopped): apply waits a bounded time and
# says so. The link has the new MTU then, the datapath not: status shows
# the drift, and the next apply restarts the datapath, which takes it
conf 1280
STOPPED=$(js "$A_DP_STATS" .pid)
kill -STOP "$STOPPED"
out=$(j6 apply 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q "t6: the userspace datapath did not take mtu 1280 within" <<<"$out"; then ok "a stopped datapath: apply fails within its bound, naming the tunnel"; else nok "stopped datapath: bounded failure" "rc=$rc" "$out"; fi
out=$(j6 status 2>&1); rc=$?
if [ $rc -eq 3 ] && grep -q "t6: change 6in4 tunnel.*mtu 1280" <<<"$out"; then ok "... status: drift, the datapath (not the link) is behind"; else nok "status shows the stale datapath" "rc=$rc" "$out"; fi
out=$(j6 apply 2>&1); rc=$?
# (a new datapath writes its first stats just after its pidfile)
if [ $rc -eq 0 ] && wait_until 5 test "$(js "$A_DP_STATS" .mtu)" = 1280 && [ "$(js "$A_DP_STATS" .pid)" != "$STOPPED" ]; then ok "... apply restarts it: a new datapath with mtu 1280"; else nok "apply restarts the stale datapath" "rc=$rc" "$out" "stats $(cat "$A_DP_STATS")"; fi
check "... the stopped one is gone" sh -c "! kill -0 $STOPPED 2>/dev/null"
kill -0 "$STOPPED" 2>/dev/null || STOPPED=
out=$(j6 apply 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q "nothing to do" <<<"$out"; then ok "... and apply has nothing left to do"; else nok "apply after the restart" "rc=$rc" "$out"; fi
# ---- a stale pidfile never names the daemon: the supervisor is killed and
# its pid is "reused" by a stranger (the pidfile rewritten to name a sleep
# with the dead supervisor's start time and executable, or as a plain pid):
# status and apply see the daemon gone, destroy never signals the stranger
A_PIDF=$T/state/run/tunnel/t6.pid
read -r sup_pid sup_start sup_exe <"$A_PIDF"
kill -KILL "$sup_pid" 2>/dev/null
wait_until 5 sh -c "! kill -0 $sup_pid 2>/dev/null"
sleep 1000 & STRANGER=$!
for form in identity plain; do
	if [ $form = identity ]; then echo "$STRANGER $sup_start $sup_exe" >"$A_PIDF"; else echo "$STRANGER" >"$A_PIDF"; fi
	out=$(j6 status 2>&1); rc=$?
	if [ $rc -eq 3 ] && grep -q "daemon NOT running" <<<"$out"; then ok "stale pidfile ($form): status says the daemon is not running (exit 3)"; else nok "stale pidfile ($form): status" "rc=$rc" "$out"; fi
	out=$(j6 apply -n 2>&1); rc=$?
	if [ $rc -eq 0 ] && ! grep -q "nothing to do" <<<"$out"; then ok "stale pidfile ($form): apply would restart the datapath"; else nok "stale pidfile ($form): apply -n" "rc=$rc" "$out"; fi
done
out=$(j6 destroy 2>&1); rc=$?
if [ $rc -eq 0 ] && kill -0 "$STRANGER" 2>/dev/null; then ok "destroy leaves the stranger named by the stale pidfile alone"; else nok "destroy leaves the stranger alone" "rc=$rc" "$out"; fi
kill -KILL "$STRANGER" 2>/dev/null; wait "$STRANGER" 2>/dev/null
# (pgrep from this shell: in a `sh -c` it would find that sh's own line)
a_gone() { [ ! -e "$T/state/run/tunnel/t6.pid" ] && ! pgrep -f -- "--runtime-dir $R tunnel run t6" >/dev/null; }
if [ $rc -eq 0 ] && a_gone; then ok "destroy stops apply's datapath"; else nok "destroy stops apply's datapath" "rc=$rc" "$out" "$(pgrep -af -- "--runtime-dir $R tunnel run t6")"; fi

# ---- liveness: when a packet last came from the remote ("never" before
# any), a keepalive (echo requests to the peer, counted with their replies),
# and a datapath that stops rewriting its stats is drift until it moves again
conf 1480
out=$(j6 apply 2>&1); rc=$?
if [ $rc -eq 0 ]; then ok "liveness: apply makes a's tunnel again"; else nok "liveness: apply" "rc=$rc" "$out"; fi
wait_until 5 test -s "$A_DP_STATS"
lv() { j6 status --json 2>/dev/null | jq -r ".tunnels[0].liveness.$1"; }
out=$(j6 status 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q "datapath alive (stats [0-9]* s old), last packet from the remote: never" <<<"$out" && [ "$(lv last_rx)" = null ]; then ok "... status: datapath alive, last packet from the remote: never"; else nok "status before traffic" "rc=$rc" "$out"; fi
t0=$(date +%s)
check "... ping6 a -> b" N a ping -6 -c 1 -W 2 2001:db8:ffff::2
rx_after() { local v; v=$(lv last_rx); [ "$v" != null ] && [ -n "$v" ] && [ "$v" -ge "$1" ]; }
if wait_until 5 rx_after "$t0"; then ok "... after a ping: the last packet from the remote is the reply's (json last_rx)"; else nok "last_rx after a ping" "$(j6 status --json 2>&1)"; fi
check "... and the text says how long ago" grep -qE "last packet from the remote [0-9]+ s ago" <<<"$(j6 status 2>&1)"
# keepalive = 1: apply restarts the datapath with it; b's stack answers
ka_conf() { conf 1480; sed -i "s/^\tmtu = 1480;/\tmtu = 1480;\n\tkeepalive = $1;/" "$C"; }
ka_conf 1
out=$(j6 apply 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q "t6: change 6in4 tunnel.* keepalive 1 s: restart the datapath: its keepalive changes" <<<"$out"; then ok "keepalive = 1: apply restarts the datapath with it"; else nok "keepalive: apply" "rc=$rc" "$out"; fi
e0=$(in_echos)
ka_grew() { grew "$A_DP_STATS" .keepalive_sent 0 3 && grew "$A_DP_STATS" .keepalive_replies 0 3; }
if wait_until 10 ka_grew; then ok "... echo requests sent and replies counted grow (3 each)"; else nok "keepalive counts" "stats $(cat "$A_DP_STATS")" "$(tail -5 "$T"/state/run/tunnel/t6.log)"; fi
check "... b's stack received them" echos_ge $((e0 + 3))
s1=$(js "$A_DP_STATS" .keepalive_sent) r1=$(js "$A_DP_STATS" .keepalive_replies)
if wait_until 10 sh -c "[ \$(jq .keepalive_sent '$A_DP_STATS') -gt $s1 ] && [ \$(jq .keepalive_replies '$A_DP_STATS') -gt $r1 ]"; then ok "... and go on growing"; else nok "keepalive goes on" "stats $(cat "$A_DP_STATS")"; fi
out=$(j6 status 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -qE "keepalive every 1 s: [0-9]+ sent, [0-9]+ replies" <<<"$out" && grep -q "in sync" <<<"$out"; then ok "... status: in sync, with the keepalive's counts"; else nok "status with a keepalive" "rc=$rc" "$out"; fi
check "... status --json: liveness.keepalive" test "$(j6 status --json | jq -r '.tunnels[0].liveness.keepalive | "\(.interval) \(.sent > 0) \(.replies > 0)"')" = "1 true true"
out=$(j6 apply 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q "nothing to do" <<<"$out"; then ok "... the next apply has nothing to do"; else nok "apply with a keepalive running" "rc=$rc" "$out"; fi
# a stopped datapath: its stats age; after 5 s status says drift, naming it
STOPPED=$(js "$A_DP_STATS" .pid)
kill -STOP "$STOPPED"
stale_drift() { local o; o=$(j6 status 2>&1); [ $? -eq 3 ] && grep -q "datapath STALE" <<<"$o" && grep -q "t6: change 6in4 tunnel.*: restart the datapath: its stats are stale" <<<"$o"; }
if wait_until 15 stale_drift; then ok "SIGSTOP the datapath: status says drift (exit 3), naming the stale datapath"; else nok "stopped datapath: drift" "$(j6 status 2>&1)"; fi
check "... status --json: liveness.datapath stale, in_sync false" test "$(j6 status --json | jq -r '"\(.tunnels[0].liveness.datapath) \(.in_sync)"')" = "stale false"
kill -CONT "$STOPPED"
in_sync() { j6 status >/dev/null 2>&1; }
if wait_until 10 in_sync; then ok "SIGCONT: in sync again"; else nok "after SIGCONT" "$(j6 status 2>&1)"; fi
check "... the same datapath process" test "$(js "$A_DP_STATS" .pid)" = "$STOPPED"
STOPPED=
out=$(j6 destroy 2>&1); rc=$?
if [ $rc -eq 0 ] && a_gone; then ok "liveness: destroy stops the datapath"; else nok "liveness: destroy" "rc=$rc" "$out"; fi

# ---- datapath = ebpf: the same checks through tc BPF programs. b runs it
# by hand (supervised), a as apply makes it (a TUN device with MTU 1480,
# whose kernel answers Packet Too Big); a's programs, maps, filters, TUN
# and routes are gone after destroy, also after a kill -9.
kver=$(uname -r)
kmaj=${kver%%.*} kmin=${kver#*.}; kmin=${kmin%%[!0-9]*}
if [ "$kmaj" -lt 6 ] || { [ "$kmaj" -eq 6 ] && [ "$kmin" -lt 3 ]; }; then
	echo "skip t_tunnel:ebpf this kernel ($kver) lacks BPF_F_ADJ_ROOM_DECAP_L3_IPV6 (Linux 6.3)"
	exit 0
fi
command -v bpftool >/dev/null || { nok "ebpf: bpftool missing (scripts/deps installs it)"; exit 0; }
# the decapsulator's verdicts, frame by frame, also on what no sender can
# put on the wire (a wrong header checksum, IHL 4): drv_ebpf's own lines
if [ -x "$BUILD/tests/drv_ebpf" ]; then N c "$BUILD/tests/drv_ebpf"; else nok "ebpf: $BUILD/tests/drv_ebpf missing (make drivers)"; fi
kill -TERM "$(pid_of "$T/b.pid")" 2>/dev/null
wait_until 5 test ! -e "$T/b.pid"
BE_STATS=$T/be.stats
# the programs (ids) on a link's hook, as tc shows them
prog_ids() { N "$1" tc filter show dev "$2" "$3" 2>/dev/null | sed -n 's/.* id \([0-9]*\) .*/\1/p'; }
map_ids() { local p; for p in "$@"; do bpftool prog show id "$p" --json 2>/dev/null | jq -r '.map_ids[]?'; done; }
all_freed() { local i; for i in $1; do bpftool prog show id "$i" >/dev/null 2>&1 && return 1; done; for i in $2; do bpftool map show id "$i" >/dev/null 2>&1 && return 1; done; return 0; }
# the outer TTL on the wire: the switch counts b's protocol-41 packets with TTL 33
N s nft add table bridge j6t && N s nft add chain bridge j6t pass '{ type filter hook forward priority 0; }' &&
	N s nft add rule bridge j6t pass ip saddr 198.51.100.2 ip protocol 41 ip ttl 33 counter
ttl33() { N s nft list chain bridge j6t pass | sed -n 's/.*counter packets \([0-9]*\).*/\1/p'; }
out=$("$BIN" --runtime-dir "$R" --host-netns b tunnel run t6 --datapath ebpf --local auto --remote 198.51.100.1 --ttl 33 \
	--supervise --pidfile "$T/be.pid" --stats "$BE_STATS" --log "$T/be.log" 2>&1); rc=$?
if [ $rc -eq 0 ] && wait_until 10 test "$(js "$BE_STATS" .datapath)" = ebpf; then ok "ebpf: b's supervised eBPF datapath writes its stats"; else nok "ebpf: b starts" "rc=$rc" "$out" "$(cat "$T/be.log" 2>/dev/null)"; fi
check "ebpf: b's TUN MTU 1500 lowered to the tunnel MTU 1480 (the kernel answers what is bigger)" wait_until 5 sh -c "nsenter --net=$R/b ip link show t6 | grep -q 'mtu 1480 '"
check "ebpf: b's stats name the underlay eth0 and local 198.51.100.2" test "$(js "$BE_STATS" '[.underlay,.local] | join(" ")')" = "eth0 198.51.100.2"
check "ebpf: one decapsulator on b's eth0 ingress, one encapsulator on t6 egress" test "$(prog_ids b eth0 ingress | wc -l) $(prog_ids b t6 egress | wc -l)" = "1 1"
conf_ebpf() { conf "$1"; sed -i 's/datapath = userspace;/datapath = ebpf;/' "$C"; }
conf_ebpf 1480
out=$(j6 apply 2>&1); rc=$?
if [ $rc -eq 0 ] && wait_until 10 test "$(js "$A_DP_STATS" .datapath)" = ebpf; then ok "ebpf: apply (datapath = ebpf) starts a's eBPF datapath"; else nok "ebpf: apply" "rc=$rc" "$out" "$(cat "$T"/state/run/tunnel/t6.log 2>/dev/null)" "stats: $(cat "$A_DP_STATS" 2>&1)"; fi
out=$(j6 status 2>&1)
if grep -q "ebpf datapath" <<<"$out" && grep -q "underlay eth0" <<<"$out"; then ok "ebpf: status names the ebpf datapath and its underlay"; else nok "ebpf: status" "$out"; fi
out=$(j6 apply 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q "nothing to do" <<<"$out"; then ok "ebpf: the next apply has nothing to do"; else nok "ebpf: apply again" "rc=$rc" "$out"; fi
# the config's mtu reaches the running eBPF datapath as the userspace one's
dp=$(js "$A_DP_STATS" .pid)
conf_ebpf 1400
out=$(j6 apply 2>&1); rc=$?
if [ $rc -eq 0 ] && [ "$(js "$A_DP_STATS" .mtu)" = 1400 ] && [ "$(js "$A_DP_STATS" .pid)" = "$dp" ]; then ok "ebpf: mtu 1480 -> 1400: when apply returns, the same datapath says mtu 1400"; else nok "ebpf: mtu 1400" "rc=$rc" "$out" "stats $(cat "$A_DP_STATS")"; fi
N j ip -6 route flush cache 2>/dev/null
check "ebpf: ... a 1400-byte packet passes" wait_until 5 sh -c "nsenter --net=$R/j ping -6 -c 1 -W 1 -s 1352 -M do 2001:db8:ffff::2 | grep -q ' 0% packet loss'"
out=$(big_ping 1401)
if ptb_names 1400 "$out"; then ok "ebpf: ... 1401 bytes: Packet Too Big with mtu 1400"; else nok "ebpf: 1401 bytes" "$out"; fi
conf_ebpf 1480
out=$(j6 apply 2>&1); rc=$?
check "ebpf: ... and back to 1480" test $rc -eq 0 -a "$(js "$A_DP_STATS" .mtu)" = 1480
N j ip -6 route flush cache 2>/dev/null
if wait_until 5 N j ping -6 -c 1 -W 1 2001:db8:ffff::2 >/dev/null; then ok "ebpf: ping6 from the jail through the tunnel"; else nok "ebpf: ping6 from the jail" "$(tail -5 "$T"/state/run/tunnel/t6.log)" "$(tail -5 "$T/be.log")"; fi
out=$(N j ping -6 -c 3 -i 0.2 -W 2 2001:db8:ffff::2 2>&1)
check "ebpf: 3 more, no loss" grep -q " 0% packet loss" <<<"$out"
fresh "$A_DP_STATS" "$BE_STATS"
check "ebpf: a counts what it encapsulated (tx >= 4)" test "$(js "$A_DP_STATS" .tx_packets)" -ge 4
check "ebpf: b counts what it decapsulated (rx >= 4)" test "$(js "$BE_STATS" .rx_packets)" -ge 4
check "ebpf: b's encapsulated packets carry its TTL 33 (>= 4 seen by the switch)" test "$(ttl33)" -ge 4

ingress "$BE_STATS" "ebpf: "
malformed "$BE_STATS" "ebpf: "

# MTU: a's kernel answers Packet Too Big (the TUN link has the tunnel MTU)
ptbs() { N a awk '$1 == "Icmp6OutPktTooBigs" { print $2 }' /proc/net/snmp6; }
# (the jail remembers the 1300 of the MTU checks above)
N j ip -6 route flush cache 2>/dev/null
out=$(big_ping 1480)
if grep -q " 0% packet loss" <<<"$out"; then ok "ebpf: a 1480-byte packet passes"; else nok "ebpf: 1480 bytes" "$out"; fi
p0=$(ptbs)
out=$(big_ping 1481)
if ptb_names 1480 "$out"; then ok "ebpf: 1481 bytes: Packet Too Big with mtu 1480"; else nok "ebpf: 1481 bytes: Packet Too Big" "$out"; fi
check "ebpf: ... sent by a's kernel" test "$(ptbs)" -gt "$p0"
out=$(N a ping -6 -c 1 -W 2 -s 1433 -M do 2001:db8:ffff::2 2>&1)
if ptb_names 1480 "$out"; then ok "ebpf: a's own 1481-byte packet: refused with mtu 1480"; else nok "ebpf: local 1481 bytes" "$out"; fi
# b's TUN link has MTU 1480 now: it would announce MSS 1420, and no
# segment would need PMTU discovery; announce 1440, as a 1500-MTU host would
N b ip -6 route replace 2001:db8:1::/64 via 2001:db8:ffff::1 dev t6 advmss 1440
N j ip -6 route flush cache 2>/dev/null
p0=$(ptbs)
N b timeout 30 iperf3 -s -1 -B 2001:db8:ffff::2 >/dev/null 2>&1 & IPERF=$!
wait_until 5 sh -c "nsenter --net=$R/b ss -ltn | grep -q 5201"
out=$(N j timeout 20 iperf3 -c 2001:db8:ffff::2 -n 4M 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q receiver <<<"$out"; then ok "ebpf: a 4 MB TCP transfer from the jail completes"; else nok "ebpf: TCP transfer" "rc=$rc" "$out"; fi
check "ebpf: ... after Packet Too Big (PMTU discovery)" test "$(ptbs)" -gt "$p0"
wait "$IPERF" 2>/dev/null; IPERF=
fresh "$A_DP_STATS" "$BE_STATS"
check "ebpf: no drops but the crafted ones" test "$(js "$A_DP_STATS" '[.drops[]] | add')" -eq 0 -a "$(js "$BE_STATS" '.drops.too_big + .drops.send + .drops.tun_write + .drops.bad_header')" -eq 0

# supervision: kill -9 b's datapath; the new one replaces the filters
child=$(js "$BE_STATS" .pid) rx0=$(js "$BE_STATS" .rx_packets)
kill -KILL "$child"
restarted() { local p; p=$(js "$BE_STATS" .pid); [ -n "$p" ] && [ "$p" != "$child" ] && [ "$(js "$BE_STATS" .restarts)" -ge 1 ] && [ -d "/proc/$p" ]; }
if wait_until 10 restarted; then ok "ebpf: killed datapath restarted"; else nok "ebpf: restarted" "$(tail -5 "$T/be.log")"; fi
if wait_until 10 N a ping -6 -c 1 -W 1 2001:db8:ffff::2 >/dev/null; then ok "ebpf: ping resumes after the restart"; else nok "ebpf: ping resumes"; fi
check "ebpf: still one filter on each hook of b" test "$(prog_ids b eth0 ingress | wc -l) $(prog_ids b t6 egress | wc -l)" = "1 1"
check "ebpf: counters carry over the restart" test "$(js "$BE_STATS" .rx_packets)" -ge "$rx0"
check "ebpf: b decapsulates in BPF (this kernel can)" test "$(js "$BE_STATS" .decap)" = ebpf

# a kernel that cannot decapsulate in BPF (before 6.3; the test build
# pretends it): b's eBPF datapath encapsulates, its userspace loop
# decapsulates, with the same checks and counters
kill -TERM "$(pid_of "$T/be.pid")" 2>/dev/null
wait_until 5 test ! -e "$T/be.pid"
out=$(JAIL6_TEST_EBPF_DECAP=0 "$JAIL6_TEST" --runtime-dir "$R" --host-netns b tunnel run t6 --datapath ebpf --local auto \
	--remote 198.51.100.1 --supervise --pidfile "$T/be.pid" --stats "$BE_STATS" --log "$T/be.log" 2>&1); rc=$?
if [ $rc -eq 0 ] && wait_until 10 test "$(js "$BE_STATS" .decap)" = userspace; then ok "ebpf, no BPF decapsulation: the stats say decap userspace"; else nok "ebpf without BPF decap" "rc=$rc" "$out" "$(tail -5 "$T/be.log")"; fi
check "... no decapsulator on b's eth0, the encapsulator on t6" test "$(prog_ids b eth0 ingress | wc -l) $(prog_ids b t6 egress | wc -l)" = "0 1"
check "... ping6 from the jail through the tunnel" wait_until 5 N j ping -6 -c 1 -W 1 2001:db8:ffff::2
e0=$(in_echos); ws0=$(js "$BE_STATS" .drops.wrong_source) v0=$(js "$BE_STATS" .drops.not_ipv6)
N c "$DRV" 198.51.100.3 198.51.100.2 ping6 5
N c "$DRV" 198.51.100.1 198.51.100.2 garbage 20
counted "$BE_STATS" .drops.wrong_source "$ws0" 5
counted "$BE_STATS" .drops.not_ipv6 "$v0" 20
fresh "$BE_STATS"
check "... spoofed: counted (wrong_source +5), never delivered" test $(($(js "$BE_STATS" .drops.wrong_source) - ws0)) -eq 5 -a "$(in_echos)" -eq "$e0"
check "... garbage: counted (not_ipv6 +20)" test $(($(js "$BE_STATS" .drops.not_ipv6) - v0)) -eq 20
kill -TERM "$(pid_of "$T/be.pid")" 2>/dev/null
wait_until 5 test ! -e "$T/be.pid"
"$BIN" --runtime-dir "$R" --host-netns b tunnel run t6 --datapath ebpf --local auto --remote 198.51.100.1 \
	--supervise --pidfile "$T/be.pid" --stats "$BE_STATS" --log "$T/be.log" >/dev/null 2>&1
check "b back to BPF decapsulation" wait_until 10 test "$(js "$BE_STATS" .decap)" = ebpf

# the other datapath on the same TUN device: apply switches a to userspace and back
conf 1480
out=$(j6 apply 2>&1); rc=$?
if [ $rc -eq 0 ] && wait_until 10 test "$(js "$A_DP_STATS" .datapath)" = userspace; then ok "ebpf -> userspace: apply restarts a's datapath as the userspace one"; else nok "ebpf -> userspace" "rc=$rc" "$out"; fi
check "... which left no filter on a's t6 and eth0" test -z "$(prog_ids a t6 egress)$(prog_ids a eth0 ingress)"
check "... and the tunnel works" wait_until 5 N j ping -6 -c 1 -W 1 2001:db8:ffff::2
# a narrower IPv4 path: a's userspace datapath lets IPv4 fragment its
# packets; b's decapsulator leaves the fragments to the kernel, which
# reassembles them for b's raw socket (b's own answers, 1468 bytes with no
# fragmentation in BPF, do not fit the path: one direction only)
N a ip link set eth0 mtu 1400 && N b ip link set eth0 mtu 1400
r0=$(reasm) e0=$(in_echos)
N a ping -6 -c 2 -i 0.3 -W 1 -s 1400 -M do 2001:db8:ffff::2 >/dev/null 2>&1
check "ebpf: outer fragments: b reassembles and decapsulates them" test "$(reasm)" -ge $((r0 + 2)) -a "$(in_echos)" -ge $((e0 + 2))
# and b's own big packets: the encapsulator does not fragment; it counts
# them as too_big, and the datapath says which mtu the underlay carries
check "ebpf: b's log names the underlay's MTU 1400 and the tunnel mtu to use" \
	wait_until 5 grep -q "underlay eth0 has MTU 1400: .* mtu = 1380" "$T/be.log"
tb0=$(js "$BE_STATS" .drops.too_big)
N b ping -6 -c 2 -i 0.3 -W 1 -s 1400 -M do 2001:db8:ffff::1 >/dev/null 2>&1
counted "$BE_STATS" .drops.too_big "$tb0" 2
check "ebpf: ... b's 1448-byte packets counted as too_big, not lost unseen" grew "$BE_STATS" .drops.too_big "$tb0" 2
N a ip link set eth0 mtu 1500 && N b ip link set eth0 mtu 1500
conf_ebpf 1480
out=$(j6 apply 2>&1); rc=$?
if [ $rc -eq 0 ] && wait_until 10 test "$(js "$A_DP_STATS" .datapath)" = ebpf; then ok "userspace -> ebpf: and back"; else nok "userspace -> ebpf" "rc=$rc" "$out"; fi
check "... and the tunnel works" wait_until 5 N j ping -6 -c 1 -W 1 2001:db8:ffff::2
# the keepalive from the eBPF datapath's process: its echo requests leave
# through the encapsulator, the replies come back through the decapsulator
conf_ebpf 1480
sed -i "s/^\tmtu = 1480;/\tmtu = 1480;\n\tkeepalive = 1;/" "$C"
out=$(j6 apply 2>&1); rc=$?
if [ $rc -eq 0 ] && wait_until 10 ka_grew; then ok "ebpf: keepalive = 1: requests sent and replies counted grow (3 each)"; else nok "ebpf: keepalive" "rc=$rc" "$out" "stats $(cat "$A_DP_STATS")"; fi
out=$(j6 status 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -qE "datapath alive .*last packet from the remote [0-9]+ s ago, keepalive every 1 s" <<<"$out"; then ok "ebpf: ... status: in sync, alive, the last packet and the keepalive"; else nok "ebpf: status with a keepalive" "rc=$rc" "$out"; fi

# destroy leaves nothing: programs, maps, filters, clsact, TUN, routes
a_progs=$(prog_ids a t6 egress; prog_ids a eth0 ingress)
a_maps=$(map_ids $a_progs | sort -u)
check "ebpf: a's two programs and their maps are known" test "$(wc -w <<<"$a_progs")" -eq 2 -a -n "$a_maps"
out=$(j6 destroy 2>&1); rc=$?
if [ $rc -eq 0 ] && wait_until 5 all_freed "$a_progs" "$a_maps"; then ok "ebpf: destroy: a's programs and maps are freed"; else nok "ebpf: destroy frees programs and maps" "rc=$rc" "$out" "progs $a_progs maps $a_maps" "$(bpftool prog show 2>&1 | grep -A1 j6_)"; fi
check "ebpf: ... no TUN device, no clsact qdisc, no route via t6 in a" test -z "$(N a ip link show t6 2>/dev/null)$(N a tc qdisc show | grep clsact)$(N a ip -6 route show | grep t6)"
check "ebpf: ... no datapath process of a" a_gone
# killed outright (supervisor stopped, datapath SIGKILLed): its filters
# stay attached until destroy removes them, as the stats file says
# (datapath = auto: no sit here, so the eBPF datapath, whose programs load)
conf 1480
sed -i 's/datapath = userspace;/datapath = auto;/' "$C"
out=$(j6 apply 2>&1); rc=$?
if [ $rc -eq 0 ] && wait_until 10 test "$(js "$A_DP_STATS" .datapath)" = ebpf; then ok "ebpf: datapath = auto on a kernel without sit: the eBPF datapath"; else nok "ebpf: datapath = auto" "rc=$rc" "$out" "$(tail -3 "$T"/state/run/tunnel/t6.log)" "stats: $(cat "$A_DP_STATS" 2>&1)"; fi
check "... ping6 from the jail" wait_until 5 N j ping -6 -c 1 -W 1 2001:db8:ffff::2
wait_until 5 test -n "$(prog_ids a eth0 ingress)"
a_progs=$(prog_ids a t6 egress; prog_ids a eth0 ingress)
a_maps=$(map_ids $a_progs | sort -u)
read -r sup_pid _ <"$A_PIDF"
child=$(js "$A_DP_STATS" .pid)
STOPPED=$sup_pid
kill -STOP "$sup_pid" && kill -KILL "$child"
wait_until 5 sh -c "! kill -0 $child 2>/dev/null"
check "ebpf: a datapath killed outright leaves its filters attached" test -n "$(prog_ids a eth0 ingress)"
out=$(j6 destroy 2>&1); rc=$?
kill -0 "$STOPPED" 2>/dev/null || STOPPED=
if [ $rc -eq 0 ] && wait_until 5 all_freed "$a_progs" "$a_maps"; then ok "ebpf: ... destroy removes them: programs and maps freed"; else nok "ebpf: destroy after kill -9" "rc=$rc" "$out" "$(N a tc filter show dev eth0 ingress)"; fi
check "ebpf: ... no clsact qdisc or TUN device left in a" test -z "$(N a tc qdisc show | grep clsact)$(N a ip link show t6 2>/dev/null)"
# two tunnels on one underlay: b's second one (toward c) shares eth0's
# clsact qdisc, which b's first one created; each stop removes only its own
N b ip tuntap add dev t7 mode tun && N b ip link set t7 up
out=$("$BIN" --runtime-dir "$R" --host-netns b tunnel run t7 --datapath ebpf --local 198.51.100.2 --remote 198.51.100.3 \
	--supervise --pidfile "$T/b7.pid" --stats "$T/b7.stats" --log "$T/b7.log" 2>&1); rc=$?
if [ $rc -eq 0 ] && wait_until 10 test "$(js "$T/b7.stats" .underlay)" = eth0; then ok "ebpf: b's second tunnel on the same underlay"; else nok "ebpf: second tunnel" "rc=$rc" "$out" "$(cat "$T/b7.log" 2>/dev/null)"; fi
check "ebpf: ... two decapsulators on b's eth0" test "$(prog_ids b eth0 ingress | wc -l)" -eq 2
kill -TERM "$(pid_of "$T/be.pid")" 2>/dev/null
wait_until 5 test ! -e "$T/be.pid"
check "ebpf: the first one stopped: the second's decapsulator stays" test "$(prog_ids b eth0 ingress | wc -l)" -eq 1
kill -TERM "$(pid_of "$T/b7.pid")" 2>/dev/null
wait_until 5 test ! -e "$T/b7.pid"
check "ebpf: ... and once it stops too, b's eth0 has no filter" test -z "$(prog_ids b eth0 ingress)"
exit 0
