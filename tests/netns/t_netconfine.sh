#!/usr/bin/env bash
# Network confinement, as a hostile jail tries it: three jails on one
# bridge; a jail that sends from another jail's or the bridge's address, or
# sends a Router Advertisement or a Neighbour Advertisement for another
# jail's address, reaches neither the other jails nor the host (the host's
# filter of each bridge port drops it, and counts it); ping6 between jails
# still works; the sysctls jail6 sets in each jail's namespace and on its
# bridge are there; status shows each port's filter, a table removed or a
# sysctl changed by hand is drift (exit 3) that apply repairs; apply twice
# changes nothing; destroy leaves no table. Whose the table is: the state
# dir's record (a schema-4 state dir adopts jail6's commented table once; a
# table without the record, jail6's comment or not, is a conflict that
# apply refuses and destroy leaves); a second instance joins the first's
# table and the last one out removes it. Root only; a host namespace of
# the test's own; everything removed on exit.
set -u
cd "$(dirname "$0")/../.."
. tests/netns/lib.sh
BIN=${JAIL6_TEST:-$PWD/$BUILD/tests/jail6}

t_need_root t_netconfine
t_tmp t_netconfine
R=$T/netns S=$T/state C=$T/jail6.conf
mkdir -p "$R"
t_cleanup() {
	"$BIN" -f "$C" -s "$S" --runtime-dir "$R" --host-netns host --lock-timeout 5 destroy >/dev/null 2>&1
	[ -f "$T/jail6-2.conf" ] && "$BIN" -f "$T/jail6-2.conf" -s "$T/state2" --runtime-dir "$R" --host-netns host --lock-timeout 5 destroy >/dev/null 2>&1
}

J() { local j=$1; shift; nsenter --net="$R/$j" "$@"; }
# packets counted by rule RULE ("r5") of the filter's two hooks together
drops() {
	H nft -j list table bridge jail6 2>/dev/null |
		jq "[.nftables[].rule? | select(.comment? // \"\" | test(\"^jail6 (forward|input) $1\$\")) |
		     .expr[] | .counter?.packets // empty] | add // 0"
}
# one counter of /proc/net/snmp6 in namespace NS ("host" or a jail)
snmp() { nsenter --net="$R/$1" cat /proc/net/snmp6 | awk -v k="$2" '$1 == k { print $2 }'; }
# wait (bounded) until rule RULE has counted at least N packets
wait_drops() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ "$(drops "$1")" -ge "$2" ] && return 0
	done
	return 1
}
# send Router (ra PREFIX) or Neighbour (na TARGET) Advertisements from IFNAME
# with MAC, as a hostile jail root would, over a raw ICMPv6 socket
SEND_ADV='
import socket, struct, sys
kind, ifname, what, mac = sys.argv[1:5]
idx = socket.if_nametoindex(ifname)
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, idx)
lla = bytes.fromhex(mac.replace(":", ""))
a = socket.inet_pton(socket.AF_INET6, what)
if kind == "ra":  # router lifetime 1800 s, a prefix for autoconfiguration
    msg = struct.pack("!BBHBBHII", 134, 0, 0, 64, 0, 1800, 0, 0)
    msg += struct.pack("!BBBBIII", 3, 4, 64, 0xc0, 86400, 14400, 0) + a
    msg += struct.pack("!BB", 1, 1) + lla
else:  # unsolicited, override: "that address is at my MAC"
    msg = struct.pack("!BBHI", 136, 0, 0, 0x20000000) + a + struct.pack("!BB", 2, 1) + lla
for _ in range(3):
    s.sendto(msg, ("ff02::1", 0, 0, idx))
'
send_adv() { local j=$1; shift; J "$j" python3 -c "$SEND_ADV" "$@"; }
mac_of() { J "$1" ip -o link show dev "$2" | awk '{ for (i = 1; i < NF; i++) if ($i == "link/ether") print $(i + 1) }'; }
pings() { J "$1" ping -6 -n -q -c "${4:-3}" -i 0.2 -W 1 ${3:+-I "$3"} "$2" >/dev/null 2>&1; }

