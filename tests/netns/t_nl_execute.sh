#!/usr/bin/env bash
# The Linux netlink backend (src/os/linux: nl_*.c, ctx.c, observe.c,
# execute.c and the per-kind files) through build/tests/drv_linux, for real,
# in throwaway namespaces: a "host" H with bridge br0 (2001:db8:1::1/64) and
# two jails J1, J2 on it through veth pairs, each with a default route via
# the bridge address, as in the seed. build/tests/drv_nl runs, inside H, the
# socket and validation cases that were once unit tests. Root only. Never
# acts on the machine's own namespace (every driver run has -n H) and
# removes everything on exit, failed or not.
set -u
cd "$(dirname "$0")/../.."
. tests/netns/lib.sh
DRV=$PWD/$BUILD/tests/drv_linux
NLDRV=$PWD/$BUILD/tests/drv_nl

t_need_root t_nl_execute
if ! command -v ip >/dev/null 2>&1; then
	echo "skip t_nl_execute needs ip(8) from iproute2 to set up and check"
	exit 0
fi
for d in "$DRV" "$NLDRV"; do
	if [ ! -x "$d" ]; then
		echo "not ok $(basename "$d") built ($d missing)"
		exit 1
	fi
done

id=$$
H=j6t-$id-h J1=j6t-$id-a J2=j6t-$id-b
t_tmp t_nl
R2=$T/netns                       # private runtime dir of the jail section
MAC1=02:00:00:00:01:0b
MAC2=02:00:00:00:02:0b

t_cleanup() {
	for n in "$H" "$J1" "$J2"; do ip netns del "$n" 2>/dev/null; done
	for n in h c; do "$DRV" -r "$R2" -u "$T/run2" jail-destroy "$n" >/dev/null 2>&1; done
}

# -u: the instance's run dir (the datapath's files, jails' extra namespaces)
drv() { timeout 30 "$DRV" -n "$H" -u "$T/run" "$@"; }
# run NAME ARGS...: the driver must succeed
run() { local n=$1; shift; if drv "$@" 2>"$T/err"; then ok "$n"; else nok "$n" "drv $* -> rc $?" "$(cat "$T/err")"; fi; }
# refuse NAME MESSAGE ARGS...: the driver must fail with exactly that message
refuse() {
	local n=$1 want=$2; shift 2
	drv "$@" 2>"$T/err"; local rc=$?
	expect "$n" "1 drv_linux: $want" "$rc $(cat "$T/err")"
}
# poll CMD...: true once CMD succeeds, within 5 s
POLL_TRIES=50   # poll: within 5 s
own_links() { ip -o link show | awk -F': ' '{print $2}' | sort; }
own_sysctls() { cat /proc/sys/net/ipv6/conf/all/forwarding /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv6/conf/all/accept_ra 2>/dev/null; }

links_before=$(own_links)
sysctls_before=$(own_sysctls)
for n in "$H" "$J1" "$J2"; do
	ip netns add "$n" || { nok "ip netns add $n"; exit 1; }
done

# --- the netlink socket and execute's refusals, inside H --------------------
# nlcase NAME CASE: drv_nl CASE must pass; the driver enters H first
nlcase() {
	if timeout 30 "$NLDRV" -n "$H" "$2" 2>"$T/err"; then ok "$1"; else nok "$1" "$(cat "$T/err")"; fi
}
nlcase "nl socket: a link dump sees lo, GET by name, ENODEV, EINVAL, reusable" sock-readonly
nlcase "execute refuses bad input, naming the object, before sending" execute-refusals

# --- links -------------------------------------------------------------------
run "bridge-create br0" bridge-create br0
expect "br0 is a bridge in H" 1 "$(ip -n "$H" -d -o link show br0 2>/dev/null | grep -c ' bridge ')"
refuse "bridge-create twice: EEXIST named" "br0: create bridge: File exists" bridge-create br0
run "veth-create v1a/v1b with peer MAC" veth-create v1a v1b "$MAC1"
run "veth-create v2a/v2b" veth-create v2a v2b
expect "v1a is a veth" 1 "$(ip -n "$H" -d -o link show v1a | grep -c ' veth ')"
expect "v1b has the MAC" "$MAC1" "$(ip -n "$H" -o link show v1b | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)"
run "master v1a br0" master v1a br0
run "master v2a br0" master v2a br0
expect "v1a, v2a enslaved" "2" "$(ip -n "$H" -o link show master br0 | wc -l)"
refuse "master of a missing link: named" "br0: add member nosuch0: No such device" master nosuch0 br0
refuse "master to a missing bridge: named" "nobr0: add member v1a: no such bridge" master v1a nobr0
run "setns v1b J1" setns v1b "$J1"
run "setns v2b J2" setns v2b "$J2"
expect "v1b moved: in J1, not in H" "1 0" \
	"$(ip -n "$J1" -o link show v1b | wc -l) $(ip -n "$H" -o link show v1b 2>/dev/null | wc -l)"
