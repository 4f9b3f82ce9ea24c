#!/usr/bin/env bash
# Benchmark: jail6's userspace and eBPF 6in4 datapaths (`jail6 tunnel run`)
# against plain IPv6 forwarding through the same namespaces, in the same
# run. Root only.
# Throwaway namespaces bound in a private directory: nothing reaches the
# machine's own namespace or /run/netns.
#
#   j (jail, 2001:db8:1::2) -- a ==== b -- r (remote, 2001:db8:aaaa::2)
#
#   plain:   a and b forward IPv6 over their veth (MTU 1500)
#   tunnel:  a and b run `jail6 tunnel run` (TUN MTU 1480) over IPv4 on it
#   wire:    plain, with segmentation offloads off on the a-b veths, so that
#            packets cross that hop at most 1500 bytes long as on a real wire
#            (a veth otherwise carries 64 KiB GSO packets whole). Context for
#            the ratio, not its baseline: the issue's baseline is plain.
#   jebpf:   a and b run `jail6 tunnel run --datapath ebpf` (TUN t7, MTU
#            1480, endpoints 198.51.100.11 and .12 so that the userspace
#            pair's protocol 41 is not theirs), started for each of its
#            turns and stopped after it; JEBPF=0 leaves it out (it needs
#            Linux 6.3 or later)
#   ebpf:    only with EBPF=1, an experiment (bench/experiments/
#            sixinfour.bpf.c): plain's routes, with a tc BPF program on each
#            end of the a-b veth that wraps IPv6 in IPv4 protocol 41 on
#            egress and unwraps it on ingress, keeping GSO packets whole
#            (bpf_skb_adjust_room). 6in4 done in the kernel, not jail6.
#
# For each: one TCP stream j -> r for DURATION s (iperf3), small UDP packets
# (64-byte payloads, as fast as iperf3 sends them) j -> r, and 200 pings j
# -> r 10 ms apart (p50/p99 RTT); then the daemons' peak RSS (VmHWM, and the
# anonymous part of the current RSS). With REPEAT=N the two paths take turns
# N times and the medians are shown (the daemons run throughout; only the
# routes change between turns). RTT_ONLY=1 measures only the pings (the
# throughput columns read 0), PINGS=N sends N of them (default 200).
#   [REPEAT=N] bench/tunnel.sh [DURATION]      default 10 s, REPEAT=1
# Prints a table and writes bench/results/tunnel.txt (RESULT=FILE: there).
# For experiments (bench/experiments/): JAIL6_BIN runs another jail6 binary,
# TUNNEL_ENV_A / TUNNEL_ENV_B add VAR=VALUE words to each daemon's
# environment; the a-b veths have fixed MACs (a: 02:00:00:00:00:ab, b:
# 02:00:00:00:00:ba) so that such a setting can name them.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "bench/tunnel.sh needs root" >&2; exit 1; }
EBPF=${EBPF:-0}
JEBPF=${JEBPF:-1}
for t in iperf3 jq ping bc ethtool $([ "$EBPF" = 1 ] && echo clang tc); do command -v $t >/dev/null || { echo "bench/tunnel.sh needs $t" >&2; exit 1; }; done
DURATION=${1:-10}
REPEAT=${REPEAT:-1}
RTT_ONLY=${RTT_ONLY:-0}
PINGS=${PINGS:-200}
PING_INTERVAL=${PING_INTERVAL:-0.01}
BIN=${JAIL6_BIN:-$PWD/build/jail6}
RESULT=${RESULT:-bench/results/tunnel.txt}
[ -x "$BIN" ] || make -s
T=$(mktemp -d /tmp/jail6-bench-tunnel.XXXXXX)
R=$T/netns
mkdir -p "$R" bench/results
PIDS=()
cleanup() {
	set +e
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do timeout 5 tail --pid="$p" -f /dev/null 2>/dev/null; kill -KILL "$p" 2>/dev/null; done
	for n in j a b r; do [ -e "$R/$n" ] && umount -l "$R/$n"; done
	rm -rf "$T"
}
trap cleanup EXIT
N() { local n=$1; shift; nsenter -F --net="$R/$n" "$@"; }

for n in j a b r; do
	touch "$R/$n" && unshare --net="$R/$n" true
	N $n ip link set lo up
