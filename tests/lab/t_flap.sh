#!/usr/bin/env bash
# The VPN flap, in a lab of its own (jail6-lab up --dir): the host reaches
# the broker only through OpenVPN (he0's via = 192.0.2.1). The OpenVPN
# client is killed, which takes vpn0 and with it jail6's host route
# 198.51.100.1 via 192.0.2.1: the userspace datapath must hold (drops
# counted as via_down, its source stays 192.0.2.2, and no protocol-41
# packet leaves through wan0, which an nft counter of what arrives at the
# VPS from the host's WAN shows: the eBPF datapath's packets pass below
# the host's own netfilter). The client is started again with the very same
# command line: jail6's route must come back with no apply and a jail
# must reach the remote host again (bounded polling). Root only; needs
# what t_lab.sh needs, else "skip". The lab goes down on exit, also on
# failure. LAB_CONF names another host config (t_flap_ebpf.sh: the same
# with datapath = ebpf).
set -u
cd "$(dirname "$0")/../.."
. tests/lab/lib.sh
lab_need t_flap

n_fail=0
ok() { echo "ok $1"; }
nok() { echo "not ok $1"; n_fail=$((n_fail + 1)); shift; for l in "$@"; do printf '%s\n' "$l" | head -30 | sed 's/^/#   /'; done; }
# poll N CMD...: true once CMD succeeds, tried every tenth of a second for
# N tenths at most (and until the time they add up to is over: a try may
# take a while itself, a ping up to a second)
poll() {
	local n=$1 end=$((SECONDS + ($1 + 9) / 10 + 1)) _
	shift
	for _ in $(seq "$n"); do "$@" && return 0; [ "$SECONDS" -lt "$end" ] || return 1; sleep 0.1; done
	return 1
}

H=(-s "$D/state-host" --runtime-dir "$D/netns" --host-netns host -f "$D/host.conf")
j6() { "$BIN" "${H[@]}" "$@"; }
in_host() { nsenter --net="$D/netns/host" "$@"; }
STATS=$D/state-host/run/tunnel/he0.stats
REMOTE6=2001:db8:aaaa::2
vpn=

cleanup() {
	# a client this test started is the lab's: down stops it by its pidfile
	lab down >/dev/null 2>&1
	if [ -e "$D" ]; then echo "not ok lab-left-nothing # $D still exists"; n_fail=$((n_fail + 1)); fi
}
trap 'cleanup; exit 1' INT TERM
trap cleanup EXIT

out=$(lab up ${LAB_CONF:+--conf "$LAB_CONF"} 2>&1)
if [ $? -ne 0 ]; then
	nok lab-up "$(tail -20 <<<"$out")"
	exit 1
fi
ok lab-up

stat_has() { grep -q "$1" "$STATS" 2>/dev/null; }
drops_via_down() { grep -o '"via_down":[0-9]*' "$STATS" | cut -d: -f2; }
broker_route() { in_host ip -4 route show 198.51.100.1/32; }
in_vps() { nsenter --net="$D/netns/vps" "$@"; }
wan_41() { in_vps nft list chain ip t_flap wan | grep -o 'packets [0-9]*' | cut -d' ' -f2; }
jail_ping() { j6 exec www ping -6 -c 1 -W 1 "$REMOTE6" >/dev/null 2>&1; }

# every protocol-41 packet the host sends out of its WAN, counted where
# it arrives (the OpenVPN tunnel is UDP: protocol 41 there is a leak)
in_vps nft -f - <<'EOF'
table ip t_flap {
	chain wan {
		type filter hook prerouting priority -400;
		iifname "to-host" ip protocol 41 counter
	}
}
EOF

if jail_ping && stat_has '"via":"192.0.2.1"' && stat_has '"held":false'; then
	ok flap-before
else
	nok flap-before "stats: $(cat "$STATS" 2>&1)"
fi

# The VPN goes down: the client is killed, and with its tun device goes
# jail6's host route. Its command line is kept to start it again.
vpn=$(cat "$D/openvpn-host.pid")
mapfile -d '' argv <"/proc/$vpn/cmdline"
kill "$vpn"
if poll 100 bash -c "! kill -0 $vpn 2>/dev/null" && poll 100 test -z "$(broker_route)"; then
	ok vpn-down-route-gone
