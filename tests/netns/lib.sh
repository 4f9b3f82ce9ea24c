# What the namespaced tests (tests/netns/t_*.sh) share. Each sources it
# from the checkout's top, after its `cd`:
#
#   set -u
#   cd "$(dirname "$0")/../.."
#   . tests/netns/lib.sh
#   t_need_root t_NAME
#   t_tmp t_NAME            # T, and the exit trap that removes it
#   t_cleanup() { ... }     # optional: what to undo before T goes
#
# The lines a test prints are TAP-like: "ok NAME", "not ok NAME" followed
# by "#   " detail lines, "skip NAME reason" (tests/run counts them).
# Nothing here changes the machine's own namespace.

BUILD=${BUILD:-build}
n_ok=0
n_fail=0
PASS=${PASS:-}            # a prefix of every check's name (t_confine's passes)

# t_need_root NAME: a skip unless root (every netns test needs it).
t_need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "skip $1 needs root"
		exit 0
	fi
}

# t_private_mounts "$@": run the rest of the script again in a private
# mount namespace of its own (binds it makes there vanish with it).
t_private_mounts() {
	if [ "${JAIL6_T_INNER:-}" != "$0" ]; then
		JAIL6_T_INNER=$0 exec unshare -m --propagation private "$0" "$@"
	fi
}

# t_tmp NAME: T, a new directory /tmp/jail6-NAME.XXXXXX, removed on exit
# with whatever is mounted below it, after the test's own t_cleanup.
t_tmp() {
	T=$(mktemp -d "/tmp/jail6-$1.XXXXXX") || { echo "not ok $1: mktemp"; exit 1; }
	trap t_exit EXIT
}

# t_umount_under DIR [PASSES]: lazily unmount every mount below DIR,
# deepest first; a few bounded passes, as a shared runtime dir can hold a
# mount twice.
t_umount_under() {
	local _
	for _ in $(seq "${2:-3}"); do
		awk -v t="$1" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r -u |
			while read -r m; do umount -l "$m" 2>/dev/null; done
	done
}

t_exit() {
	if declare -F t_cleanup >/dev/null; then t_cleanup; fi
	t_umount_under "$T" 5
	rm -rf "$T"
}

ok() { echo "ok $PASS$1"; n_ok=$((n_ok + 1)); }
# nok NAME [DETAIL...]: each detail's first 30 lines as comments
nok() {
	echo "not ok $PASS$1"
	n_fail=$((n_fail + 1))
	shift
	for l in "$@"; do printf '%s\n' "$l" | head -30 | sed 's/^/#   /'; done
}
# check NAME CMD...: ok when CMD succeeds
check() { local name=$1; shift; if "$@"; then ok "$name"; else nok "$name" "failed: $*"; fi; }
# expect NAME WANT GOT [DETAIL...]: ok when GOT is WANT
expect() { if [ "$2" = "$3" ]; then ok "$1"; else nok "$1" "want: $(printf %q "$2")" "got:  $(printf %q "$3")" "${@:4}"; fi; }
# poll CMD...: true once CMD succeeds, within POLL_TRIES tenths of a second
poll() { local _; for _ in $(seq "${POLL_TRIES:-100}"); do "$@" && return 0; sleep 0.1; done; return 1; }

# t_ns NAME [lo]: a network namespace bound at R/NAME (with lo up).
t_ns() {
	touch "$R/$1" && unshare --net="$R/$1" true || return 1
	[ "${2:-}" != lo ] || nsenter --net="$R/$1" ip link set lo up
}
# t_hostns [lo]: R/host, the host namespace the test's jail6 manages, or
# "not ok" and out.
t_hostns() { t_ns host "${1:-}" || { nok "host namespace" "unshare failed"; exit 1; }; }
# H CMD...: CMD in the host namespace R/host
H() { nsenter --net="$R/host" "$@"; }
# j6 ARGS...: jail6 (BIN) on the test's config C, state dir S, runtime
# dir R and host namespace R/host
j6() { "$BIN" -f "$C" -s "$S" --runtime-dir "$R" --host-netns host --lock-timeout 20 "$@"; }

# ---- confined jails (liblxc): cgroups are machine-wide, so each test
# names its jails with $$ and removes what a failed run left

# cgroups_of JAIL: the cgroups liblxc made for JAIL (v1 and v2)
cgroups_of() { ls -d /sys/fs/cgroup/lxc.*."$1" /sys/fs/cgroup/lxc.*."$1"-* /sys/fs/cgroup/*/lxc.*."$1" /sys/fs/cgroup/*/lxc.*."$1"-* 2>/dev/null; }
# t_lxc_leftovers JAIL...: kill the monitors and inits of state dir S's
# lxcpath, then remove the jails' cgroups (a few bounded passes: a dying
# monitor holds its own for a moment)
t_lxc_leftovers() {
	local p f j d left _
	for p in $(pgrep -f "$S/run/lxc"); do kill -KILL "$p" 2>/dev/null; done
	for j in "$@"; do
		f=$S/run/lxc/$j/jail6
		[ -f "$f" ] && p=$(awk '$1 == "pid" { print $2 }' "$f") && [ -n "$p" ] && kill -KILL "$p" 2>/dev/null
	done
	for _ in 1 2 3 4 5; do
		left=
		for j in "$@"; do
			for d in $(cgroups_of "$j" | sort -r); do rmdir "$d/.lxc" "$d" 2>/dev/null; done
			left=$left$(cgroups_of "$j")
		done
		[ -z "$left" ] && break
		sleep 0.2
	done
}