done
N j ip link add ja type veth peer name aj netns "$R/a"
N a ip link add ab type veth peer name ba netns "$R/b"
N b ip link add br0x type veth peer name rb netns "$R/r"
N a ip link set ab address 02:00:00:00:00:ab
N b ip link set ba address 02:00:00:00:00:ba
for x in "j ja" "a aj" "a ab" "b ba" "b br0x" "r rb"; do set -- $x; N $1 ip link set $2 up; done
for n in a b; do N $n sysctl -qw net.ipv6.conf.all.forwarding=1; done
N j ip addr add 2001:db8:1::2/64 dev ja nodad
N a ip addr add 2001:db8:1::1/64 dev aj nodad
N b ip addr add 2001:db8:aaaa::1/64 dev br0x nodad
N r ip addr add 2001:db8:aaaa::2/64 dev rb nodad
N j ip route add default via 2001:db8:1::1
N r ip route add default via 2001:db8:aaaa::1
N a ip addr add 198.51.100.1/24 dev ab
N b ip addr add 198.51.100.2/24 dev ba
N a ip addr add 198.51.100.11/24 dev ab
N b ip addr add 198.51.100.12/24 dev ba

# the plain path: IPv6 straight over the a-b veth
N a ip addr add 2001:db8:eeee::1/64 dev ab nodad
N b ip addr add 2001:db8:eeee::2/64 dev ba nodad
plain_routes() {
	N a ip -6 route $1 default via 2001:db8:eeee::2 dev ab
	N b ip -6 route $1 2001:db8:1::/64 via 2001:db8:eeee::1 dev ba
}
tunnel_routes() {
	N a ip -6 route $1 default via 2001:db8:ffff::2 dev t6
	N b ip -6 route $1 2001:db8:1::/64 via 2001:db8:ffff::1 dev t6
}
# the experiment's objects: one per end, its own and the peer's address
if [ "$EBPF" = 1 ]; then
	for e in "a 0x016433c6 0x026433c6" "b 0x026433c6 0x016433c6"; do
		set -- $e
		clang -O2 -target bpf -I/usr/include/"$(gcc -dumpmachine)" -DLOCAL=$2 -DREMOTE=$3 \
			-c bench/experiments/sixinfour.bpf.c -o "$T/6in4-$1.o"
	done
fi
ebpf_filters() {
	local n dev
	for n in a b; do
		dev=$([ $n = a ] && echo ab || echo ba)
		if [ "$1" = add ]; then
			# the tunnel's MTU, as a sit device would have it: larger
			# packets get Packet Too Big instead of 1520-byte frames
			if [ $n = a ]; then
				N a ip -6 route replace default via 2001:db8:eeee::2 dev ab mtu 1480
			else
				N b ip -6 route replace 2001:db8:1::/64 via 2001:db8:eeee::1 dev ba mtu 1480
			fi
			N $n tc qdisc add dev $dev clsact
			N $n tc filter add dev $dev egress bpf da obj "$T/6in4-$n.o" sec encap
			N $n tc filter add dev $dev ingress bpf da obj "$T/6in4-$n.o" sec decap
		else
			N $n tc qdisc del dev $dev clsact
			if [ $n = a ]; then
				N a ip -6 route replace default via 2001:db8:eeee::2 dev ab
			else
				N b ip -6 route replace 2001:db8:1::/64 via 2001:db8:eeee::1 dev ba
			fi
		fi
	done
}
wire_offloads() {
	N a ethtool -K ab tso $1 gso $1
	N b ethtool -K ba tso $1 gso $1
}
# the tunnel: a jail6 datapath at each end (TUN MTU 1480, as apply sets it)
env ${TUNNEL_ENV_A:-} "$BIN" --runtime-dir "$R" --host-netns a tunnel run t6 --local 198.51.100.1 --remote 198.51.100.2 \
	--stats "$T/a.stats" 2>"$T/a.log" &
PIDS+=($!); A_DP=$!
env ${TUNNEL_ENV_B:-} "$BIN" --runtime-dir "$R" --host-netns b tunnel run t6 --local 198.51.100.2 --remote 198.51.100.1 \
	--stats "$T/b.stats" 2>"$T/b.log" &
