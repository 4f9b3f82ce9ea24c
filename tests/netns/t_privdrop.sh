#!/usr/bin/env bash
# The datapath with least privilege (jail6-datapath, src/tunnel/privdrop.c),
# root only. Two throwaway namespaces a and b joined by a veth pair
# (198.51.100.1 and .2), each with a persistent TUN t6 (2001:db8:ffff::1
# and ::2), each end run as apply runs it: `jail6 tunnel run --supervise`.
# For the userspace datapath and then the eBPF one (a's end), the running
# datapath process (the "pid" of the stats) must show in /proc/PID/status:
# no uid 0 (real, effective, saved, filesystem), CapEff, CapPrm and CapBnd
# 0, NoNewPrivs 1, Seccomp 2; its root is not / and its environment is
# empty; and traffic flows (a ping through the tunnel, keepalives answered).
# Then a system call outside the seccomp allow-list (the test build's
# SIGUSR2 hook, dp_loop.c) must kill it, and the supervisor start another.
# jail6-datapath must link none of libcurl, SQLite, jansson, liblxc. The
# VmHWM of each running datapath is printed as a comment.
# Everything is removed on exit, failed or not; every wait is bounded.
set -u
cd "$(dirname "$0")/../.."
. tests/netns/lib.sh
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
JAIL6_TEST=${JAIL6_TEST:-$BUILD/tests/jail6}

t_need_root t_privdrop
for t in jq ping ldd; do
	command -v $t >/dev/null || { echo "skip t_privdrop needs $t (scripts/deps installs it)"; exit 0; }
done
[ -c /dev/net/tun ] || { echo "skip t_privdrop needs /dev/net/tun"; exit 0; }
for f in "$BUILD/jail6-datapath" "$BUILD/tests/jail6-datapath" "$JAIL6_TEST"; do
	[ -x "$f" ] || { echo "not ok t_privdrop: $f missing (make all build/tests/jail6)"; exit 1; }
done

