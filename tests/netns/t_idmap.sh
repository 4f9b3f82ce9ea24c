#!/usr/bin/env bash
# The id ranges of confined jails through the CLI: apply leases each
# confined jail a range of its own (none for confine = no), shows it in the
# plan, keeps it across a second apply and stop/start, and releases it on
# destroy NAME and on apply --prune; a jail made after a destroy gets the
# lowest free range again; root's delegation in subuid/subgid files (named
# through the test build's hooks, util/testhook.h) is the pool, and a
# garbage line in them stops apply before anything changes, naming the file
# and line; a full destroy leaves no lease. Root only; throwaway namespaces
# under a mktemp dir; everything removed on exit.
set -u
cd "$(dirname "$0")/../.."
. tests/netns/lib.sh
BIN=${JAIL6_TEST:-$PWD/$BUILD/tests/jail6}

t_need_root t_idmap
# a mount namespace of its own: where newuidmap is installed, liblxc maps
# the jails' ids through it, and it reads /etc/subuid and /etc/subgid,
# which are bound below to a file delegating every range this test uses
t_private_mounts "$@"

t_tmp t_idmap
chmod 0711 "$T"   # the jails' mapped root reaches the lxc dir under the state dir
R=$T/netns S=$T/state C=$T/jail6.conf
mkdir -p "$R"
# the pool files: empty (root delegates nothing: the default pool) until
# a step writes them
: >"$T/subuid"
: >"$T/subgid"
export JAIL6_TEST_SUBUID=$T/subuid JAIL6_TEST_SUBGID=$T/subgid
if command -v newuidmap >/dev/null; then
	printf 'root:1000000000:1000000000\nroot:300000:131072\n' >"$T/etc-subid"
	mount --bind "$T/etc-subid" /etc/subuid && mount --bind "$T/etc-subid" /etc/subgid ||
		{ echo "not ok bind a test /etc/subuid"; exit 1; }
fi
t_cleanup() {
	for s in "$S" "$T/s2"; do
		"$BIN" -f "$C" -s "$s" --runtime-dir "$R" --host-netns host --lock-timeout 5 destroy >/dev/null 2>&1
	done
}

# "NAME:BASE+COUNT ..." of the leases in state dir $1, by base
leases() { sqlite3 "$1/jail6.db" "SELECT group_concat(jail || ':' || base || '+' || count, ' ') FROM (SELECT * FROM idmap_lease ORDER BY base)" 2>/dev/null; }
conf() { # the jails named, each with one interface on bridge idb0
	{
		echo "bridge idb0 { address = 2001:db8:7::1/64; }"
		for j in "$@"; do
			case $j in
			n) echo "jail n { confine = no; interface ixn { bridge = idb0; address = auto; } }" ;;
			*) echo "jail $j { interface ix${j} { bridge = idb0; address = auto; } }" ;;
			esac
		done
	} >"$C"
}

t_hostns

# ---- 1. two confined jails get disjoint ranges, the unconfined one none
conf a b n
out=$(j6 apply 2>&1); rc=$?
check "apply" test $rc -eq 0
if grep -q "a: create jail (hostname a, confined, ids 1000000000-1000065535)" <<<"$out" &&
	grep -q "b: create jail (hostname b, confined, ids 1000065536-1000131071)" <<<"$out" &&
	grep -q "n: create jail (hostname n, not confined)" <<<"$out"; then
	ok "apply says each jail's confinement and ids"
else
	nok "apply says each jail's confinement and ids" "$out"
fi
check "the store holds one range per confined jail, disjoint" test "$(leases "$S")" = "a:1000000000+65536 b:1000065536+65536"
out=$(j6 apply 2>&1)
check "a second apply: nothing to do" grep -q "nothing to do" <<<"$out"
check "... and the same ranges" test "$(leases "$S")" = "a:1000000000+65536 b:1000065536+65536"