PIDS+=($!); B_DP=$!
for _ in $(seq 50); do N a ip link show t6 >/dev/null 2>&1 && N b ip link show t6 >/dev/null 2>&1 && break; sleep 0.1; done
N a ip addr add 2001:db8:ffff::1/64 dev t6 nodad
N b ip addr add 2001:db8:ffff::2/64 dev t6 nodad

# jail6's eBPF datapath at each end, in the foreground (each creates its
# TUN device t7, gone with it), for one turn: jebpf up | down
JE_A= JE_B=
jebpf() {
	local p
	if [ "$1" = up ]; then
		"$BIN" --runtime-dir "$R" --host-netns a tunnel run t7 --datapath ebpf --local 198.51.100.11 \
			--remote 198.51.100.12 --stats "$T/ja.stats" 2>>"$T/ja.log" &
		JE_A=$!; PIDS+=($JE_A)
		"$BIN" --runtime-dir "$R" --host-netns b tunnel run t7 --datapath ebpf --local 198.51.100.12 \
			--remote 198.51.100.11 --stats "$T/jb.stats" 2>>"$T/jb.log" &
		JE_B=$!; PIDS+=($JE_B)
		for _ in $(seq 100); do
			[ "$(jq -r .pid "$T/ja.stats" 2>/dev/null)" = $JE_A ] && [ "$(jq -r .pid "$T/jb.stats" 2>/dev/null)" = $JE_B ] && break
			sleep 0.1
		done
		N a ip addr add 2001:db8:fffe::1/64 dev t7 nodad
		N b ip addr add 2001:db8:fffe::2/64 dev t7 nodad
		N a ip -6 route add default via 2001:db8:fffe::2 dev t7
		N b ip -6 route add 2001:db8:1::/64 via 2001:db8:fffe::1 dev t7
	else
		# the memory of the last turn's datapaths, then stop them
		rss_ja=$(awk '/VmHWM/ { print $2 }' "/proc/$JE_A/status") rss_jb=$(awk '/VmHWM/ { print $2 }' "/proc/$JE_B/status")
		kill -TERM $JE_A $JE_B
		for p in $JE_A $JE_B; do timeout 5 tail --pid="$p" -f /dev/null; done
		drops_je=$(jq -r '[.drops[]] | add' "$T/ja.stats" "$T/jb.stats" | paste -sd+ | bc)
	fi
}

# run_set: the three measurements j -> r; prints "gbps pps p50 p99"
run_set() {
	local js gbps=0 pps=0 rtts n p50 p99
	N j ping -6 -c 1 -w 5 2001:db8:aaaa::2 >/dev/null
	if [ "$RTT_ONLY" != 1 ]; then
	N r iperf3 -s -D -1 -I "$T/iperf.pid" >/dev/null; sleep 0.3
	js=$(N j iperf3 -c 2001:db8:aaaa::2 -t "$DURATION" -J)
	gbps=$(jq '.end.sum_received.bits_per_second / 1e9' <<<"$js")
	sleep 0.5
	N r iperf3 -s -D -1 -I "$T/iperf.pid" >/dev/null; sleep 0.3
	js=$(N j iperf3 -c 2001:db8:aaaa::2 -u -l 64 -b 0 -t 5 -J)
	pps=$(jq '(.end.sum.packets - .end.sum.lost_packets) / .end.sum.seconds' <<<"$js")
	sleep 0.5
	fi
	rtts=$(N j ping -6 -c "$PINGS" -i "$PING_INTERVAL" 2001:db8:aaaa::2 | sed -n 's/.*time=\([0-9.]*\) ms/\1/p' | sort -n)
	n=$(wc -l <<<"$rtts")
	p50=$(sed -n "$(( (n * 50 + 99) / 100 ))p" <<<"$rtts")
	p99=$(sed -n "$(( (n * 99 + 99) / 100 ))p" <<<"$rtts")
	printf '%.3f %.0f %s %s\n' "$gbps" "$pps" "$p50" "$p99"
}
# median of the numbers on stdin
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

