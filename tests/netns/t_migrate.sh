#!/usr/bin/env bash
# A state dir written by the previous release (schema 2, the fixture
# tests/netns/fixtures/v2-state.db made by make-v2-state.sh with jail6 at
# commit 1d30d7c) is upgraded in place: on a host that holds what that
# release applied, this jail6 finds nothing to do, changes nothing, shows
# the host in sync, and destroy then removes exactly what the old release
# created, and stops the datapath that release started (its pidfile where
# that release kept it, a bare pid). The port filter table, which that
# release would have made with jail6's comment and recorded nowhere, is
# adopted by the migration to schema 5 and removed by destroy. Root only;
# in throwaway namespaces; everything removed on exit.
set -u
cd "$(dirname "$0")/../.."
. tests/netns/lib.sh
BIN=${JAIL6:-$PWD/$BUILD/jail6}
F=$PWD/tests/netns/fixtures

t_need_root t_migrate
t_tmp t_migrate
R=$T/netns
mkdir -p "$R"
# The previous release's jails were bare network namespaces: today's
# confine = no (how an old unconfined jail becomes confined is not what
# this test is about). The fixture stays what that release read.
sed -E 's/^(jail [a-z0-9]+ \{)$/\1 confine = no;/' "$F/v2.conf" >"$T/v2.conf"
t_cleanup() {
	for s in "$T/new" "$T/old"; do
		"$BIN" -f "$T/v2.conf" -s "$s" --runtime-dir "$R" --host-netns host --lock-timeout 5 destroy >/dev/null 2>&1
	done
	pkill -f -- "--runtime-dir $R tunnel run" 2>/dev/null
}

# j6 STATE-DIR ARGS...: jail6 on the old release's config
j6() { local s=$1; shift; "$BIN" -f "$T/v2.conf" -s "$s" --runtime-dir "$R" --host-netns host --lock-timeout 20 "$@"; }
# Addresses as (device, prefix) only: a link-local address's flags move
# on their own (DAD ends, "tentative" goes) and are not jail6's doing.
snapshot() {
	H ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort
	H ip -o addr show | awk '{print $2, $4}' | grep -v ' fe80:' | sort
	H ip -6 route show | sort; H ip -4 route show | sort
	H sysctl -n net.ipv6.conf.all.forwarding
	ls "$R" | sort
	for j in www db; do [ -e "$R/$j" ] && { nsenter --net="$R/$j" ip -o addr show | awk '{print $2, $4}'; nsenter --net="$R/$j" ip -6 route show; } | sort; done
}

. "$F/host.sh"
make_host || { nok "host namespace" "could not make it"; exit 1; }
bare=$(snapshot)

# the host as the old release left it: the same actions (by this jail6),
# the jails' UTS namespaces where that release bound them, dirname(R)/
# jail6/ns/NAME (this jail6's run dir points there), and its tunnel's
# datapath with files where it kept them, dirname(R)/jail6/tunnel/HOSTNS/
# NAME.*, its pidfile holding a bare pid
mkdir -p -m 0700 "$T/new" "$T/jail6"
ln -s "$T/jail6" "$T/new/run"
out=$(j6 "$T/new" apply 2>&1); rc=$?
if [ $rc -eq 0 ]; then ok "the host is set up"; else nok "the host is set up" "$out"; exit 1; fi
# this jail6 binds NAME.uts; that release bound NAME/uts
for j in www db; do
	mkdir -m 0700 "$T/jail6/ns/$j" && : >"$T/jail6/ns/$j/uts" &&
		mount --bind "$T/jail6/ns/$j.uts" "$T/jail6/ns/$j/uts" &&
		umount "$T/jail6/ns/$j.uts" && rm "$T/jail6/ns/$j.uts" ||
		{ nok "the old layout of $j's UTS namespace" "could not make it"; exit 1; }
done
read -r sup _ <"$T/jail6/tunnel/he0.pid"
kill -TERM "$sup"
for _ in $(seq 100); do kill -0 "$sup" 2>/dev/null || break; sleep 0.05; done
L=$T/jail6/tunnel/host
mkdir -p "$L"
"$BIN" --host-netns host --runtime-dir "$R" tunnel run he0 --local 192.0.2.2 --remote 198.51.100.1 --ttl 64 \
	--mtu 1480 --supervise --pidfile "$L/he0.pid" --stats "$L/he0.stats" --log "$L/he0.log" >/dev/null 2>&1