t_hostns lo
# confine = no: the jail runtime is not what this test is about (the filter
# is on the host side); older trees without the key get a bare netns anyway
CONFINE="confine = no;"
printf 'jail x { %s }\n' "$CONFINE" >"$T/probe.conf"
"$BIN" -f "$T/probe.conf" check >/dev/null 2>&1 || CONFINE=""
cat >"$C" <<CONF
bridge nc0 { address = 2001:db8:9::1/64; }
jail ja { interface nca { bridge = nc0; address = 2001:db8:9::a/64; } $CONFINE }
jail jb { interface ncb { bridge = nc0; address = 2001:db8:9::b/64; } $CONFINE }
jail jc { interface ncc { bridge = nc0; address = auto; } $CONFINE }
CONF

# ---- 1. apply: the filter, the sysctls
out=$(j6 apply 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q "port filter: create" <<<"$out" && [ "$(grep -c "port filter for jail" <<<"$out")" = 3 ]; then
	ok "apply makes the port filter and one per jail interface"
else nok "apply" "rc=$rc" "$out"; fi
JC=$(J jc ip -6 -o addr show dev nccb scope global | awk '{ sub("/.*", "", $4); print $4 }')
check "jc got its auto address" test -n "$JC"
okc=1
for j in ja jb jc; do
	[ "$(J $j sysctl -n net.ipv4.ping_group_range | tr '\t' ' ')" = "0 2147483647" ] || okc=0
	[ "$(J $j sysctl -n net.ipv4.ip_unprivileged_port_start)" = 0 ] || okc=0
done
check "each jail: ping_group_range 0 2147483647, ip_unprivileged_port_start 0" test $okc = 1
check "the bridge takes no Router Advertisements" test "$(H sysctl -n net.ipv6.conf.nc0.accept_ra)" = 0
out=$(H nft list set bridge jail6 allowed 2>&1)
check "jc's port lets through its auto address" grep -q "\"ncca\" . $JC" <<<"$out"
out=$(j6 status 2>&1); rc=$?
if [ $rc -eq 0 ] && [ "$(grep -c "port filter: in place" <<<"$out")" = 3 ]; then ok "status: each jail's port filter in place"; else nok "status shows the filters" "rc=$rc" "$out"; fi
out=$(j6 status --json 2>&1)
check "status --json: port_filter in place for all three" test "$(jq '[.jails[].interfaces[].port_filter] | map(select(. == "in place")) | length' <<<"$out")" = 3
out=$(j6 apply 2>&1)
check "apply twice changes nothing" grep -q "nothing to do" <<<"$out"

# ---- 2. what a jail may do: ping6 between jails and to the host
check "ping6 ja -> jb" pings ja 2001:db8:9::b
check "ping6 jb -> jc (auto address)" pings jb "$JC"
check "ping6 jc -> the bridge" pings jc 2001:db8:9::1

# ---- 3. spoofed sources: another jail's address, the bridge's
# (ja knows jc's and the bridge's MAC first: its spoofed packets go out)
pings ja "$JC" "" 1 && pings ja 2001:db8:9::1 "" 1
c0=$(snmp jc Icmp6InEchos) h0=$(snmp host Icmp6InEchos) d0=$(drops r5)
J ja ip addr add 2001:db8:9::b/128 dev ncab nodad
pings ja "$JC" 2001:db8:9::b
pings ja 2001:db8:9::1 2001:db8:9::b
J ja ip addr del 2001:db8:9::b/128 dev ncab
J ja ip addr add 2001:db8:9::1/128 dev ncab nodad
pings ja "$JC" 2001:db8:9::1
J ja ip addr del 2001:db8:9::1/128 dev ncab
check "the spoofed packets met the filter (counted)" wait_drops r5 $((d0 + 9))
check "... none reached jc" test "$(snmp jc Icmp6InEchos)" = "$c0"
check "... none reached the host" test "$(snmp host Icmp6InEchos)" = "$h0"
check "ja's own address still gets through" pings ja "$JC"

# ---- 4. a Router Advertisement from a jail
rb=$(snmp jb Icmp6InRouterAdvertisements) rc_=$(snmp jc Icmp6InRouterAdvertisements)
rh=$(snmp host Icmp6InRouterAdvertisements) d0=$(drops r1)
send_adv ja ra ncab 2001:db8:99:: "$(mac_of ja ncab)"
check "the RA met the filter (counted)" wait_drops r1 $((d0 + 3))
pings ja 2001:db8:9::b "" 1 # frames before it have been delivered
check "no other jail received it" test "$(snmp jb Icmp6InRouterAdvertisements)" = "$rb" -a "$(snmp jc Icmp6InRouterAdvertisements)" = "$rc_"
check "the host did not receive it" test "$(snmp host Icmp6InRouterAdvertisements)" = "$rh"
bad=$(for n in jb jc; do J $n ip -6 addr; J $n ip -6 route; done; H ip -6 addr; H ip -6 route)
if ! grep -q "2001:db8:99:" <<<"$bad" && ! grep -q "proto ra" <<<"$bad"; then ok "no address or route from it, in the jails or on the host"; else nok "RA effects" "$bad"; fi

# ---- 5. a Neighbour Advertisement for another jail's address
pings jc 2001:db8:9::b "" 1 && pings jb 2001:db8:9::1 "" 1
mb=$(mac_of jb ncbb) ma=$(mac_of ja ncab)
check "the MACs of ja and jb are known, and differ" test -n "$mb" -a -n "$ma" -a "$mb" != "$ma"
d0=$(drops r2)
send_adv ja na ncab 2001:db8:9::b "$ma"
check "the NA met the filter (counted)" wait_drops r2 $((d0 + 3))
pings ja 2001:db8:9::1 "" 1
n1=$(J jc ip -6 neigh show 2001:db8:9::b dev nccb) n2=$(H ip -6 neigh show 2001:db8:9::b dev nc0)
if grep -qi "lladdr $mb" <<<"$n1" && grep -qi "lladdr $mb" <<<"$n2"; then ok "jc and the host still reach jb at jb's MAC"; else nok "NA spoofing" "jb $mb" "jc: $n1" "host: $n2"; fi
check "jb still answers jc" pings jc 2001:db8:9::b

# ---- 6. drift: a table or a sysctl changed by hand
H nft delete table bridge jail6
out=$(j6 status 2>&1); rc=$?
if [ $rc -eq 3 ] && [ "$(grep -c "port filter: missing" <<<"$out")" = 3 ]; then ok "the table removed by hand: drift (exit 3), the filters missing"; else nok "table drift" "rc=$rc" "$out"; fi
out=$(j6 apply 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q "port filter: create" <<<"$out" && j6 status >/dev/null 2>&1; then ok "apply puts it back; in sync"; else nok "apply repairs the table" "rc=$rc" "$out"; fi
H nft delete element bridge jail6 allowed '{ "ncba" . 2001:db8:9::b }'
out=$(j6 status 2>&1); rc=$?
if [ $rc -eq 3 ] && grep -q "ncba: port filter for jail jb" <<<"$out"; then ok "an address taken from a port: drift on that port only"; else nok "port drift" "rc=$rc" "$out"; fi
out=$(j6 apply 2>&1)
check "apply replaces that port's filter alone" test "$(grep -c "port filter" <<<"$out")" = 1
J jb sysctl -qw net.ipv4.ping_group_range="1 0"
H sysctl -qw net.ipv6.conf.nc0.accept_ra=1
out=$(j6 status 2>&1); rc=$?
if [ $rc -eq 3 ] && grep -q "\[jb\] sysctl ipv4.ping_group_range" <<<"$out" && grep -q "sysctl ipv6.accept_ra/nc0 = 0" <<<"$out"; then ok "sysctls changed by hand: drift"; else nok "sysctl drift" "rc=$rc" "$out"; fi
j6 apply >/dev/null 2>&1
check "apply sets them again" test "$(J jb sysctl -n net.ipv4.ping_group_range | tr '\t' ' ')" = "0 2147483647" -a "$(H sysctl -n net.ipv6.conf.nc0.accept_ra)" = 0
out=$(j6 apply 2>&1)
check "then apply changes nothing" grep -q "nothing to do" <<<"$out"

# ---- 7. teardown: a jail's port filter goes with it, the table with destroy
j6 destroy jc >/dev/null 2>&1
out=$(H nft list table bridge jail6 2>&1)
if ! grep -q ncca <<<"$out" && grep -q '"ncaa" \.' <<<"$out" && grep -q '"ncaa" comment "jail ja"' <<<"$out"; then ok "destroy jc removes its port's filter only"; else nok "destroy jc" "$out"; fi
out=$(j6 destroy 2>&1); rc=$?
check "destroy" test $rc -eq 0
check "destroy leaves no table" test -z "$(H nft list tables bridge)"
check "no jail namespace is left" test "$(ls "$R")" = host

# ---- 8. whose the table is: the store's record, not the comment
tables() { H nft list tables bridge 2>/dev/null; }
filter_recs() { sqlite3 "$S/jail6.db" "SELECT count(*) FROM own WHERE kind = 'filter'"; }
j6 apply >/dev/null 2>&1
check "apply records the table it makes" test "$(filter_recs)" = 1
# a state dir from before the record (schema 4): the table with jail6's
# comment is adopted once, by the migration's record
sqlite3 "$S/jail6.db" "DELETE FROM own WHERE kind = 'filter'; PRAGMA user_version = 4;"
out=$(j6 status 2>&1); rc=$?
if [ $rc -eq 0 ] && [ "$(grep -c "port filter: in place" <<<"$out")" = 3 ]; then ok "a schema-4 state dir adopts jail6's commented table: in sync"; else nok "adoption by the migration" "rc=$rc" "$out"; fi
j6 apply >/dev/null 2>&1
check "... and keeps its record (handle learnt)" test "$(sqlite3 "$S/jail6.db" "SELECT count(*) FROM own WHERE kind = 'filter' AND ident > 0")" = 1
# the record lost (schema 5): the table is someone else's now
sqlite3 "$S/jail6.db" "DELETE FROM own WHERE kind = 'filter'"
out=$(j6 status 2>&1); rc=$?
if [ $rc -eq 3 ] && grep -q "conflict: port filter: nftables table bridge jail6 carries jail6's mark but this state dir has no record of making it" <<<"$out"; then ok "a table without the record: status says conflict (exit 3)"; else nok "unrecorded table in status" "rc=$rc" "$out"; fi
out=$(j6 apply 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q "no record of making it" <<<"$out" && [ "$(filter_recs)" = 0 ]; then ok "apply refuses, naming it, and records nothing"; else nok "apply on an unrecorded table" "rc=$rc" "$out"; fi
out=$(j6 destroy 2>&1); rc=$?
check "destroy succeeds" test $rc -eq 0
check "... and leaves the unrecorded table" grep -q "table bridge jail6" <<<"$(tables)"
H nft delete table bridge jail6
# an admin's own table of that name, with or without jail6's comment
for how in "table bridge jail6 { comment \"jail6\"; }" "table bridge jail6 { }"; do
	H nft -f - <<<"$how"
	out=$(j6 apply 2>&1); rc=$?
	if [ $rc -ne 0 ] && grep -q "port filter: nftables table bridge jail6" <<<"$out" && [ -z "$(H nft list table bridge jail6 | grep -E 'chain|set')" ]; then ok "an admin's table ($how): apply refuses, the table untouched"; else nok "admin's table ($how)" "rc=$rc" "$out"; fi
	j6 destroy >/dev/null 2>&1
	check "... destroy leaves it" grep -q "table bridge jail6" <<<"$(tables)"
	H nft delete table bridge jail6
done
# two instances on one host namespace share the table; the last one out
# removes it
S2=$T/state2 C2=$T/jail6-2.conf
cat >"$C2" <<CONF
bridge nd0 { address = 2001:db8:a::1/64; }
jail jd { interface ncd { bridge = nd0; address = 2001:db8:a::d/64; } $CONFINE }
CONF
j2() { "$BIN" -f "$C2" -s "$S2" --runtime-dir "$R" --host-netns host --lock-timeout 20 "$@"; }
j6 apply >/dev/null 2>&1
out=$(j2 apply 2>&1); rc=$?
if [ $rc -eq 0 ] && ! grep -q "port filter: create" <<<"$out" && grep -q "ncda: port filter for jail jd" <<<"$out"; then ok "a second instance joins the first one's table"; else nok "second instance joins" "rc=$rc" "$out"; fi
check "... and records it too" test "$(sqlite3 "$S2/jail6.db" "SELECT count(*) FROM own WHERE kind = 'filter'")" = 1
j6 destroy >/dev/null 2>&1
check "the first one's destroy leaves the table for the second's port" grep -q '"ncda"' <<<"$(H nft list set bridge jail6 ports 2>&1)"
out=$(j2 status 2>&1); rc=$?
# (its status is drift only in ipv6.forwarding, which the first one's
# destroy put back as it found it)
if grep -q "port filter: in place" <<<"$out" && ! grep -q "conflict" <<<"$out"; then ok "the second one's port filter is in place, no conflict"; else nok "the second one's port filter" "rc=$rc" "$out"; fi
j2 destroy >/dev/null 2>&1
check "the second one's destroy removes the table" test -z "$(tables)"
check "no jail namespace is left" test "$(ls "$R")" = host