refuse "setns into a missing jail" "v2a: move to jail j6t-$id-none: no such jail" setns v2a "j6t-$id-none"
for i in br0 v1a v2a; do run "up $i" up "$i"; done
run "up v1b in J1" -j "$J1" up v1b
run "up v2b in J2" -j "$J2" up v2b
expect "all five up" "1 1 1 1 1" "$(for x in "$H br0" "$H v1a" "$H v2a" "$J1 v1b" "$J2 v2b"; do
	set -- $x; ip -n "$1" -o link show "$2" | grep -c '[<,]UP[,>]'; done | xargs)"
run "mtu v2a 1400" mtu v2a 1400
expect "v2a mtu" 1400 "$(ip -n "$H" -o link show v2a | grep -o 'mtu [0-9]*' | cut -d' ' -f2)"
run "mac v2b in J2" -j "$J2" mac v2b "$MAC2"
expect "v2b MAC" "$MAC2" "$(ip -n "$J2" -o link show v2b | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)"
refuse "mtu out of range" "$J2: v2b: set mtu 10: out of range 68..65535" -j "$J2" mtu v2b 10
refuse "jail that does not exist" "j6t-$id-none: no such jail" -j "j6t-$id-none" up lo

# --- addresses and routes ----------------------------------------------------
run "addr-add br0" addr-add br0 2001:db8:1::1/64
run "addr-add v1b in J1" -j "$J1" addr-add v1b 2001:db8:1::3/64
run "addr-add v2b in J2" -j "$J2" addr-add v2b 2001:db8:1::4/64
line=$(ip -n "$J1" -6 -o addr show dev v1b | grep '2001:db8:1::3/64')
expect "v1b address has nodad, is not tentative" "1 0" \
	"$(grep -c nodad <<<"$line") $(grep -c tentative <<<"$line")" "$line"
run "addr-add again: EEXIST of the same address is success" -j "$J1" addr-add v1b 2001:db8:1::3/64
expect "still one 2001:db8:1::3" 1 "$(ip -n "$J1" -6 -o addr show dev v1b | grep -c '2001:db8:1::3/')"
refuse "addr-add with another prefix length" \
	"$J1: v1b: add address 2001:db8:1::3/80: the address exists with another prefix length or was not made by jail6" \
	-j "$J1" addr-add v1b 2001:db8:1::3/80
refuse "addr-add on a missing link" "$J1: nosuch0: add address 2001:db8:1::9/64: No such device" \
	-j "$J1" addr-add nosuch0 2001:db8:1::9/64
run "route-add default via the bridge address in J1" -j "$J1" route-add ::/0 2001:db8:1::1
run "route-add default in J2" -j "$J2" route-add ::/0 2001:db8:1::1
expect "J1 default route" "default via 2001:db8:1::1 dev v1b proto 106" \
	"$(ip -n "$J1" -6 route show default | awk '{print $1,$2,$3,$4,$5,$6,$7}')"
run "route-add again: the same route is success" -j "$J1" route-add ::/0 2001:db8:1::1
refuse "route-add of another default: conflict" \
	"$J1: route ::/0 via 2001:db8:1::7: add: another route to ::/0 exists" \
	-j "$J1" route-add ::/0 2001:db8:1::7

# --- traffic over the bridge -------------------------------------------------
px() { ip netns exec "$1" timeout 10 "$DRV" ping6 "$2" >/dev/null 2>"$T/err"; }
if px "$J1" 2001:db8:1::4; then ok "ping6 J1 -> J2 over br0"; else nok "ping6 J1 -> J2 over br0" "$(cat "$T/err")"; fi
if px "$J2" 2001:db8:1::3; then ok "ping6 J2 -> J1"; else nok "ping6 J2 -> J1" "$(cat "$T/err")"; fi
if px "$J1" 2001:db8:1::1; then ok "ping6 J1 -> bridge address in H"; else nok "ping6 J1 -> bridge address in H" "$(cat "$T/err")"; fi
if ! px "$J1" 2001:db8:1::99; then ok "ping6 to an absent address fails"; else nok "ping6 to an absent address fails"; fi

