#!/usr/bin/env bash
# jail6 apply / status / destroy / start / stop / exec / list end to end on
# Linux, root only. The "host" is a throwaway network namespace and every
# jail lives in a private runtime dir (--host-netns, --runtime-dir), so the
# machine's own namespace and /run/netns are never touched. Everything is
# removed on exit, failed or not. Traffic uses 2001:db8::/32 only.
set -u
cd "$(dirname "$0")/../.."
. tests/netns/lib.sh
BIN=$PWD/$BUILD/jail6

t_need_root t_apply
t_tmp t_apply
R=$T/netns S=$T/state C=$T/jail6.conf
mkdir -p "$R"
t_cleanup() {
	"$BIN" -f "$C" -s "$S" --runtime-dir "$R" --host-netns host --lock-timeout 5 destroy >/dev/null 2>&1
	for p in $(jobs -p); do kill -KILL "$p" 2>/dev/null; done
}

# jail6 of the test build: JAIL6_TEST_KILL_AFTER works only there
j6t() { "${JAIL6_TEST:-$PWD/$BUILD/tests/jail6}" -f "$C" -s "$S" --runtime-dir "$R" --host-netns host --lock-timeout 20 "$@"; }
# A snapshot of the host namespace: links (name, kind, master), addresses,
# routes, the forwarding sysctl, and the namespaces in the runtime dir.
snapshot() {
	H ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort
	H ip -o addr show | awk '{print $2, $4}' | grep -v ' fe80:' | sort
	H ip -6 route show | sort; H ip -4 route show | sort
	H sysctl -n net.ipv6.conf.all.forwarding
	ls "$R" | sort
}

# the host namespace, with a documentation-range uplink that jail6 must not touch
t_hostns lo
H ip link add uplink0 type veth peer name uplink1 && H ip addr add 192.0.2.2/24 dev uplink0 && H ip link set uplink0 up

cat >"$C" <<CONF
bridge bridge0 { address = 2001:db8:1::1/64; }
jail www { confine = no;
	interface epair1 { bridge = bridge0; address = 2001:db8:1::3/64; mac = 02:00:00:00:01:0b; }
	exec.start = "/bin/sh", "-c", "echo started > $T/www.started";
}
jail db { confine = no; interface epair2 { bridge = bridge0; address = auto; } }
CONF

before=$(snapshot)
out=$(j6 status 2>&1); rc=$?
if [ $rc -eq 3 ] && grep -q "add address 2001:db8:1::2/64" <<<"$out" && [ ! -e "$S" ]; then
	ok "status before any apply: drift (exit 3), auto address shown, no state dir made"
else
	nok "status before any apply" "rc=$rc" "$out"
