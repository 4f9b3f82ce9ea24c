#!/usr/bin/env bash
# Ownership and the control plane's edges, as a hostile tester tries them:
# after destroy the store remembers nothing; objects someone else makes with
# jail6's old names and addresses are never touched; a failed apply leaves
# no claims, nor does one killed as an action starts; kill -9 of destroy and of stop at every action leaves a state
# the next destroy finishes; a foreign namespace named like a jail is a
# conflict; two instances whose runtime dirs share a parent do not collide;
# a jail missing its UTS namespace is drift that apply repairs and that
# exec refuses; exec refuses what is not a jail of jail6's; a FIFO as the
# config (or an include) is refused at once; a file that would remove most
# jails needs --prune; an empty state db is refused. Root only; throwaway
# namespaces under a mktemp dir; everything removed on exit.
set -u
cd "$(dirname "$0")/../.."
. tests/netns/lib.sh
BIN=${JAIL6:-$PWD/$BUILD/jail6}
TBIN=${JAIL6_TEST:-$PWD/$BUILD/tests/jail6}

t_need_root t_owner
t_tmp t_owner
R=$T/netns S=$T/state C=$T/jail6.conf
mkdir -p "$R"
t_cleanup() {
	for s in "$S" "$T/sa" "$T/sb"; do
		for c in "$C" "$T/a.conf" "$T/b.conf"; do
			for h in host ha hb; do
				"$BIN" -f "$c" -s "$s" --runtime-dir "$R" --host-netns "$h" --lock-timeout 5 destroy --prune >/dev/null 2>&1
			done
		done
	done
}

j6t() { "$TBIN" -f "$C" -s "$S" --runtime-dir "$R" --host-netns host --lock-timeout 20 "$@"; }
own_rows() { sqlite3 "$S/jail6.db" "SELECT count(*) FROM own WHERE kind <> 'sysctl'" 2>/dev/null || echo none; }
jail_rows() { sqlite3 "$S/jail6.db" "SELECT count(*) FROM jail" 2>/dev/null || echo none; }
snapshot() {
	H ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort
	H ip -o addr show | awk '{print $2, $4}' | grep -v ' fe80:' | sort
	H ip -6 route show | sort; H ip -4 route show | sort
	H sysctl -n net.ipv6.conf.all.forwarding
	ls -A "$R" | sort
}
mkns() { t_ns "$1" lo; }

t_hostns lo
cat >"$C" <<CONF
bridge kb1 { address = 2001:db8:1::1/64; }
jail k1 { confine = no;
	interface ke1 { bridge = kb1; address = 2001:db8:1::3/64; }
	exec.stop = "/bin/true";
}
jail k2 { confine = no; interface ke2 { bridge = kb1; address = auto; } }
jail k3 { confine = no; interface ke3 { bridge = kb1; address = auto; } }
CONF
before=$(snapshot)

