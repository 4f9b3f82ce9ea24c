#!/bin/sh
# /init of the QEMU guest (busybox sh) for the kernel-path test: Debian's
# kernel has sit, so here jail6's datapath = kernel is exercised for real,
# and against the userspace datapath at the other end of the tunnel.
# Two namespaces A and B joined by a veth (198.51.100.1/24, .2/24), with
# TCP and UDP transfers between them (xfer, tests/qemu/xfer.c):
#   A: tunnel he0, datapath = kernel     2001:db8:ffff::1/64, peer ::2
#   B: tunnel he0, datapath = userspace  2001:db8:ffff::2/64, peer ::1
#   C: tunnel he0, datapath = auto (must pick the kernel's sit)
#   then B again with datapath = ebpf: this kernel (before 6.3) cannot
#   decapsulate in BPF, so B encapsulates in tc BPF and decapsulates in
#   userspace, and says so
# Prints "J6TEST ok NAME" / "J6TEST not ok NAME" (details as "J6TEST # ...")
# per check, then "J6TEST done", and powers the guest off.
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t tmpfs -o mode=0755 run /run
mount -t tmpfs -o mode=1777 tmp /tmp
# keep kernel messages off the console the host parses
dmesg -n 1 2>/dev/null
# a guest that hangs still ends, with a line saying so (run.sh also has a timeout)
( sleep "${J6_GUEST_WATCHDOG:-420}"; echo "J6TEST not ok guest watchdog fired"; echo "J6TEST done"; poweroff -f ) &

echo "J6TEST kernel $(uname -r)"
ok() { echo "J6TEST ok $1"; }
nok() {
	n=$1; shift
	echo "J6TEST not ok $n"
	for l in "$@"; do printf '%s\n' "$l" | head -40 | sed 's/^/J6TEST # /'; done
}
# check NAME CMD...: ok when CMD succeeds
check() { n=$1; shift; if "$@" >/tmp/check.out 2>&1; then ok "$n"; else nok "$n" "failed: $*" "$(cat /tmp/check.out)"; fi; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }
# j6 NS ARGS...: jail6 with NS as its host namespace and per-namespace state
j6() { ns=$1; shift; jail6 --host-netns "$ns" -s "/tmp/state-$ns" -f "/etc/jail6/$ns.conf" --lock-timeout 20 "$@"; }
# busybox sh runs its own applets first (standalone shell): iproute2's ip
# must be called by path
ip() { /sbin/ip "$@"; }
not() { ! "$@"; }
X() { ns=$1; shift; ip netns exec "$ns" "$@"; }
# pids of live jail6 processes (the datapath's supervisor, jail6, and its
# child, jail6-datapath)
j6_pids() {
	for p in /proc/[0-9]*; do
		case "$(readlink "$p/exe" 2>/dev/null)" in
		/usr/sbin/jail6 | /usr/sbin/jail6-datapath) echo "${p#/proc/}" ;;
		esac
	done
}
# ping6 from namespace $1 to $2, $TRIES bounded tries (the first packets can
# race the routes settling); extra args go to ping
TRIES=5
ping6_ns() {
	ns=$1 dst=$2; shift 2
	i=0
	while [ $i -lt $TRIES ]; do
		X "$ns" ping -6 -c 1 -W 2 "$@" "$dst" >/tmp/ping.out 2>&1 && return 0
		i=$((i + 1))
	done
	cat /tmp/ping.out
	return 1
}
# has -E|-F PATTERN TEXT: TEXT matches
has() { printf '%s\n' "$3" | grep -q "$1" -e "$2"; }
link_type() { X "$1" cat "/sys/class/net/$2/type" 2>/dev/null; }
# the pid a pidfile names: it holds "PID START EXE" (src/util/proc.h)
pid_of() { [ -f "$1" ] && read -r p _ <"$1" && echo "$p"; }
# stats counter $2 of the userspace tunnel in namespace $1
stat_of() { sed -n "s/.*\"$2\": *\([0-9]*\).*/\1/p" "/tmp/state-$1/run/tunnel/he0.stats" 2>/dev/null; }
# a string of that stats file
stat_str() { sed -n "s/.*\"$2\": *\"\([a-z]*\)\".*/\1/p" "/tmp/state-$1/run/tunnel/he0.stats" 2>/dev/null; }
# links jail6 may leave behind in $1: anything but lo, the test's veth and
# the fallback devices the sit module puts in every namespace (sit0)
stray_links() { ip -n "$1" -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | grep -v -x -e lo -e va -e vb -e sit0; }