fi
out=$(j6 apply 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q "actions applied" <<<"$out"; then ok "apply"; else nok "apply" "rc=$rc" "$out"; fi
check "exec.start ran inside www" test "$(cat "$T/www.started" 2>/dev/null)" = started
# right after apply, the bridge can answer for its jails: its link-local
# address is not left tentative (DAD off on jail6's bridge), so the first
# packets forwarded to a jail do not wait a neighbour-solicitation retransmit
check "bridge0 has DAD off (dad_transmits 0, no delay)" test "$(H cat /proc/sys/net/ipv6/conf/bridge0/dad_transmits) $(H cat /proc/sys/net/ipv6/conf/bridge0/router_solicitation_delay)" = "0 0"
ll=$(H ip -6 -o addr show dev bridge0 scope link)
if grep -q fe80: <<<"$ll" && ! grep -q tentative <<<"$ll"; then ok "bridge0 link-local usable at once"; else nok "bridge0 link-local usable at once" "$ll"; fi
check "the host's uplink keeps its DAD setting" test "$(H cat /proc/sys/net/ipv6/conf/uplink0/dad_transmits)" = 1
out=$(j6 exec www ping -6 -c 1 -W 2 2001:db8:1::1 2>&1); check "www pings the bridge address" test $? -eq 0
db_addr=$(j6 exec db ip -6 -o addr show dev epair2b scope global | awk '{print $4}')
check "db got the lowest free auto address" test "$db_addr" = 2001:db8:1::2/64
out=$(j6 exec db ping -6 -c 1 -W 2 2001:db8:1::3 2>&1); check "db pings www" test $? -eq 0
route=$(j6 exec www ip -6 route show default)
check "www default route is the bridge address" grep -q "default via 2001:db8:1::1 dev epair1b" <<<"$route"
mac=$(j6 exec www cat /sys/class/net/epair1b/address)
check "www epair1b has the configured MAC" test "$mac" = 02:00:00:00:01:0b
check "uplink0 untouched" test "$(H ip -o -4 addr show dev uplink0 | awk '{print $4}')" = 192.0.2.2/24

out=$(j6 apply 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q "nothing to do" <<<"$out"; then ok "second apply changes nothing"; else nok "second apply changes nothing" "$out"; fi
check "exec.start ran only once" test "$(wc -l <"$T/www.started")" -eq 1

out=$(j6 status 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q "in sync" <<<"$out" && grep -q "member: epair1a" <<<"$out"; then ok "status in sync"; else nok "status in sync" "rc=$rc" "$out"; fi
js=$(j6 status --json); rc=$?
check "status --json is valid and in sync" test "$(jq -r '.in_sync' <<<"$js")" = true
check "status --json lists www's address" test "$(jq -r '.jails[] | select(.name=="www") | .interfaces[0].addresses[0]' <<<"$js")" = 2001:db8:1::3/64

# drift: remove an address behind jail6's back
j6 exec www ip -6 addr del 2001:db8:1::3/64 dev epair1b
out=$(j6 status 2>&1); rc=$?
if [ $rc -eq 3 ] && grep -q "add address 2001:db8:1::3/64" <<<"$out"; then ok "status reports drift (exit 3)"; else nok "status reports drift (exit 3)" "rc=$rc" "$out"; fi
out=$(j6 apply 2>&1)
if [ "$(grep -c '' <<<"$out")" -le 3 ] && grep -q "add address 2001:db8:1::3/64" <<<"$out"; then ok "apply repairs only the drift"; else nok "apply repairs only the drift" "$out"; fi

# list
out=$(j6 list); check "list shows both running" test "$(grep -c running <<<"$out")" -eq 2

# a foreign object is never changed: a hand-made bridge named like ours
cp "$C" "$T/saved.conf"
echo 'bridge br9 { address = 2001:db8:9::1/64; }' >>"$C"
H ip link add br9 type bridge
out=$(j6 apply 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q "br9" <<<"$out" && ! H ip -6 addr show dev br9 | grep -q 2001:db8:9::1; then ok "clash with a foreign bridge: error names it, nothing changed"; else nok "clash with a foreign bridge" "rc=$rc" "$out"; fi
sed -i 's/bridge br9 { /bridge br9 { adopt = yes; /' "$C"
out=$(j6 apply 2>&1); rc=$?
check "adopt = yes uses the foreign bridge" test $rc -eq 0
cp "$T/saved.conf" "$C"
out=$(j6 apply 2>&1); rc=$?
if [ $rc -eq 0 ] && H ip link show br9 >/dev/null 2>&1 && ! H ip -6 addr show dev br9 | grep -q 2001:db8:9::1; then ok "dropping an adopted bridge keeps it, removes only jail6's address"; else nok "dropping an adopted bridge" "$out"; fi
H ip link del br9

# auto addresses are stable while other jails come and go
cat >>"$C" <<'CONF'
jail cache { confine = no; interface epair3 { bridge = bridge0; address = auto; } }
CONF
j6 apply >/dev/null 2>&1
check "cache gets the next free address" test "$(j6 exec cache ip -6 -o addr show dev epair3b scope global | awk '{print $4}')" = 2001:db8:1::4/64
grep -v '^jail db' "$C" >"$T/c2" && cp "$T/c2" "$C"
out=$(j6 apply 2>&1)
check "removing db from the file destroys it" test ! -e "$R/db"
check "cache keeps its address when db goes" test "$(j6 exec cache ip -6 -o addr show dev epair3b scope global | awk '{print $4}')" = 2001:db8:1::4/64
echo 'jail db { confine = no; interface epair2 { bridge = bridge0; address = auto; } }' >>"$C"
j6 apply >/dev/null 2>&1
check "db comes back on the lowest free address" test "$(j6 exec db ip -6 -o addr show dev epair2b scope global | awk '{print $4}')" = 2001:db8:1::2/64
check "cache still on its address" test "$(j6 exec cache ip -6 -o addr show dev epair3b scope global | awk '{print $4}')" = 2001:db8:1::4/64

# stop keeps the address, apply leaves a stopped jail stopped, start brings it back
j6 stop cache >/dev/null 2>&1; check "stop removes the jail" test ! -e "$R/cache"
out=$(j6 apply 2>&1); check "apply leaves a stopped jail stopped" test ! -e "$R/cache"
j6 start cache >/dev/null 2>&1
check "start brings it back on the same address" test "$(j6 exec cache ip -6 -o addr show dev epair3b scope global | awk '{print $4}')" = 2001:db8:1::4/64
# restart -n shows the stop and then the start, planned as after the stop
out=$(j6 restart -n cache 2>&1); rc=$?
check "restart -n: the jail's destroy, then its creation and address" test $rc -eq 0 -a \
	-n "$(grep -n 'cache: destroy jail' <<<"$out" | head -1)" -a \
	"$(grep -n 'cache: create jail' <<<"$out" | cut -d: -f1)" -gt "$(grep -n 'cache: destroy jail' <<<"$out" | cut -d: -f1)" -a \
	-n "$(grep '2001:db8:1::4/64' <<<"$out")"
[ $rc -eq 0 ] || echo "$out" | sed 's/^/#   /'
check "... and changes nothing" test -e "$R/cache"
out=$(j6 restart cache 2>&1); check "restart" test $? -eq 0 -a -e "$R/cache"

# stop --shutdown (jail6.service's ExecStop): every jail goes, none is marked
# stopped, the bridge stays; the next apply (the boot's) brings them back
j6 stop --shutdown >/dev/null 2>&1
check "stop --shutdown removes every jail" test ! -e "$R/www" -a ! -e "$R/db" -a ! -e "$R/cache"
check "stop --shutdown leaves the bridge" test -n "$(H ip -o link show bridge0 2>/dev/null)"
out=$(j6 apply 2>&1)
check "apply after stop --shutdown starts them again, on their addresses" test \
	"$(j6 exec db ip -6 -o addr show dev epair2b scope global | awk '{print $4}') $(j6 exec cache ip -6 -o addr show dev epair3b scope global | awk '{print $4}')" \
	= "2001:db8:1::2/64 2001:db8:1::4/64"

# exec returns the command's status; unknown jails are errors
j6 exec www sh -c 'exit 7'; check "exec returns the exit status" test $? -eq 7
out=$(j6 exec nosuch true 2>&1); rc=$?; check "exec into a missing jail fails" test $rc -ne 0
out=$(j6 exec 'x;rm' true 2>&1); rc=$?; check "exec rejects a bad jail name" test $rc -eq 2

# destroy one jail, then everything: the host is as it was
j6 destroy cache >/dev/null 2>&1; check "destroy one jail" test ! -e "$R/cache" -a -e "$R/www"
out=$(j6 destroy 2>&1); rc=$?
after=$(snapshot)
if [ $rc -eq 0 ] && [ "$before" = "$after" ]; then ok "destroy restores the host snapshot"; else nok "destroy restores the host snapshot" "rc=$rc" "$out" "$(diff <(echo "$before") <(echo "$after"))"; fi
out=$(j6 destroy 2>&1); check "destroy twice: nothing to destroy" grep -q "nothing to destroy" <<<"$out"

# kill -9 during apply after k actions: the next apply converges
for k in 1 3 5 9 12 16; do
	JAIL6_TEST_KILL_AFTER=$k j6t apply >/dev/null 2>&1
	out=$(j6 apply 2>&1); rc1=$?
	out2=$(j6 apply 2>&1); rc2=$?
	j6 status >/dev/null 2>&1; rc3=$?
	if [ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] && grep -q "nothing to do" <<<"$out2" && [ $rc3 -eq 0 ]; then
		ok "killed after $k actions: next apply converges"
	else
		nok "killed after $k actions: next apply converges" "$out" "$out2"
	fi
	j6 destroy >/dev/null 2>&1
done
after=$(snapshot)
check "after the kill runs and destroy the host is as before" test "$before" = "$after"
# the product binary has no test hooks: the variable changes nothing
JAIL6_TEST_KILL_AFTER=1 j6 apply >/dev/null 2>&1; rc=$?
out=$(j6 apply 2>&1)
if [ $rc -eq 0 ] && grep -q "nothing to do" <<<"$out"; then ok "jail6 itself ignores JAIL6_TEST_KILL_AFTER"; else nok "jail6 itself ignores JAIL6_TEST_KILL_AFTER" "rc=$rc" "$out"; fi
j6 destroy >/dev/null 2>&1

# killed after the jail was made but before its exec.start ran: the jail is
# marked, status shows the exec as drift, the next apply runs it (once)
rm -f "$T/www.started"
k=$(( $(j6 plan | grep -n ' www: exec ' | head -1 | cut -d: -f1) - 1 ))
JAIL6_TEST_KILL_AFTER=$k j6t apply >/dev/null 2>&1
check "killed just before exec.start (after $k actions): www exists, exec.start has not run" \
	test -e "$R/www" -a ! -e "$T/www.started"
out=$(j6 status 2>&1); rc=$?
if [ $rc -eq 3 ] && grep -q "www: exec" <<<"$out"; then ok "status shows the pending exec.start (exit 3)"; else nok "status shows the pending exec.start" "rc=$rc" "$out"; fi
out=$(j6 apply 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q "www: exec" <<<"$out" && ! grep -q "www: create jail" <<<"$out"; then ok "the next apply runs exec.start in the existing jail"; else nok "the next apply runs exec.start" "rc=$rc" "$out"; fi
check "exec.start ran" test "$(cat "$T/www.started" 2>/dev/null)" = started
out=$(j6 apply 2>&1)
check "then nothing to do, exec.start ran once" test "$(grep -c "nothing to do" <<<"$out") $(wc -l <"$T/www.started")" = "1 1"
j6 destroy >/dev/null 2>&1

# a failing exec.start fails the apply and is run again by the next one
C2=$T/retry.conf
cat >"$C2" <<CONF
bridge bridge0 { address = 2001:db8:1::1/64; }
jail retry { confine = no;
	interface epair6 { bridge = bridge0; address = 2001:db8:1::6/64; }
	exec.start = "/bin/sh", "-c", "test -e $T/go && echo ran >> $T/retry.ran";
}
CONF
r6() { "$BIN" -f "$C2" -s "$S" --runtime-dir "$R" --host-netns host --lock-timeout 20 "$@"; }
out=$(r6 apply 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q "exited with status 1" <<<"$out" && [ -e "$R/retry" ]; then ok "a failing exec.start fails apply, naming the status"; else nok "a failing exec.start fails apply" "rc=$rc" "$out"; fi
touch "$T/go"
out=$(r6 apply 2>&1); rc=$?
check "the next apply runs it again, and it succeeds" test $rc -eq 0 -a "$(cat "$T/retry.ran" 2>/dev/null)" = ran
out=$(r6 apply 2>&1)
check "then nothing to do" grep -q "nothing to do" <<<"$out"
r6 destroy >/dev/null 2>&1

# two applies at once serialize: one does the work, the other finds nothing to do
j6 apply >"$T/a1" 2>&1 & p1=$!
j6 apply >"$T/a2" 2>&1 & p2=$!
wait $p1; r1=$?; wait $p2; r2=$?
n_nothing=$(cat "$T/a1" "$T/a2" | grep -c "nothing to do")
if [ $r1 -eq 0 ] && [ $r2 -eq 0 ] && [ "$n_nothing" -eq 1 ]; then ok "two concurrent applies serialize"; else nok "two concurrent applies serialize" "$(cat "$T/a1" "$T/a2")"; fi
# a held lock makes a run wait, then fail clearly
exec 9>>"$S/lock"; flock -x 9
out=$("$BIN" -f "$C" -s "$S" --runtime-dir "$R" --host-netns host --lock-timeout 1 apply 2>&1); rc=$?
exec 9>&-
if [ $rc -ne 0 ] && grep -q "locked by another jail6 run" <<<"$out"; then ok "a held lock times out with a clear message"; else nok "lock timeout" "rc=$rc" "$out"; fi
j6 destroy >/dev/null 2>&1

# Many jails with few file descriptors: jail6 keeps a bounded number of
# jails' namespaces open (16), so 40 jails fit under 64 open files, where
# one netns fd and one socket per jail would not.
{ echo "bridge bridge0 { address = 2001:db8:1::1/64; }"
  for i in $(seq 1 40); do printf 'jail m%d { confine = no; interface f%d { bridge = bridge0; address = 2001:db8:1::%x/64; } }\n' $i $i $((i + 16)); done
} >"$C"
out=$( (ulimit -n 64 && j6 apply) 2>&1); rc=$?
if [ $rc -eq 0 ] && [ "$(grep -c 'create jail' <<<"$out")" -eq 40 ]; then ok "40 jails apply under 64 open files"; else nok "40 jails apply under 64 open files" "rc=$rc" "$out"; fi
out=$( (ulimit -n 64 && j6 status) 2>&1); rc=$?
if [ $rc -eq 0 ] && [ "$(grep -c '^jail m[0-9]*: running' <<<"$out")" -eq 40 ]; then ok "status of 40 jails under 64 open files: in sync, all running"; else nok "status of 40 jails" "rc=$rc" "$(tail -5 <<<"$out")"; fi
out=$( (ulimit -n 64 && j6 destroy) 2>&1); rc=$?
check "destroy of 40 jails under 64 open files" test $rc -eq 0 -a "$(ls "$R" | grep -c '^m')" -eq 0

# a jail with a root path: its own root and hostname
if [ -x /bin/busybox ]; then
	root=$T/root; mkdir -p "$root/bin" "$root/proc"; cp /bin/busybox "$root/bin/"
	for c in sh hostname ls cat ip; do ln -s busybox "$root/bin/$c"; done
	cat >"$C" <<CONF
bridge bridge0 { address = 2001:db8:1::1/64; }
jail rooted { confine = no;
	hostname = "rooted.example";
	path = "$root";
	interface epair5 { bridge = bridge0; address = 2001:db8:1::5/64; }
}
CONF
	j6 apply >/dev/null 2>&1
	check "a jail with a root path reports its own hostname" test "$(j6 exec rooted /bin/hostname)" = rooted.example
	check "a jail with a root path sees its own root" test "$(j6 exec rooted /bin/ls / | tr '\n' ' ')" = "bin proc "
	j6 destroy >/dev/null 2>&1
	check "destroy removes the rooted jail" test ! -e "$R/rooted"
else
	echo "skip t_apply:rooted_jail /bin/busybox missing (scripts/deps installs busybox-static)"
fi
exit 0