# --- sysctls -----------------------------------------------------------------
run "sysctl ipv6.forwarding=1 in J1" -j "$J1" sysctl ipv6.forwarding 1
run "sysctl ipv4.forwarding=1 in H" sysctl ipv4.forwarding 1
expect "J1 forwarding 1, J2 and H untouched" "1 0 0" \
	"$(ip netns exec "$J1" cat /proc/sys/net/ipv6/conf/all/forwarding) $(ip netns exec "$J2" cat /proc/sys/net/ipv6/conf/all/forwarding) $(ip netns exec "$H" cat /proc/sys/net/ipv6/conf/all/forwarding)"
expect "H ip_forward 1" 1 "$(ip netns exec "$H" cat /proc/sys/net/ipv4/ip_forward)"
refuse "unknown sysctl key" "sysctl kernel.hostname: unknown key" sysctl kernel.hostname x

# --- observe -----------------------------------------------------------------
# What each namespace's sysctls really are, read by ip netns exec.
sys_of() {
	local ns=$1 label=$2
	echo "sysctl $label ipv4.forwarding $(ip netns exec "$ns" cat /proc/sys/net/ipv4/ip_forward)"
	echo "sysctl $label ipv6.accept_ra $(ip netns exec "$ns" cat /proc/sys/net/ipv6/conf/all/accept_ra)"
	echo "sysctl $label ipv6.forwarding $(ip netns exec "$ns" cat /proc/sys/net/ipv6/conf/all/forwarding)"
}
if drv observe "$J1" "$J2" "j6t-$id-none" >"$T/obs" 2>"$T/err"; then ok "observe"; else nok "observe" "$(cat "$T/err")"; fi
# The bridge and v1a/v2a have kernel-chosen MACs: compare those as "mac=*".
# br0 took the smallest MTU of its ports (v2a's 1400), as Linux bridges do.
got_h=$(awk '$2 == "-"' "$T/obs" | sed -E '/^link - (br0|v1a|v2a) /s/mac=[0-9a-f:]+/mac=*/' | sort)
want_h=$( { cat <<EOF
link - lo kind=other master=- up=0 mtu=65536 mac=00:00:00:00:00:00
link - br0 kind=bridge master=- up=1 mtu=1400 mac=*
link - v1a kind=veth master=br0 up=1 mtu=1500 mac=*
link - v2a kind=veth master=br0 up=1 mtu=1400 mac=*
addr - br0 2001:db8:1::1/64
sysctl - ipv6.accept_ra/br0 $(ip netns exec "$H" cat /proc/sys/net/ipv6/conf/br0/accept_ra)
EOF
sys_of "$H" -; } | sort)
expect "observe: exactly H's facts (no link-local, no kernel routes)" "$want_h" "$got_h"
got_j1=$(awk -v j="$J1" '$2 == j && $1 != "jail"' "$T/obs" | sort)
want_j1=$( { cat <<EOF
link $J1 lo kind=other master=- up=0 mtu=65536 mac=00:00:00:00:00:00
link $J1 v1b kind=veth master=- up=1 mtu=1500 mac=$MAC1
addr $J1 v1b 2001:db8:1::3/64
route $J1 ::/0 via 2001:db8:1::1 dev v1b
sysctl $J1 ipv4.ip_unprivileged_port_start $(ip netns exec "$J1" cat /proc/sys/net/ipv4/ip_unprivileged_port_start)
sysctl $J1 ipv4.ping_group_range $(ip netns exec "$J1" cat /proc/sys/net/ipv4/ping_group_range | tr -s ' \t' ' ')
EOF
} | sort)
# in a jail only the two sysctls the planner sets there (see observe.c)
expect "observe: exactly J1's facts (the jail's own sysctls only)" "$want_j1" "$got_j1"
got_j2=$(awk -v j="$J2" '$2 == j && $1 != "jail"' "$T/obs" | grep -v '^sysctl' | sort)
want_j2=$(sort <<EOF
link $J2 lo kind=other master=- up=0 mtu=65536 mac=00:00:00:00:00:00
link $J2 v2b kind=veth master=- up=1 mtu=1500 mac=$MAC2
addr $J2 v2b 2001:db8:1::4/64
route $J2 ::/0 via 2001:db8:1::1 dev v2b
EOF
)
expect "observe: J2's links, addresses, routes" "$want_j2" "$got_j2"
expect "observe: the jails that exist, not the missing one" "jail $J1 jail $J2" "$(grep '^jail ' "$T/obs" | xargs)"