t0=$(uptime_s)
# ---- modules
fail=
for m in $(cat /lib/modules/load.list); do
	insmod "/lib/modules/$m.ko" 2>/tmp/insmod.out || fail="$fail $m: $(cat /tmp/insmod.out)"
done
echo "J6TEST # modules: $(tr '\n' ' ' </lib/modules/load.list)"
if [ -z "$fail" ]; then ok "modules for sit, veth, bridge and tun loaded"; else nok "modules for sit, veth, bridge and tun loaded" "$fail"; fi

# ---- the namespaces and their configs
mkdir -p /etc/jail6
for ns in A B C; do ip netns add $ns && ip -n $ns link set lo up; done
ip link add va netns A type veth peer name vb netns B
ip -n A addr add 198.51.100.1/24 dev va && ip -n A link set va up
ip -n B addr add 198.51.100.2/24 dev vb && ip -n B link set vb up
check "veth A-B carries IPv4" X A ping -c 1 -W 2 198.51.100.2

cat >/etc/jail6/A.conf <<'EOF'
tunnel he0 {
	type = 6in4;
	local = 198.51.100.1;
	remote = 198.51.100.2;
	address = 2001:db8:ffff::1/64;
	peer = 2001:db8:ffff::2;
	datapath = kernel;
}
EOF
cat >/etc/jail6/B.conf <<'EOF'
tunnel he0 {
	type = 6in4;
	local = 198.51.100.2;
	remote = 198.51.100.1;
	address = 2001:db8:ffff::2/64;
	peer = 2001:db8:ffff::1;
	datapath = userspace;
}
EOF
cat >/etc/jail6/C.conf <<'EOF'
tunnel he0 {
	type = 6in4;
	local = 198.51.100.3;
	remote = 198.51.100.1;
	address = 2001:db8:fffe::1/64;
	peer = 2001:db8:fffe::2;
	datapath = auto;
}
EOF

# ---- (a) A: datapath = kernel makes a sit link
t=$(uptime_s)
out=$(j6 A apply 2>&1); rc=$?
if [ $rc -eq 0 ]; then ok "A: apply with datapath = kernel"; else nok "A: apply with datapath = kernel" "rc=$rc" "$out"; fi
echo "J6TEST # apply A: $t -> $(uptime_s) s"
check "A: he0 is a sit link (type 776 = ARPHRD_SIT)" test "$(link_type A he0)" = 776
d=$(ip -n A -d link show he0 2>&1)
check "A: ip -d link: sit, remote 198.51.100.2 local 198.51.100.1 ttl 64" \
	has -E "sit( [a-z0-9]+)? remote 198.51.100.2 local 198.51.100.1 ttl 64 " "$d"
check "A: he0 mtu 1480" has -F " mtu 1480 " "$d"
check "A: he0 has 2001:db8:ffff::1/64" has -F "inet6 2001:db8:ffff::1/64" "$(ip -n A -6 -o addr show dev he0 2>&1)"
check "A: default route via 2001:db8:ffff::2 dev he0" has -F "via 2001:db8:ffff::2 dev he0" "$(ip -n A -6 route show default 2>&1)"
check "A: IPv6 forwarding on" test "$(X A cat /proc/sys/net/ipv6/conf/all/forwarding)" = 1
check "A: no jail6 process runs for a kernel tunnel" test -z "$(j6_pids)"
out=$(j6 A apply 2>&1); rc=$?
if [ $rc -eq 0 ] && echo "$out" | grep -q "nothing to do"; then ok "A: second apply changes nothing (sit observed back)"
else nok "A: second apply changes nothing (sit observed back)" "rc=$rc" "$out"; fi
out=$(j6 A status --json 2>&1)
check "A: status --json says datapath kernel" has -E '"datapath": *"kernel"' "$out"