: >"$T/plain" && : >"$T/tunnel" && : >"$T/wire" && : >"$T/ebpf" && : >"$T/jebpf"
for ((i = 1; i <= REPEAT; i++)); do
	plain_routes add
	run_set >>"$T/plain"
	wire_offloads off
	run_set >>"$T/wire"
	wire_offloads on
	if [ "$EBPF" = 1 ]; then
		ebpf_filters add
		run_set >>"$T/ebpf"
		ebpf_filters del
	fi
	plain_routes del
	tunnel_routes add
	run_set >>"$T/tunnel"
	tunnel_routes del
	if [ "$JEBPF" = 1 ]; then
		jebpf up
		run_set >>"$T/jebpf"
		jebpf down
	fi
done
col() { awk -v c="$2" '{ print $c }' "$T/$1" | median; }
rss_a=$(awk '/VmHWM/ { print $2 }' "/proc/$A_DP/status") anon_a=$(awk '/RssAnon/ { print $2 }' "/proc/$A_DP/status")
rss_b=$(awk '/VmHWM/ { print $2 }' "/proc/$B_DP/status") anon_b=$(awk '/RssAnon/ { print $2 }' "/proc/$B_DP/status")
drops=$(jq -r '[.drops[]] | add' "$T/a.stats" "$T/b.stats" | paste -sd+ | bc)
# a / b to three places, "-" when b is 0 (RTT_ONLY: no throughput)
div() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.3f\n", a / b }'; }
ratio=$(div "$(col tunnel 1)" "$(col plain 1)")
pps_ratio=$(div "$(col tunnel 2)" "$(col plain 2)")
wire_ratio=$(div "$(col tunnel 1)" "$(col wire 1)")
{
	echo "# bench/tunnel.sh $(date -u +%Y-%m-%dT%H:%M:%SZ): $(nproc) CPUs, kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "# ${DURATION} s TCP, median of $REPEAT turn(s) per path"
	printf '%-8s %10s %12s %9s %9s\n' path tcp_gbps udp64_pps rtt_p50 rtt_p99
	for p in plain tunnel wire $([ "$JEBPF" = 1 ] && echo jebpf) $([ "$EBPF" = 1 ] && echo ebpf); do
		printf '%-8s %10s %12s %9s %9s\n' $p "$(col $p 1)" "$(col $p 2)" "$(col $p 3)" "$(col $p 4)"
	done
	echo "tcp ratio tunnel/plain: $ratio (target >= 0.25, goal >= 0.5); small packets: $pps_ratio"
	echo "context: tunnel/wire (plain with <= 1500-byte packets on the a-b hop): $wire_ratio"
	if [ "$JEBPF" = 1 ]; then
		echo "tcp ratio jebpf/plain (jail6's eBPF datapath): $(div "$(col jebpf 1)" "$(col plain 1)") (target >= 0.8, goal 0.9+); small packets: $(div "$(col jebpf 2)" "$(col plain 2)")"
		echo "jebpf added latency (ms): p50 +$(echo "$(col jebpf 3) - $(col plain 3)" | bc -l), p99 +$(echo "$(col jebpf 4) - $(col plain 4)" | bc -l)"
		echo "jebpf datapath process memory: VmHWM a ${rss_ja} KiB, b ${rss_jb} KiB; drops: $drops_je"
	fi
	if [ "$EBPF" = 1 ]; then
		echo "experiment: ebpf/plain (6in4 by tc BPF in the kernel, not jail6): $(div "$(col ebpf 1)" "$(col plain 1)")"
	fi
	echo "added latency (ms): p50 +$(echo "$(col tunnel 3) - $(col plain 3)" | bc -l), p99 +$(echo "$(col tunnel 4) - $(col plain 4)" | bc -l)"
	echo "daemon memory: VmHWM a ${rss_a} KiB, b ${rss_b} KiB (anonymous: a ${anon_a} KiB, b ${anon_b} KiB); datapath drops: $drops"
	if [ "$REPEAT" -gt 1 ]; then
		echo "# every turn (tcp_gbps udp64_pps rtt_p50 rtt_p99):"
		paste -d' ' <(sed 's/^/plain /' "$T/plain") <(sed 's/^/tunnel /' "$T/tunnel") \
			<(sed 's/^/wire /' "$T/wire") <(sed 's/^/jebpf /' "$T/jebpf") <(sed 's/^/ebpf /' "$T/ebpf") | sed 's/^/#   /'
	fi
} | tee "$RESULT"