read -r sup _ <"$L/he0.pid"
echo "$sup" >"$L/he0.pid"
for _ in $(seq 100); do [ -s "$L/he0.stats" ] && break; sleep 0.05; done
built=$(snapshot)

mkdir -m 0700 "$T/old"
cp "$F/v2-state.db" "$T/old/jail6.db"
[ "$(sqlite3 "$T/old/jail6.db" 'PRAGMA user_version')" = 2 ] && ok "the fixture is a version-2 store" ||
	nok "the fixture is a version-2 store"

out=$(j6 "$T/old" apply 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q "nothing to do" <<<"$out"; then ok "apply over the old store: nothing to do"; else nok "apply over the old store: nothing to do" "rc=$rc" "$out"; fi
[ "$(sqlite3 "$T/old/jail6.db" 'PRAGMA user_version')" = 5 ] && ok "the store was migrated to version 5 in place" ||
	nok "the store was migrated to version 5 in place" "$(sqlite3 "$T/old/jail6.db" 'PRAGMA user_version')"
# the port filter table (jail6's comment; that release knew it by nothing
# else) is adopted: a record, with the table's handle learnt
n=$(sqlite3 "$T/old/jail6.db" "SELECT count(*) FROM own WHERE kind = 'filter' AND ident > 0")
[ "$n" = 1 ] && ok "the port filter table is adopted (recorded, with its handle)" ||
	nok "the port filter table is adopted" "$n" "$(H nft list tables bridge 2>&1)"
n=$(sqlite3 "$T/old/jail6.db" "SELECT count(*) FROM idmap_lease")
[ "$n" = 0 ] && ok "jails with confine = no lease no id range" || nok "jails with confine = no lease no id range" "$n"
after=$(snapshot)
if [ "$built" = "$after" ]; then ok "the host did not change"; else nok "the host did not change" "$(diff <(echo "$built") <(echo "$after"))"; fi
out=$(j6 "$T/old" status 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q "in sync" <<<"$out"; then ok "status: in sync"; else nok "status: in sync" "rc=$rc" "$out"; fi
n=$(sqlite3 "$T/old/jail6.db" "SELECT count(*) FROM own WHERE kind = 'addr' AND ifname <> '' AND length(addr) IN (4, 16)")
[ "$n" = 4 ] && ok "the four addresses are typed records" || nok "the four addresses are typed records" "$n"
lease=$(sqlite3 "$T/old/jail6.db" "SELECT addr FROM ipam_lease WHERE jail = 'db'")
[ "$lease" = 2001:db8:1::2/64 ] && ok "db keeps its auto address" || nok "db keeps its auto address" "$lease"

# destroy with the old store removes what the old release created
j6 "$T/new" status >/dev/null 2>&1
out=$(j6 "$T/old" destroy 2>&1); rc=$?
after=$(snapshot)
if [ $rc -eq 0 ] && [ "$bare" = "$after" ]; then ok "destroy with the migrated store restores the bare host"; else nok "destroy with the migrated store restores the bare host" "rc=$rc" "$out" "$(diff <(echo "$bare") <(echo "$after"))"; fi
if [ -z "$(H nft list tables bridge 2>/dev/null)" ]; then ok "destroy removes the adopted port filter table"; else nok "destroy removes the adopted port filter table" "$(H nft list tables bridge 2>&1)"; fi
n=$(sqlite3 "$T/old/jail6.db" "SELECT count(*) FROM own WHERE kind <> 'sysctl'")
[ "$n" = 0 ] && ok "no ownership record is left" || nok "no ownership record is left" "$n"
n=$(sqlite3 "$T/old/jail6.db" "SELECT count(*) FROM idmap_lease")
[ "$n" = 0 ] && ok "no id-range lease is left" || nok "no id-range lease is left" "$n"
if pgrep -f -- "--runtime-dir $R .*tunnel run" >/dev/null; then nok "no datapath daemon is left" "$(pgrep -af -- "--runtime-dir $R")"; else ok "no datapath daemon is left"; fi
if [ -e "$L/he0.pid" ]; then nok "the old release's pidfile is gone" "$(ls "$L")"; else ok "the old release's pidfile is gone"; fi