# ---- (b) B: datapath = userspace makes a TUN device and a supervised daemon
t=$(uptime_s)
out=$(j6 B apply 2>&1); rc=$?
if [ $rc -eq 0 ]; then ok "B: apply with datapath = userspace"; else nok "B: apply with datapath = userspace" "rc=$rc" "$out"; fi
echo "J6TEST # apply B: $t -> $(uptime_s) s"
check "B: he0 is a TUN device (type 65534 = ARPHRD_NONE)" test "$(link_type B he0)" = 65534
check "B: ip -d link says tun" has -F "tun type tun" "$(ip -n B -d link show he0 2>&1)"
pid=$(pid_of /tmp/state-B/run/tunnel/he0.pid)
check "B: the pidfile names a live jail6 supervisor" \
	test "$(readlink "/proc/${pid:-none}/exe" 2>/dev/null)" = /usr/sbin/jail6
check "B: default route via 2001:db8:ffff::1 dev he0" has -F "via 2001:db8:ffff::1 dev he0" "$(ip -n B -6 route show default 2>&1)"
out=$(j6 B status --json 2>&1)
check "B: status --json says datapath userspace" has -E '"datapath": *"userspace"' "$out"

# ---- (c) the kernel end and the userspace end interoperate
a_rx0=$(X A cat /sys/class/net/he0/statistics/rx_packets 2>/dev/null || echo 0)
t=$(uptime_s)
check "ping6 A (kernel sit) -> B (userspace)" ping6_ns A 2001:db8:ffff::2
check "ping6 B (userspace) -> A (kernel sit)" ping6_ns B 2001:db8:ffff::1
TRIES=2   # the path is up (or known broken): no more settling time
# 1432 + 8 + 40: IPv6 packets of exactly the tunnel MTU, both ways
check "ping6 A -> B with 1480-byte IPv6 packets" ping6_ns A 2001:db8:ffff::2 -s 1432
check "ping6 B -> A with 1480-byte IPv6 packets" ping6_ns B 2001:db8:ffff::1 -s 1432
# larger ones leave the sender in fragments that fit the tunnel
check "ping6 A -> B with 3000-byte payload (fragmented at the tunnel MTU)" ping6_ns A 2001:db8:ffff::2 -s 3000
echo "J6TEST # pings: $t -> $(uptime_s) s"
a_rx1=$(X A cat /sys/class/net/he0/statistics/rx_packets 2>/dev/null || echo 0)
check "A: sit decapsulated the replies" test "$a_rx1" -gt "$a_rx0"
# the stats file is rewritten about once a second
i=0
while [ $i -lt 4 ] && { [ "$(stat_of B rx_packets)" = "" ] || [ "$(stat_of B rx_packets)" = 0 ]; }; do sleep 1; i=$((i + 1)); done
check "B: daemon counted decapsulated packets" test "$(stat_of B rx_packets)" -gt 0
check "B: daemon counted encapsulated packets" test "$(stat_of B tx_packets)" -gt 0
check "B: daemon dropped nothing from the kernel end" test "$(stat_of B wrong_source)$(stat_of B bad_header)$(stat_of B not_ipv6)" = 000