t_tmp t_privdrop
R=$T/netns
mkdir -p "$R"
pid_of() { local p _; [ -f "$1" ] && read -r p _ <"$1" && echo "$p"; }
t_cleanup() {
	local p f _
	for f in "$T"/*.pid; do p=$(pid_of "$f") && kill -TERM "$p" 2>/dev/null; done
	for _ in $(seq 50); do
		alive=0
		for f in "$T"/*.pid; do p=$(pid_of "$f") && kill -0 "$p" 2>/dev/null && alive=1; done
		[ $alive -eq 0 ] && break
		sleep 0.1
	done
	for f in "$T"/*.pid; do p=$(pid_of "$f") && kill -KILL "$p" 2>/dev/null; done
}
N() { local n=$1; shift; nsenter --net="$R/$n" "$@"; }
js() { jq -r "$2" "$1" 2>/dev/null; }
# status_of PID KEY: a line of /proc/PID/status, without its key
status_of() { awk -v k="$2:" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "/proc/$1/status" 2>/dev/null; }

# ---- the program itself
for f in "$BUILD/jail6-datapath" "$BUILD/tests/jail6-datapath"; do
	libs=$(ldd "$f" 2>&1)
	if grep -qE 'libcurl|libsqlite3|libjansson|liblxc' <<<"$libs"; then
		nok "$(basename "$(dirname "$f")")/jail6-datapath links none of libcurl, sqlite3, jansson, liblxc" "$libs"
	else
		ok "$(basename "$(dirname "$f")")/jail6-datapath links none of libcurl, sqlite3, jansson, liblxc"
	fi
done

# ---- the world
for n in a b; do t_ns $n lo || { nok "namespaces" "unshare $n failed"; exit 1; }; done
N a ip link add eth0 type veth peer name eth0 netns "$R/b"
N a ip addr add 198.51.100.1/24 dev eth0 && N a ip link set eth0 up
N b ip addr add 198.51.100.2/24 dev eth0 && N b ip link set eth0 up
i=1
for n in a b; do
	N $n ip tuntap add dev t6 mode tun
	N $n ip link set t6 mtu 1480 up
	N $n ip addr add 2001:db8:ffff::$i/64 dev t6 nodad
	i=$((i + 1))
done

# run END DATAPATH LOCAL REMOTE PEER: END's supervised datapath
run() {
	"$JAIL6_TEST" -s "$T/state-$1" --runtime-dir "$R" --host-netns "$1" tunnel run t6 --datapath "$2" \
		--local "$3" --remote "$4" --keepalive 1 --peer "$5" --supervise \
		--pidfile "$T/$1.pid" --stats "$T/$1.stats" --log "$T/$1.log"
}
# dp_pid END: the running datapath process of END (its stats say)
dp_pid() { js "$T/$1.stats" .pid; }
up_as() { [ "$(js "$T/$1.stats" .datapath)" = "$2" ] && [ -n "$(dp_pid "$1")" ] && kill -0 "$(dp_pid "$1")" 2>/dev/null; }
ping_through() { N a ping -6 -c 1 -W 1 2001:db8:ffff::2 >/dev/null 2>&1; }

# checks KIND END: the privileges of END's running datapath
checks() {
	local k=$1 p uid
	p=$(dp_pid "$2")
	if [ -z "$p" ] || ! [ -e "/proc/$p/status" ]; then nok "$k: the datapath runs" "stats: $(cat "$T/$2.stats" 2>&1)" "$(tail -5 "$T/$2.log")"; return; fi
	expect "$k: the datapath process is jail6-datapath" jail6-datapath "$(basename "$(readlink "/proc/$p/exe")")"
	uid=$(status_of "$p" Uid)
	if [ -n "$uid" ] && ! grep -qw 0 <<<"$uid"; then ok "$k: Uid not 0 (real, effective, saved, fs: $uid)"; else nok "$k: Uid not 0" "Uid: $uid"; fi
	uid=$(status_of "$p" Gid)
	if [ -n "$uid" ] && ! grep -qw 0 <<<"$uid"; then ok "$k: Gid not 0 ($uid)"; else nok "$k: Gid not 0" "Gid: $uid"; fi
	expect "$k: no supplementary group" "" "$(status_of "$p" Groups)"
	expect "$k: CapEff 0" 0000000000000000 "$(status_of "$p" CapEff)"
	expect "$k: CapPrm 0" 0000000000000000 "$(status_of "$p" CapPrm)"
	expect "$k: CapInh 0" 0000000000000000 "$(status_of "$p" CapInh)"
	expect "$k: CapBnd 0" 0000000000000000 "$(status_of "$p" CapBnd)"
	expect "$k: CapAmb 0" 0000000000000000 "$(status_of "$p" CapAmb)"
	expect "$k: NoNewPrivs 1" 1 "$(status_of "$p" NoNewPrivs)"
	expect "$k: Seccomp 2 (a filter)" 2 "$(status_of "$p" Seccomp)"
	expect "$k: its root is the empty directory" "$T/$2.root" "$(readlink "/proc/$p/root")"
	expect "$k: the empty directory is empty" "" "$(ls -A "$T/$2.root")"
	expect "$k: its environment is empty" 0 "$(wc -c <"/proc/$p/environ")"
	echo "# $k: VmHWM of the datapath: $(status_of "$p" VmHWM), its parent's: $(status_of "$(pid_of "$T/$2.pid")" VmHWM)"
}

# ---- userspace on both ends
out=$(run a userspace 198.51.100.1 198.51.100.2 2001:db8:ffff::2 2>&1) || nok "userspace: a starts" "$out"
out=$(run b userspace 198.51.100.2 198.51.100.1 2001:db8:ffff::1 2>&1) || nok "userspace: b starts" "$out"
if poll up_as a userspace && poll up_as b userspace; then ok "userspace: both datapaths up"; else
	nok "userspace: both datapaths up" "$(cat "$T/a.log" "$T/b.log")"
fi
checks userspace a
if poll ping_through; then ok "userspace: a ping through the tunnel"; else nok "userspace: a ping through the tunnel" "$(tail -5 "$T/a.log")" "$(cat "$T/a.stats")"; fi
# gt END KEY N: the stats value is above N
gt() { local v; v=$(js "$T/$1.stats" "$2"); [ -n "$v" ] && [ "$v" -gt "$3" ]; }
is() { [ "$(js "$T/$1.stats" "$2")" = "$3" ]; }
check "userspace: keepalives sent and answered" poll gt a .keepalive_replies 0
# SIGHUP: the MTU is read again, unprivileged
N a ip link set t6 mtu 1400
kill -HUP "$(pid_of "$T/a.pid")"
check "userspace: SIGHUP: the datapath reads the TUN device's MTU (1400)" poll is a .mtu 1400
check "userspace: the log says the privileges were dropped" grep -q 'privileges dropped: uid' "$T/a.log"

# ---- a system call outside the allow-list kills it; the supervisor restarts it
p0=$(dp_pid a)
kill -USR2 "$p0"
restarted() { [ "$(js "$T/a.stats" .restarts)" = 1 ] && [ "$(dp_pid a)" != "$p0" ] && up_as a userspace; }
if poll restarted; then ok "seccomp: a forbidden system call kills the datapath, the supervisor starts another"; else
	nok "seccomp: killed and restarted" "stats: $(cat "$T/a.stats")" "$(tail -8 "$T/a.log")"
fi
check "seccomp: the log says SIGSYS killed it" grep -q "datapath $p0 killed by signal 31" "$T/a.log"
if grep -q 'test hook: getcwd was allowed' "$T/a.log"; then nok "seccomp: getcwd was refused" "$(tail -5 "$T/a.log")"; else ok "seccomp: getcwd was refused"; fi
checks "after the restart" a
check "after the restart: a ping through the tunnel" poll ping_through

# ---- a's end on the eBPF datapath
kill -TERM "$(pid_of "$T/a.pid")"
gone() { ! kill -0 "$1" 2>/dev/null; }
check "ebpf: a's userspace supervisor stops" poll gone "$(pid_of "$T/a.pid")"
rm -f "$T/a.stats"
out=$(run a ebpf 198.51.100.1 198.51.100.2 2001:db8:ffff::2 2>&1) || nok "ebpf: a starts" "$out"
if poll up_as a ebpf; then ok "ebpf: a's datapath up"; else nok "ebpf: a's datapath up" "$(cat "$T/a.log")"; fi
checks ebpf a
if poll ping_through; then ok "ebpf: a ping through the tunnel"; else nok "ebpf: a ping through the tunnel" "$(tail -5 "$T/a.log")" "$(cat "$T/a.stats")"; fi
check "ebpf: the programs count what they carried" poll gt a .tx_packets 0
filters() { N a tc filter show dev "$1" "$2" 2>/dev/null | grep -c ' handle '; }
check "ebpf: its filters are on t6 egress and eth0 ingress" test "$(filters t6 egress) $(filters eth0 ingress)" = "1 1"
kill -TERM "$(pid_of "$T/a.pid")"
check "ebpf: the supervisor stops" poll gone "$(pid_of "$T/a.pid")"
check "ebpf: and removes the datapath's root" test ! -e "$T/a.root"
expect "ebpf: the parent removed the filters after its datapath ended" "0 0" "$(filters t6 egress) $(filters eth0 ingress)"
expect "ebpf: and the clsact qdiscs it made" "" "$(N a tc qdisc show dev eth0 | grep clsact)$(N a tc qdisc show dev t6 | grep clsact)"

exit $((n_fail > 0))
