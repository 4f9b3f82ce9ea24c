#!/usr/bin/env bash
# Jails as namespaces (src/os/linux/{netns,jail}.c) through build/tests/drv_jail.
# Root only. Works in a private temporary runtime directory, never /run/netns,
# and removes everything on exit, failed or not.
set -u
cd "$(dirname "$0")/../.."
. tests/netns/lib.sh
DRV=$PWD/$BUILD/tests/drv_jail

t_need_root t_jail
if [ ! -x "$DRV" ]; then
	echo "not ok drv_jail built ($DRV missing)"
	exit 1
fi

t_tmp t_jail
R=$T/netns                  # the runtime directory
S=$T/run/ns                 # where jail_state_dir() puts the extras (drv_jail: run dir R/../run)
NSLOG=$T/nslog
export DRV_JAIL_NSLOG=$NSLOG
id=$$
J=j$id                      # netns-only jail
K=k$id                      # jail with a root
P=p$id                      # plain netns_create namespace
BG=()

t_cleanup() {
	for pid in "${BG[@]}"; do kill -KILL "$pid" 2>/dev/null; done
	for n in "$J" "$K" "$P" "x$id" "y$id"; do "$DRV" -r "$R" destroy "$n" >/dev/null 2>&1; done
}

drv() { "$DRV" -r "$R" "$@"; }
POLL_TRIES=50   # poll: within 5 s
# sleeps_in NSFILE: "PID START" of each sleep process in the network
# namespace bound at NSFILE (found by namespace, so another run's sleeps
# never count; START, /proc/PID/stat field 22, tells a reused pid apart)
sleeps_in() {
	local ino p f
	ino=$(stat -L -c %i "$1" 2>/dev/null) || return 0
	for p in /proc/[0-9]*; do
		[ "$(stat -L -c %i "$p/ns/net" 2>/dev/null)" = "$ino" ] || continue
		[ "$(cat "$p/comm" 2>/dev/null)" = sleep ] || continue
		f=$(sed 's/^.*) //' "$p/stat" 2>/dev/null) || continue
		set -- $f
		echo "${p#/proc/} ${20}"
	done
}
n_sleeps_in() { [ "$(sleeps_in "$1" | grep -c .)" -eq "$2" ]; }
# alive PID START: that very process still runs (a zombie has ended)
alive() {
	local f
	f=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
	set -- "$1" "$2" $f
	[ "$3" != Z ] && [ "${22}" = "$2" ]
}
# survivors "PID START"...: those of the processes that still run
survivors() { local v; for v in "$@"; do alive $v && echo "$v"; done; }
# end_all PID START [PID START]...: SIGKILL each of these processes
end_all() { while [ $# -ge 2 ]; do alive "$1" "$2" && kill -KILL "$1" 2>/dev/null; shift 2; done; }

# Mount points strictly below runtime/state dir (the dirs themselves are
# self-bind mount points that stay, like iproute2's /run/netns).
mounts_below() { awk -v r="$R/" -v s="$S/" 'index($5, r) == 1 || index($5, s) == 1 { print $5 }' /proc/self/mountinfo; }

# --- plain network namespaces ------------------------------------------------
if drv netns-create "$P" 2>"$T/err"; then ok "netns_create"; else nok "netns_create" "$(cat "$T/err")"; fi
expect "netns_exists after create" 1 "$(drv netns-exists "$P")"
links=$(nsenter --net="$R/$P" ip -o link show | awk -F': ' '{print $2}')
expect "plain netns has only lo" lo "$links"
state=$(nsenter --net="$R/$P" ip -o link show lo | grep -c 'state DOWN')
expect "plain netns keeps lo down like ip netns add" 1 "$state"
drv netns-create "$P" 2>"$T/err"; rc=$?
if [ $rc -ne 0 ] && grep -q "File exists" "$T/err"; then ok "netns_create twice: EEXIST"; else nok "netns_create twice: EEXIST" "rc=$rc" "$(cat "$T/err")"; fi
drv netns-delete "$P" 2>"$T/err"
expect "netns_delete" "0 " "$(drv netns-exists "$P") $(ls -A "$R")"
drv netns-delete "$P" 2>"$T/err"; rc=$?
if [ $rc -ne 0 ] && grep -q "No such file" "$T/err"; then ok "netns_delete absent: ENOENT"; else nok "netns_delete absent: ENOENT" "rc=$rc" "$(cat "$T/err")"; fi
# A placeholder left by a create killed before its bind mount: not listed, and
# a later create replaces it.
: >"$R/$P"
expect "stale placeholder is not a namespace" "0 " "$(drv netns-exists "$P") $(drv list | tr '\n' ' ')"
if drv netns-create "$P" 2>"$T/err" && [ "$(drv netns-exists "$P")" = 1 ]; then ok "create over a stale placeholder"; else nok "create over a stale placeholder" "$(cat "$T/err")"; fi
drv netns-delete "$P"

# --- jail without a root -------------------------------------------------------
if drv create "$J" 2>"$T/err"; then ok "jail_create $J"; else nok "jail_create $J" "$(cat "$T/err")"; fi
expect "jail_exists" 1 "$(drv exists "$J")"
expect "jail without path has no root" 0 "$(drv hasroot "$J")"
links=$(nsenter --net="$R/$J" ip -o link show | awk -F': ' '{print $2}')
expect "nsenter sees only lo" lo "$links"
up=$(nsenter --net="$R/$J" ip -o link show lo | grep -c 'LOOPBACK,UP')
expect "jail loopback is up" 1 "$up"
drv create "$J" 2>"$T/err"; rc=$?
if [ $rc -ne 0 ] && grep -q "$J: jail exists: File exists" "$T/err"; then ok "jail_create twice: EEXIST"; else nok "jail_create twice: EEXIST" "rc=$rc" "$(cat "$T/err")"; fi
drv run "$J" true; expect "run true: 0" 0 $?
drv run "$J" false; expect "run false: 1" 1 $?
drv run "$J" sh -c 'exit 7'; expect "run exit 7: 7" 7 $?
drv run "$J" sh -c 'kill -TERM $$'; expect "run killed by SIGTERM: 143" 143 $?
hn=$(hostname)
expect "hostname defaults to the jail name" "$J" "$(drv run "$J" hostname)"
expect "host hostname unchanged" "$hn" "$(hostname)"
expect "run sees the jail's links" lo "$(drv run "$J" ip -o link show | awk -F': ' '{print $2}')"
expect "run sees the jail's /sys/class/net" lo "$(drv run "$J" ls /sys/class/net)"
expect "run's netns is the jail's" "$(stat -L -c %i "$R/$J")" "$(drv run "$J" stat -L -c %i /proc/self/ns/net)"
drv run "$J" /nonexistent/cmd 2>"$T/err"; rc=$?
if [ $rc -eq 125 ] && grep -q "$J: exec /nonexistent/cmd: No such file or directory" "$T/err"; then ok "run missing command: error names it"; else nok "run missing command: error names it" "rc=$rc" "$(cat "$T/err")"; fi
drv run "nosuch$id" true 2>"$T/err"; rc=$?
if [ $rc -eq 125 ] && grep -q "no such jail" "$T/err"; then ok "run in missing jail"; else nok "run in missing jail" "rc=$rc" "$(cat "$T/err")"; fi
drv create "bad/name" 2>"$T/err"; rc=$?
if [ $rc -ne 0 ] && grep -q "invalid jail name" "$T/err"; then ok "create rejects a bad name"; else nok "create rejects a bad name" "rc=$rc" "$(cat "$T/err")"; fi
drv create "x$id" - "$T/does-not-exist" 2>"$T/err"; rc=$?
left=$(ls -A "$R" "$S" 2>/dev/null | grep -c "x$id")
if [ $rc -ne 0 ] && grep -q "root path" "$T/err" && [ "$left" -eq 0 ]; then ok "create with a missing root fails, leaves nothing"; else nok "create with a missing root fails, leaves nothing" "rc=$rc left=$left" "$(cat "$T/err")"; fi
drv create "y$id" "bad host!" 2>"$T/err"; rc=$?
if [ $rc -ne 0 ] && grep -q "invalid hostname" "$T/err" && [ "$(drv exists "y$id")" = 0 ]; then ok "create rejects a bad hostname"; else nok "create rejects a bad hostname" "rc=$rc" "$(cat "$T/err")"; fi

# destroy kills what still runs in the jail: SIGTERM first, SIGKILL (after a
# timeout) for what ignores it, and returns once nothing is left. Checked by
# how each process ended, not by how long destroy took.
drv run "$J" sleep 300 & BG+=($!); bg1=$!
drv run "$J" sh -c 'trap "" TERM; exec sleep 301' & BG+=($!); bg2=$!
poll n_sleeps_in "$R/$J" 2 || nok "destroy: both sleeps run in the jail first" "$(sleeps_in "$R/$J")"
mapfile -t victims < <(sleeps_in "$R/$J")
drv destroy "$J" 2>"$T/err"; rc=$?
left=$(survivors "${victims[@]}")
# a survivor would keep its run (and this script) waiting: end it
end_all $left
wait "$bg1"; rc1=$?
wait "$bg2"; rc2=$?
expect "destroy of a jail with running processes returns 0" "0 " "$rc $(cat "$T/err")"
expect "destroy: no process of the jail is left when it returns" "2 " "${#victims[@]} $left"
expect "destroy: the process that takes SIGTERM ends by it (143)" 143 "$rc1"
expect "destroy: the process that ignores SIGTERM is killed by SIGKILL (137)" 137 "$rc2"
expect "destroyed jail gone" 0 "$(drv exists "$J")"
drv destroy "$J" 2>"$T/err"; rc=$?
if [ $rc -ne 0 ] && grep -q "no such jail" "$T/err"; then ok "destroy absent: ENOENT"; else nok "destroy absent: ENOENT" "rc=$rc" "$(cat "$T/err")"; fi

# --- jail with a root ------------------------------------------------------------
BUSYBOX=
for b in /bin/busybox /usr/bin/busybox; do [ -x "$b" ] && { BUSYBOX=$b; break; }; done
if [ -z "$BUSYBOX" ]; then
	echo "skip t_jail:rooted_jail no /bin/busybox (scripts/deps installs busybox-static)"
elif ldd "$BUSYBOX" >/dev/null 2>&1; then
	echo "skip t_jail:rooted_jail $BUSYBOX is not statically linked (scripts/deps installs busybox-static)"
else
	root=$T/root
	mkdir -p "$root/bin" "$root/proc"
	cp "$BUSYBOX" "$root/bin/busybox"
	for a in sh hostname ls cat ps sleep; do ln -s busybox "$root/bin/$a"; done
	if drv create "$K" "box$id" "$root" 2>"$T/err"; then ok "jail_create with a root"; else nok "jail_create with a root" "$(cat "$T/err")"; fi
	expect "jail with a root has a mount namespace" 1 "$(drv hasroot "$K")"
	expect "rooted jail: its own hostname" "box$id" "$(drv run "$K" /bin/hostname)"
	expect "rooted jail: sees only its root" "bin proc" "$(drv run "$K" /bin/ls / | tr '\n' ' ' | sed 's/ $//')"
	expect "rooted jail: command is PID 1" 1 "$(drv run "$K" /bin/cat /proc/self/stat | cut -d' ' -f1)"
	expect "rooted jail: ps sees only itself" "PID 1" "$(drv run "$K" /bin/ps -o pid | tr -s ' \n' ' ' | sed 's/^ //; s/ $//')"
	drv run "$K" /bin/sh -c 'exit 5'; expect "rooted jail: exit status" 5 $?
	expect "rooted jail: lo only" lo "$(nsenter --net="$R/$K" ip -o link show | awk -F': ' '{print $2}')"
	expect "host /proc unchanged by the jail's" 0 "$(awk '$5 == "'"$root"'/proc"' /proc/self/mountinfo | wc -l)"
	# State layout: extras outside the runtime dir, which holds only netns.
	expect "runtime dir holds only the netns" "$K" "$(ls -A "$R")"
	expect "list shows the jail" "$K" "$(drv list)"
	expect "run dir holds its uts and mnt" "$K.mnt $K.uts" "$(ls "$S" | grep -F "$K." | tr '\n' ' ' | sed 's/ $//')"
	drv run "$K" /bin/sleep 300 & BG+=($!); bgpid=$!
	poll n_sleeps_in "$R/$K" 1
	mapfile -t victims < <(sleeps_in "$R/$K")
	drv destroy "$K" 2>"$T/err"; rc=$?
	left=$(survivors "${victims[@]}")
	end_all $left
	wait "$bgpid"; bgrc=$?
	if [ $rc -eq 0 ] && [ $bgrc -ge 128 ] && [ ${#victims[@]} -eq 1 ] && [ -z "$left" ]; then ok "destroy kills the rooted jail's PID 1"; else nok "destroy kills the rooted jail's PID 1" "rc=$rc run=$bgrc sleeps before: ${#victims[@]} left: ${left:-none}" "$(cat "$T/err")"; fi
fi

# --- nothing left, caller untouched -------------------------------------------------
expect "runtime dir empty" "" "$(ls -A "$R")"
expect "state dir empty" "" "$(ls -A "$S")"
expect "no mounts left below the dirs" "" "$(mounts_below)"
expect "list empty" "" "$(drv list)"
checks=$(grep -c '^nscheck ok' "$NSLOG")
changed=$(grep -c '^nscheck CHANGED' "$NSLOG")
if [ "$checks" -gt 20 ] && [ "$changed" -eq 0 ]; then ok "caller's namespaces, root and cwd unchanged ($checks calls)"; else nok "caller's namespaces unchanged" "ok=$checks changed=$changed" "$(grep CHANGED "$NSLOG")"; fi

# --- interoperability with ip netns, in a throwaway mount namespace --------------
# /run is a fresh tmpfs there, so the real /run/netns is never touched.
out=$(unshare -m --propagation private sh -c '
	mount -t tmpfs tmpfs /run || exit 1
	"$1" create "$2" >&2 || exit 1
	ip netns list | cut -d" " -f1
	ip netns exec "$2" ip -o link show | cut -d: -f2 | tr -d " "
	"$1" destroy "$2" >&2 || exit 1
	ip netns list
	ls -A /run/netns /run/run/ns | grep -v ":$" | grep .
' sh "$DRV" "i$id" 2>"$T/err")
expect "ip netns lists exactly the jail and can enter it" "i$id lo" "$(echo $out)" "$(cat "$T/err")"