# --- IPv4 and the 6in4 tunnel ------------------------------------------------
run "addr-add IPv4 on br0" addr-add br0 192.0.2.1/24
expect "IPv4 address with IFA_LOCAL" 1 "$(ip -n "$H" -4 -o addr show dev br0 | grep -c 'inet 192.0.2.1/24')"
run "route-add IPv4 host route to the broker" route-add 198.51.100.1/32 192.0.2.254
expect "host route" "198.51.100.1 via 192.0.2.254 dev br0 proto 106" \
	"$(ip -n "$H" -4 route show 198.51.100.1 | awk '{print $1,$2,$3,$4,$5,$6,$7}')"
# the userspace datapath: a persistent TUN and a supervised `jail6 tunnel run`
# (the driver is not jail6: the test build's JAIL6_TEST_EXE names the binary to spawn)
if JAIL6_TEST_EXE=$PWD/$BUILD/jail6 drv tunnel-create he0 auto 198.51.100.1 64 1480 userspace 2>"$T/err"; then
	ok "tunnel-create userspace"
	expect "he0 is a TUN with mtu 1480" "1 1" \
		"$(ip -n "$H" -d -o link show he0 | grep -c ' tun ') $(ip -n "$H" -o link show he0 | grep -c 'mtu 1480')"
	expect "its datapath daemon runs" 1 "$(pgrep -f -- "--host-netns $H .*tunnel run he0 " | head -1 | grep -c .)"
	run "destroy he0 (userspace)" destroy he0
	expect "no he0 and no daemon left" "0 0" \
		"$(ip -n "$H" -o link show he0 2>/dev/null | wc -l) $(pgrep -f -- "--host-netns $H .*tunnel run he0 " | wc -l)"
else
	nok "tunnel-create userspace" "$(cat "$T/err")"
fi
refuse "tunnel: the driver may not spawn itself as jail6" \
	"he0: start the userspace datapath: this program is not jail6" \
	tunnel-create he0 auto 198.51.100.1 64 1480 userspace
drv destroy he0 2>/dev/null
refuse "tunnel: auto local without a route" \
	"he0: find local address toward 203.0.113.1: Network is unreachable" tunnel-create he0 auto 203.0.113.1 64 1480
if drv tunnel-create he0 auto 198.51.100.1 64 1480 2>"$T/err"; then
	ok "tunnel-create he0 (kernel sit available)"
	line=$(ip -n "$H" -d -o link show he0)
	expect "he0 is sit with the auto local address" "1 1 1 1" \
		"$(for w in ' sit ' 'remote 198.51.100.1 ' 'local 192.0.2.1 ' 'ttl 64 '; do grep -c -- "$w" <<<"$line"; done | xargs)" "$line"
	run "tunnel-change ttl 32" tunnel-change he0 192.0.2.1 198.51.100.1 32 1480
	expect "observe shows the tunnel" "link - he0 kind=sit local=192.0.2.1 remote=198.51.100.1 ttl=32" \
		"$(drv observe | grep '^link - he0 ' | sed -E 's/ master=.* mac=[^ ]*//')"
	run "destroy he0" destroy he0
else
	# No sit module here: the kernel refuses the kind. The message must say
	# so and name the tunnel; it also shows the auto local address was found.
	expect "tunnel-create without sit: clean error naming he0" \
		"drv_linux: he0: create 6in4 tunnel to 198.51.100.1: Operation not supported" \
		"$(sed 's/ (.*)$//' "$T/err")"
	expect "no he0 left behind" 0 "$(ip -n "$H" -o link show he0 2>/dev/null | wc -l)"
	# the checks of a real sit link above did not run: say so
	echo "skip t_nl_execute:sit this kernel has no sit (6in4) links; tests/qemu/t_kernel.sh checks them in a guest"
fi
run "route-del IPv4 host route" route-del 198.51.100.1/32 192.0.2.254
run "addr-del IPv4" addr-del br0 192.0.2.1/24