else
	nok vpn-down-route-gone "route: $(broker_route)"
fi
if poll 100 stat_has '"held":true'; then ok datapath-held; else nok datapath-held "stats: $(cat "$STATS")"; fi
# the jail tries: its packets reach the datapath, which drops them
jail_ping && nok jail-ping-while-down "a ping went through with the VPN down"
if poll 30 bash -c "[ \"\$(grep -o '\"via_down\":[0-9]*' '$STATS' | cut -d: -f2)\" -gt 0 ]"; then
	ok held-drops-counted
else
	nok held-drops-counted "stats: $(cat "$STATS")"
fi
w=$(wan_41)
if [ "$w" = 0 ]; then ok nothing-out-of-wan; else nok nothing-out-of-wan "protocol-41 packets out of wan0: $w"; fi
if stat_has '"local":"192.0.2.2"'; then ok source-kept; else nok source-kept "stats: $(cat "$STATS")"; fi
st=$(j6 status 2>&1)
rc=$?
if [ "$rc" = 3 ] && grep -q 'held: the route to the remote is not via 192.0.2.1' <<<"$st" &&
	grep -q 'route: add 198.51.100.1/32 via 192.0.2.1' <<<"$st"; then
	ok status-shows-held
else
	nok status-shows-held "exit $rc" "$st"
fi

# by hand while via is down: refused, and nothing is added
o=$(j6 tunnel restore he0 2>&1)
rc=$?
if [ "$rc" = 1 ] && [ -z "$(broker_route)" ]; then ok restore-refused-while-down; else
	nok restore-refused-while-down "exit $rc" "$o" "route: $(broker_route)"
fi

# The VPN comes back, the same client again: no apply.
in_host "${argv[@]}" >/dev/null 2>&1
if poll 300 jail_ping; then ok jail-ping-after-vpn-back; else
	nok jail-ping-after-vpn-back "route: $(broker_route)" "stats: $(cat "$STATS")" \
		"log: $(tail -8 "$D/state-host/run/tunnel/he0.log")"
fi
r=$(broker_route)
if grep -q 'via 192.0.2.1 dev vpn0 proto 106' <<<"$r"; then ok route-back-jail6s; else nok route-back-jail6s "route: $r"; fi
if poll 30 stat_has '"held":false'; then ok datapath-unheld; else nok datapath-unheld "stats: $(cat "$STATS")"; fi
w=$(wan_41)
if [ "$w" = 0 ]; then ok still-nothing-out-of-wan; else nok still-nothing-out-of-wan "protocol-41 packets out of wan0: $w"; fi
st=$(j6 status 2>&1)
rc=$?
if [ "$rc" = 0 ]; then ok status-in-sync; else nok status-in-sync "exit $rc" "$st"; fi
# the hook form (what a kernel datapath's VPN up script runs): the route
# is there, so nothing to do
o=$(j6 tunnel restore he0 2>&1)
rc=$?
if [ "$rc" = 0 ] && grep -q 'is in place' <<<"$o"; then ok restore-in-place; else nok restore-in-place "exit $rc" "$o"; fi
grep -q 'jail6 tunnel restore (pid' "$D/state-host/run/tunnel/he0.log" && ok restore-by-datapath ||
	nok restore-by-datapath "log: $(cat "$D/state-host/run/tunnel/he0.log")"
# one datapath process all along, and nothing in its log of a sanitizer
# (make sanitize's build) nor of a crash
if stat_has '"restarts":0' && ! grep -qE 'AddressSanitizer|runtime error|killed by signal' "$D/state-host/run/tunnel/he0.log"; then
	ok datapath-no-restart
else
	nok datapath-no-restart "stats: $(cat "$STATS")" "log: $(cat "$D/state-host/run/tunnel/he0.log")"
fi

trap - EXIT
cleanup
if pgrep -f "$D" >/dev/null; then nok nothing-running "$(pgrep -af "$D")"; else ok nothing-running; fi
[ -e "$D" ] || ok lab-left-nothing
exit $((n_fail > 0))