# ---- 1. destroy leaves no record; look-alikes are left alone
out=$(j6 apply 2>&1); check "apply" test $? -eq 0
check "the records name the jail's interfaces, addresses and routes" test "$(own_rows)" -gt 10
out=$(j6 destroy 2>&1); rc=$?
check "destroy: the host snapshot is back" test "$(snapshot)" = "$before"
check "destroy leaves no ownership record" test "$(own_rows)" = 0
check "destroy leaves no jail record" test "$(jail_rows)" = 0
# someone makes what jail6 once had: a bridge kb1 with its address, and a
# namespace k1 holding a veth named like the jail's
H ip link add kb1 type bridge && H ip addr add 2001:db8:1::1/64 dev kb1 nodad
mkns k1 && nsenter --net="$R/k1" ip link add ke1b type veth peer name kx1
snap2=$(snapshot; nsenter --net="$R/k1" ip -o link show | awk -F': ' '{print $2}' | sort)
out=$(j6 destroy 2>&1); rc=$?
after=$(snapshot; nsenter --net="$R/k1" ip -o link show | awk -F': ' '{print $2}' | sort)
if [ $rc -eq 0 ] && grep -q "nothing to destroy" <<<"$out" && [ "$snap2" = "$after" ]; then ok "destroy leaves a look-alike bridge and namespace alone"; else nok "destroy leaves look-alikes alone" "rc=$rc" "$out"; fi
out=$(j6 destroy k1 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q "not created by jail6" <<<"$out" && [ -e "$R/k1" ]; then ok "destroy k1: not created by jail6"; else nok "destroy k1 refuses" "rc=$rc" "$out"; fi

# ---- 2. a foreign namespace named like a jail: conflict, never running
out=$(j6 status 2>&1); rc=$?
if [ $rc -eq 3 ] && grep -q "jail k1: conflict" <<<"$out" && ! grep -q "jail k1: running" <<<"$out"; then ok "status: a foreign namespace named like a jail is a conflict (exit 3)"; else nok "status: conflict" "rc=$rc" "$out"; fi
out=$(j6 list 2>&1)
if grep -qE '^k1 +conflict' <<<"$out" && ! grep -E '^k1 ' <<<"$out" | grep -q 2001:; then ok "list: conflict, and no address for it"; else nok "list: conflict" "$out"; fi
out=$(j6 exec k1 true 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q "not a jail of jail6's" <<<"$out"; then ok "exec refuses a namespace jail6 did not make"; else nok "exec refuses a foreign namespace" "rc=$rc" "$out"; fi
out=$(j6 exec host true 2>&1); rc=$?
if [ $rc -ne 0 ]; then ok "exec refuses the host's namespace"; else nok "exec refuses the host's namespace" "$out"; fi
out=$(j6 apply 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q "conflict" <<<"$out"; then ok "apply refuses the clash"; else nok "apply refuses the clash" "rc=$rc" "$out"; fi
H ip link del kb1
nsenter --net="$R/k1" ip link del ke1b; umount "$R/k1"; rm -f "$R/k1"

# ---- 3. a failed apply leaves no claim; a foreign link with a claimed name survives
sed -i 's/^bridge kb1 { /bridge kb1 { members = nosuch0; /' "$C"
out=$(j6 apply 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q "nosuch0" <<<"$out"; then ok "apply fails at a missing bridge member"; else nok "apply fails at a missing member" "rc=$rc" "$out"; fi
check "no claim is left" test "$(sqlite3 "$S/jail6.db" 'SELECT count(*) FROM own WHERE flags & 2')" = 0
check "no record of what never ran (the jails)" test "$(sqlite3 "$S/jail6.db" "SELECT count(*) FROM own WHERE kind = 'jail'")" = 0
H ip link add ke2a type veth peer name kx2
sed -i 's/members = nosuch0; //' "$C"
out=$(j6 apply 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q "ke2a" <<<"$out" && H ip link show ke2a >/dev/null 2>&1; then ok "a foreign link with a never-made name is a conflict, not deleted"; else nok "foreign link with a claimed name" "rc=$rc" "$out"; fi
out=$(j6 destroy 2>&1)
check "... and destroy leaves it too" eval "H ip link show dev ke2a >/dev/null"
H ip link del ke2a
check "the host is as before" test "$(snapshot)" = "$before"

# ---- 3b. an apply killed as an action starts, before it made its object:
# its claim is not ownership; a link "the admin" then makes with that name
# is a conflict for apply and destroy leaves it
k=$(j6 apply -n 2>/dev/null | grep '^ *[0-9]' | grep -n 'ke3a: create veth pair' | cut -d: -f1)
JAIL6_TEST_KILL_AT_START=$k j6t apply >/dev/null 2>&1; rc=$?
check "apply killed as it starts ke3a's veth (action $k)" test $rc -eq 137 -a -n "$k"
check "... which it had not made" eval "! H ip link show dev ke3a >/dev/null 2>&1"
H ip link add ke3a type veth peer name kx3
out=$(j6 apply 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q "ke3a" <<<"$out" && H ip link show ke3a >/dev/null 2>&1; then ok "the admin's link with the in-flight name is a conflict, not jail6's"; else nok "in-flight claim: foreign link is a conflict" "rc=$rc" "$out"; fi
out=$(j6 destroy 2>&1)
check "... and destroy leaves it" eval "H ip link show dev ke3a >/dev/null 2>&1"
check "... with no record of it" test "$(sqlite3 "$S/jail6.db" "SELECT count(*) FROM own WHERE name = 'ke3a' OR ifname = 'ke3a'")" = 0
H ip link del ke3a
out=$(j6 destroy 2>&1)
check "the host is as before" test "$(snapshot)" = "$before"
# and killed as each action starts: the next apply completes (what ran is
# jail6's, what did not is made), destroy restores the host
n=$(j6 apply -n 2>/dev/null | grep -c '^ *[0-9]')
allk=1
for ((k = 1; k <= n; k++)); do
	JAIL6_TEST_KILL_AT_START=$k j6t apply >/dev/null 2>&1
	out=$(j6 apply 2>&1); rc=$?
	out2=$(j6 destroy 2>&1); rc2=$?
	if [ $rc -ne 0 ] || [ $rc2 -ne 0 ] || [ "$(snapshot)" != "$before" ] || [ "$(own_rows)" != 0 ]; then
		nok "apply killed as action $k of $n starts: apply, then destroy, complete" "rc=$rc $rc2" "$out" "$out2" "rows $(own_rows)"
		allk=0
	fi
done
[ $allk -eq 1 ] && ok "apply killed as each of its $n actions starts: the next apply completes, destroy restores the host"

# ---- 4. kill -9 of destroy, and of stop, at every action
j6 apply >/dev/null 2>&1
n=$(j6 destroy -n 2>/dev/null | grep -c '^ *[0-9]')
allk=1
for ((k = 1; k < n; k++)); do
	JAIL6_TEST_KILL_AFTER=$k j6t destroy >/dev/null 2>&1
	out=$(j6 destroy 2>&1); rc=$?
	if [ $rc -ne 0 ] || [ "$(snapshot)" != "$before" ] || [ "$(own_rows)" != 0 ] || [ "$(jail_rows)" != 0 ]; then
		nok "destroy killed after $k of $n actions: the next destroy completes" "rc=$rc" "$out" "rows $(own_rows) jails $(jail_rows)" "$(diff <(echo "$before") <(snapshot))"
		allk=0
	fi
	j6 apply >/dev/null 2>&1
done
[ $allk -eq 1 ] && ok "destroy killed after each of its $n actions: the next destroy restores the host and leaves no record"
n=$(j6 stop -n k2 2>/dev/null | grep -c '^ *[0-9]')
allk=1
for ((k = 1; k < n; k++)); do
	JAIL6_TEST_KILL_AFTER=$k j6t stop k2 >/dev/null 2>&1
	out=$(j6 stop k2 2>&1); rc=$?
	st=$(j6 status --json 2>/dev/null | jq -r '.jails[] | select(.name=="k2") | .state')
	if [ $rc -ne 0 ] || [ -e "$R/k2" ] || [ "$st" != stopped ]; then
		nok "stop killed after $k of $n actions: the next stop completes" "rc=$rc" "$out" "state $st"; allk=0
	fi
	j6 start k2 >/dev/null 2>&1
done
[ $allk -eq 1 ] && ok "stop killed after each of its $n actions: the next stop completes"
check "k2 keeps its auto address across the stops" test "$(j6 exec k2 ip -6 -o addr show dev ke2b scope global | awk '{print $4}')" = 2001:db8:1::2/64

# ---- 5. a jail missing its UTS namespace: drift, exec refuses, apply repairs
hn=$(hostname)
umount "$S/run/ns/k3.uts" && rm -f "$S/run/ns/k3.uts"
out=$(j6 status 2>&1); rc=$?
if [ $rc -eq 3 ] && grep -q "jail k3: incomplete" <<<"$out"; then ok "a jail without its UTS namespace is drift (exit 3)"; else nok "incomplete jail: drift" "rc=$rc" "$out"; fi
out=$(j6 exec k3 hostname x 2>&1); rc=$?
if [ $rc -ne 0 ] && [ "$(hostname)" = "$hn" ]; then ok "exec refuses the incomplete jail (the caller's hostname is untouched)"; else nok "exec refuses an incomplete jail" "rc=$rc" "$out" "hostname now $(hostname)"; hostname "$hn"; fi
out=$(j6 apply 2>&1); rc=$?
check "apply repairs it" test $rc -eq 0
check "... its hostname is its own" test "$(j6 exec k3 hostname)" = k3
check "... and the auto address is the same" test "$(j6 exec k3 ip -6 -o addr show dev ke3b scope global | awk '{print $4}')" = 2001:db8:1::4/64
out=$(j6 apply 2>&1); check "... after which apply has nothing to do" grep -q "nothing to do" <<<"$out"

# ---- 6. two instances whose runtime dirs share a parent
mkns ha; mkns hb
cat >"$T/a.conf" <<CONF
bridge ab { address = 2001:db8:a::1/64; }
jail ja { confine = no; hostname = "ja.example"; interface ea { bridge = ab; address = 2001:db8:a::2/64; } }
CONF
cat >"$T/b.conf" <<CONF
bridge bb { address = 2001:db8:b::1/64; }
jail jb { confine = no; hostname = "jb.example"; interface eb { bridge = bb; address = 2001:db8:b::2/64; } }
CONF
ja() { "$BIN" -f "$T/a.conf" -s "$T/sa" --runtime-dir "$R" --host-netns ha "$@"; }
jb() { "$BIN" -f "$T/b.conf" -s "$T/sb" --runtime-dir "$R" --host-netns hb "$@"; }
ja apply >/dev/null 2>&1; ra=$?; jb apply >/dev/null 2>&1; rb=$?
check "two instances beside each other both apply" test $ra -eq 0 -a $rb -eq 0
check "each jail reports its own hostname" test "$(ja exec ja hostname) $(jb exec jb hostname)" = "ja.example jb.example"
check "their run dirs are their own" test -f "$T/sa/run/ns/ja.uts" -a -f "$T/sb/run/ns/jb.uts" -a ! -e "$T/sa/run/ns/jb.uts"
ja status >/dev/null 2>&1; ra=$?; jb status >/dev/null 2>&1; rb=$?
check "both in sync" test $ra -eq 0 -a $rb -eq 0
ja destroy >/dev/null 2>&1; ra=$?
check "destroying one leaves the other" test $ra -eq 0 -a -e "$R/jb" -a ! -e "$R/ja"
jb destroy >/dev/null 2>&1; check "the other destroys too" test $? -eq 0 -a ! -e "$R/jb"
umount "$R/ha" "$R/hb"; rm -f "$R/ha" "$R/hb"

# ---- 7. the input's edges
mkfifo "$T/fifo.conf"
out=$(timeout 10 "$BIN" -f "$T/fifo.conf" check 2>&1); rc=$?
if [ $rc -eq 2 ] && grep -q "fifo.conf: not a regular file" <<<"$out"; then ok "-f of a FIFO is refused at once"; else nok "-f of a FIFO" "rc=$rc" "$out"; fi
printf 'include "%s";\n' "$T/fifo.conf" >"$T/inc.conf"
out=$(timeout 10 "$BIN" -f "$T/inc.conf" check 2>&1); rc=$?
if [ $rc -eq 2 ] && grep -q "inc.conf:1:9: include .*not a regular file" <<<"$out"; then ok "include of a FIFO: FILE:LINE:COL, at once"; else nok "include of a FIFO" "rc=$rc" "$out"; fi
snap=$(snapshot)
: >"$T/empty.conf"
out=$("$BIN" -f "$T/empty.conf" -s "$S" --runtime-dir "$R" --host-netns host apply 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q -- "--prune" <<<"$out" && grep -q "would k1: destroy jail" <<<"$out" && [ "$(snapshot)" = "$snap" ]; then ok "an empty file: apply stops, lists what it would remove, changes nothing"; else nok "empty file needs --prune" "rc=$rc" "$out"; fi
sed -n '1,5p' "$C" >"$T/cut.conf"  # the bridge and k1: cut after a block
out=$("$BIN" -f "$T/cut.conf" -s "$S" --runtime-dir "$R" --host-netns host apply 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q "removes 2 of the 3 jails" <<<"$out" && [ "$(snapshot)" = "$snap" ]; then ok "a cut-short file: apply stops"; else nok "cut-short file" "rc=$rc" "$out"; fi
out=$("$BIN" -f "$T/cut.conf" -s "$S" --runtime-dir "$R" --host-netns host apply --prune 2>&1); rc=$?
check "--prune lets it remove them" test $rc -eq 0 -a ! -e "$R/k2"
j6 apply >/dev/null 2>&1
mkdir -p "$T/s0" && : >"$T/s0/jail6.db"
out=$("$BIN" -f "$C" -s "$T/s0" --runtime-dir "$R" --host-netns host apply 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q "$T/s0/jail6.db: empty file, not a jail6 store" <<<"$out" && [ ! -s "$T/s0/jail6.db" ]; then ok "a 0-byte state db is refused and left as it is"; else nok "0-byte state db" "rc=$rc" "$out"; fi
out=$(j6 destroy 2>&1); rc=$?
check "destroy at the end: the host is as before" test $rc -eq 0 -a "$(snapshot)" = "$before"
check "... and no record is left" test "$(own_rows)" = 0