# ---- 2. stop keeps the range, start uses it again
out=$(j6 stop a 2>&1); rc=$?
check "stop a" test $rc -eq 0
check "a stopped jail keeps its range" test "$(leases "$S")" = "a:1000000000+65536 b:1000065536+65536"
out=$(j6 start a 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q "a: create jail (hostname a, confined, ids 1000000000-1000065535)" <<<"$out"; then ok "start a: the same ids"; else nok "start a: the same ids" "rc=$rc" "$out"; fi

# ---- 2b. a reboot: the kernel's state is gone (every process, cgroup,
# namespace and mount of the jails, a new empty host namespace), the state
# dir is kept, stale records and all: one apply brings every jail back with
# the same ids and the same addresses
jail_addrs() { local j; for j in a b n; do echo "$j $(nsenter --net="$R/$j" ip -6 -o addr show scope global 2>/dev/null | awk '{ print $4 }')"; done; }
uid_base() { awk '$1 == "pid" { print $2 }' "$S/run/lxc/$1/jail6" 2>/dev/null | { read -r p && awk '{ print $2 }' "/proc/$p/uid_map"; }; }
before=$(jail_addrs)
t_lxc_leftovers a b
t_umount_under "$R"
t_umount_under "$S/run"
rm -f "$R"/*
t_hostns
out=$(j6 status 2>&1); rc=$?
check "after the reboot: status says drift (exit 3)" test $rc -eq 3
out=$(j6 apply 2>&1); rc=$?
check "one apply brings the jails back" test $rc -eq 0 -a -n "$(grep "a: create jail (hostname a, confined, ids 1000000000-1000065535)" <<<"$out")"
expect "... with the same addresses" "$before" "$(jail_addrs)"
check "... (global addresses there at all)" grep -q "a 2001:db8:7::" <<<"$before"
check "... the same leases" test "$(leases "$S")" = "a:1000000000+65536 b:1000065536+65536"
expect "... a's init runs with its range (uid_map)" "1000000000 1000065536" "$(uid_base a) $(uid_base b)"
out=$(j6 status 2>&1); rc=$?
check "... and status is in sync" test $rc -eq 0

# ---- 3. destroy releases; the next jail gets the lowest free range
out=$(j6 destroy a 2>&1); rc=$?
check "destroy a" test $rc -eq 0
check "destroy a releases its range" test "$(leases "$S")" = "b:1000065536+65536"
conf b c n
out=$(j6 apply 2>&1); rc=$?
check "apply with a new jail c" test $rc -eq 0
check "c gets the lowest free range, a's" test "$(leases "$S")" = "c:1000000000+65536 b:1000065536+65536"
out=$(j6 plan --json 2>/dev/null | jq -r '.actions[] | select(.kind == "jail-create" and .jail == "n") | .confined')
check "plan --json: n is not confined" test "$out" = false

# ---- 4. a jail removed from the file goes with apply --prune, and its range too
conf b n
out=$(j6 apply --prune 2>&1); rc=$?
check "apply --prune without c" test $rc -eq 0
check "c's range is released" test "$(leases "$S")" = "b:1000065536+65536"

# ---- 5. a full destroy leaves no lease
conf b n
out=$(j6 destroy 2>&1); rc=$?
check "destroy" test $rc -eq 0
check "no lease is left" test "$(leases "$S")" = ""
check "no jail namespace is left" test "$(ls "$R")" = host

# ---- 6. root's delegation is the pool; garbage in it is an error naming the line
echo "root:300000:131072" >"$T/subuid"
printf 'alice:500000:65536\nroot:300000:200000\n' >"$T/subgid"
conf a b
out=$("$BIN" -f "$C" -s "$T/s2" --runtime-dir "$R" --host-netns host --lock-timeout 20 apply 2>&1); rc=$?
check "apply (a second state dir) with a delegated pool" test $rc -eq 0
check "the ranges come from root's delegation" test "$(leases "$T/s2")" = "a:300000+65536 b:365536+65536"
"$BIN" -f "$C" -s "$T/s2" --runtime-dir "$R" --host-netns host --lock-timeout 20 destroy >/dev/null 2>&1
check "destroy in the second state dir leaves no lease" test "$(leases "$T/s2")" = ""
printf 'root:300000:131072\nroot:300000\n' >"$T/subuid"
before=$(ls "$R" | sort)
out=$("$BIN" -f "$C" -s "$T/s2" --runtime-dir "$R" --host-netns host --lock-timeout 20 apply 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -qF "$T/subuid:2: not a NAME:FIRST:COUNT line" <<<"$out" && [ "$(ls "$R" | sort)" = "$before" ]; then
	ok "a garbage line stops apply, naming file and line; no jail made"
else
	nok "a garbage line stops apply" "rc=$rc" "$out"
fi
: >"$T/subuid"
: >"$T/subgid"