# ---- (c2) TCP and UDP both ways, kernel sit <-> userspace: A's kernel
# leaves TCP and UDP checksums for offload (sit and the veth keep
# CHECKSUM_PARTIAL), and B's daemon must pass that on through its TUN
# device (or complete them), else B's stack drops every such packet.
# 4 MiB of random data, its sha256 compared at the receiving end; each
# transfer ends within xfer's 20 s deadline.
# snmp_of NS FILE KEY: a counter of /proc/net/snmp (two-line "Tcp:" rows)
# or /proc/net/snmp6 ("Udp6InCsumErrors N") in namespace NS
snmp_of() {
	case $2 in
	snmp) X "$1" awk -v k="$3" '$1 == "Tcp:" { if (!h) { split($0, n); h = 1 } else { for (i in n) if (n[i] == k) print $i } }' /proc/net/snmp ;;
	*) X "$1" awk -v k="$3" '$1 == k { print $2 }' /proc/net/snmp6 ;;
	esac
}
dd if=/dev/urandom of=/tmp/data bs=64k count=64 2>/dev/null
sum0=$(sha256sum </tmp/data | cut -d' ' -f1)
# xfer_check NAME PROTO SRC-NS DST-NS DST-ADDR
xfer_check() {
	name=$1 proto=$2 src=$3 dst=$4 addr=$5
	rm -f /tmp/rx
	X "$dst" xfer recv "$proto" 5001 /tmp/rx 2>/tmp/xfer.recv & rpid=$!
	X "$src" xfer send "$proto" "$addr" 5001 /tmp/data 2>/tmp/xfer.send; src_rc=$?
	wait $rpid; dst_rc=$?
	sum=$(sha256sum </tmp/rx 2>/dev/null | cut -d' ' -f1)
	if [ $src_rc -eq 0 ] && [ $dst_rc -eq 0 ] && [ "$sum" = "$sum0" ]; then
		ok "$name"
	else
		nok "$name" "send rc=$src_rc, recv rc=$dst_rc, $(wc -c </tmp/rx 2>/dev/null || echo 0) of 4194304 bytes arrived" \
			"sha256 sent $sum0" "sha256 got  ${sum:-none}" "$(cat /tmp/xfer.send /tmp/xfer.recv)"
	fi
}
# xfer_all B-DATAPATH: TCP and UDP each way between A (kernel sit) and B,
# then B's TCP and UDP checksum error counters, which must not have grown
xfer_all() {
	t=$(uptime_s)
	b_tcp0=$(snmp_of B snmp InCsumErrors) b_udp0=$(snmp_of B snmp6 Udp6InCsumErrors)
	xfer_check "TCP A (kernel sit) -> B ($1): 4 MiB, same sha256" tcp A B 2001:db8:ffff::2
	xfer_check "TCP B ($1) -> A (kernel sit): 4 MiB, same sha256" tcp B A 2001:db8:ffff::1
	xfer_check "UDP A (kernel sit) -> B ($1): 4 MiB, same sha256" udp A B 2001:db8:ffff::2
	xfer_check "UDP B ($1) -> A (kernel sit): 4 MiB, same sha256" udp B A 2001:db8:ffff::1
	echo "J6TEST # $1 transfers: $t -> $(uptime_s) s"
	b_tcp1=$(snmp_of B snmp InCsumErrors) b_udp1=$(snmp_of B snmp6 Udp6InCsumErrors)
	echo "J6TEST # B: TcpInCsumErrors $b_tcp0 -> $b_tcp1, Udp6InCsumErrors $b_udp0 -> $b_udp1"
	check "B: no TCP or UDP checksum errors in the $1 transfers" test "$b_tcp1" = "$b_tcp0" -a "$b_udp1" = "$b_udp0"
}
xfer_all userspace
check "B: daemon dropped nothing in the transfers" test "$(stat_of B wrong_source)$(stat_of B bad_header)$(stat_of B not_ipv6)$(stat_of B tun_write)" = 0000

# the supervisor restarts a killed datapath and the kernel end talks to it again
sup=$(pid_of /tmp/state-B/run/tunnel/he0.pid)
child=
for p in $(j6_pids); do
	[ "$(cut -d' ' -f4 "/proc/$p/stat" 2>/dev/null)" = "${sup:-none}" ] && child=$p
done
if [ -n "$child" ] && kill -KILL "$child"; then
	i=0
	while [ $i -lt 10 ] && { [ -d "/proc/$child" ] || [ "$(stat_of B restarts)" = "" ] || [ "$(stat_of B restarts)" = 0 ]; }; do
		sleep 1; i=$((i + 1))
	done
	check "B: killed datapath restarted (restarts >= 1)" test "$(stat_of B restarts)" -ge 1
	TRIES=5
	check "ping6 A -> B after the restart" ping6_ns A 2001:db8:ffff::2
else
	nok "B: killed datapath restarted (restarts >= 1)" "no datapath child of supervisor '${sup}' found" "jail6 pids: $(j6_pids | tr '\n' ' ')"