# --- removal -----------------------------------------------------------------
run "route-del default in J1" -j "$J1" route-del ::/0 2001:db8:1::1
expect "J1 has no default route" "" "$(ip -n "$J1" -6 route show default)"
run "route-del again: absent is success" -j "$J1" route-del ::/0 2001:db8:1::1
run "addr-del in J1" -j "$J1" addr-del v1b 2001:db8:1::3/64
expect "2001:db8:1::3 gone" 0 "$(ip -n "$J1" -6 -o addr show dev v1b | grep -c '2001:db8:1::3/')"
run "addr-del again: absent is success" -j "$J1" addr-del v1b 2001:db8:1::3/64
run "destroy v1a" destroy v1a
if poll bash -c "[ -z \"\$(ip -n $J1 -o link show v1b 2>/dev/null)\" ]"; then ok "v1b went with v1a"; else nok "v1b went with v1a"; fi
run "destroy of an absent link is success" -j "$J1" destroy v1b
run "destroy v2a" destroy v2a
run "destroy br0" destroy br0
drv observe "$J1" "$J2" >"$T/obs" 2>"$T/err"
expect "observe after destroy: only lo in each" "link - lo|link $J1 lo|link $J2 lo" \
	"$(grep -v '^sysctl\|^jail' "$T/obs" | awk '{print $1,$2,$3}' | paste -sd'|')"

# --- jails through jail.c, in a private runtime dir -------------------------
# "h" plays the host; "c" is a jail made by JAIL_CREATE.
mkdir -p "$R2"
d2() { timeout 30 "$DRV" -r "$R2" -u "$T/run2" "$@"; }
if d2 jail-create h 2>"$T/err" && d2 jail-create c 2>>"$T/err"; then ok "jail-create (JAIL_CREATE)"; else nok "jail-create (JAIL_CREATE)" "$(cat "$T/err")"; fi
if d2 -n h veth-create va vb 2>"$T/err" && d2 -n h setns vb c 2>>"$T/err"; then ok "veth into a jail of the private runtime dir"; else nok "veth into a jail of the private runtime dir" "$(cat "$T/err")"; fi
# (JAIL_EXEC is exec.start's and exec.stop's: its output goes to the jail's log)
if d2 -n h jail-exec c ip -o link show vb >"$T/out" 2>"$T/err"; then ok "jail-exec runs in the jail"; else nok "jail-exec runs in the jail" "$(cat "$T/err")"; fi
expect "jail-exec saw vb inside (its output in the jail's log)" 1 "$(grep -c ': vb@' "$T/run2/log/c.log")"
d2 -n h jail-exec c false 2>"$T/err"; rc=$?
expect "jail-exec failure names the jail, the status and the log" "1 drv_linux: c: exec false: exited with status 1 (output in $T/run2/log/c.log)" "$rc $(cat "$T/err")"
# One context: observe the jail (which opens a socket inside it), destroy
# it, then wait for va to go: only once the namespace is really freed does
# the veth pair die, so a socket kept by the context would hold it.
if d2 -n h observe c -- jail-destroy c -- wait-gone va >"$T/out" 2>"$T/err"; then
	ok "jail-destroy in a context that observed the jail frees it"
else
	nok "jail-destroy in a context that observed the jail frees it" "$(cat "$T/err")"
fi
expect "the observe before saw the jail and vb" "jail c|link c vb" "$(grep -E '^jail c$|^link c vb ' "$T/out" | cut -d' ' -f1-3 | sort | paste -sd'|')"
expect "c is no longer a jail" "" "$(d2 -n h observe c | grep '^jail ')"
if d2 jail-destroy c 2>"$T/err"; then ok "jail-destroy of an absent jail is success"; else nok "jail-destroy of an absent jail is success" "$(cat "$T/err")"; fi
d2 jail-destroy h 2>/dev/null

# --- nothing leaked ----------------------------------------------------------
for n in "$H" "$J1" "$J2"; do ip netns del "$n"; done
expect "no j6t-$id namespace left" "" "$(ip netns list | grep "j6t-$id-")"
expect "no tunnel state directory left" "" "$(ls -d "$T/run/tunnel" 2>/dev/null)"
expect "the machine's own links are unchanged" "$links_before" "$(own_links)"
expect "the machine's own sysctls are unchanged" "$sysctls_before" "$(own_sysctls)"

[ "$n_fail" -eq 0 ]