fi

# ---- (c3) B: datapath = ebpf on a kernel without BPF decapsulation: the
# daemon restarts as the eBPF one, whose tc program on he0 encapsulates;
# its userspace loop decapsulates (the fallback), and the stats say so
sed -i 's/datapath = userspace;/datapath = ebpf;/' /etc/jail6/B.conf
out=$(j6 B apply 2>&1); rc=$?
if [ $rc -eq 0 ]; then ok "B: apply with datapath = ebpf"; else nok "B: apply with datapath = ebpf" "rc=$rc" "$out"; fi
i=0
while [ $i -lt 10 ] && [ "$(stat_str B datapath)" != ebpf ]; do sleep 1; i=$((i + 1)); done
echo "J6TEST # B's log: $(tail -3 /tmp/state-B/run/tunnel/he0.log 2>/dev/null | tr '\n' '|')"
check "B: the eBPF datapath runs (stats: datapath ebpf)" test "$(stat_str B datapath)" = ebpf
check "B: decapsulation in userspace on this kernel (stats: decap userspace)" test "$(stat_str B decap)" = userspace
check "B: the encapsulator is attached to he0, no decapsulator to vb" test "$(stat_of B tun)" -gt 0 -a "$(stat_of B underlay)" = 0
out=$(j6 B status --json 2>&1)
check "B: status --json says datapath ebpf" has -E '"datapath": *"ebpf"' "$out"
TRIES=5
check "ping6 A (kernel sit) -> B (ebpf)" ping6_ns A 2001:db8:ffff::2
check "ping6 B (ebpf) -> A (kernel sit)" ping6_ns B 2001:db8:ffff::1
TRIES=2
check "ping6 B -> A with 1480-byte IPv6 packets" ping6_ns B 2001:db8:ffff::1 -s 1432
xfer_all ebpf
sleep 1
check "B: the tc program counted what it encapsulated, userspace what it decapsulated" \
	test "$(stat_of B tx_packets)" -gt 0 -a "$(stat_of B rx_packets)" -gt 0

# ---- (d) C: datapath = auto picks the kernel's sit when it can
out=$(j6 C apply 2>&1); rc=$?
if [ $rc -eq 0 ]; then ok "C: apply with datapath = auto"; else nok "C: apply with datapath = auto" "rc=$rc" "$out"; fi
check "C: auto made a sit link (type 776)" test "$(link_type C he0)" = 776
out=$(j6 C status --json 2>&1)
check "C: status --json says datapath kernel" has -E '"datapath": *"kernel"' "$out"
check "C: no userspace daemon for auto when sit works" test ! -e /tmp/state-C/run/tunnel/he0.pid

# ---- (e) destroy leaves no link, route or process behind
for ns in A B C; do
	out=$(j6 $ns destroy 2>&1); rc=$?
	if [ $rc -eq 0 ]; then ok "$ns: destroy"; else nok "$ns: destroy" "rc=$rc" "$out"; fi
	check "$ns: no link left but lo, the veth and sit0" test -z "$(stray_links $ns)"
	check "$ns: no sit or tun link named he0" not ip -n $ns link show he0
	check "$ns: no IPv6 route left but kernel ones" \
		test -z "$(ip -n $ns -6 route show | grep -v -e '^fe80::/64' -e '^multicast' -e '^local')"
	check "$ns: no IPv4 route left but the veth's" \
		test -z "$(ip -n $ns -4 route show | grep -v -e '^198.51.100.0/24 dev v[ab] ')"
done
i=0
while [ $i -lt 10 ] && [ -n "$(j6_pids)" ]; do sleep 1; i=$((i + 1)); done
check "no jail6 process left" test -z "$(j6_pids)"
# (the daemon's log may stay, for a post-mortem)
check "no pidfile or stats file left" test -z "$(ls /tmp/state-*/run/tunnel/*.pid /tmp/state-*/run/tunnel/*.stats* 2>/dev/null)"

echo "J6TEST # total: $t0 -> $(uptime_s) s after boot"
echo "J6TEST done"
sync
poweroff -f
