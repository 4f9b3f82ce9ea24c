#!/usr/bin/env bash
# Confined jails (src/os/linux/lxc*.c) end to end, root only: a confined
# jail with a busybox root, a confined jail without a path, and a
# `confine = no` jail, under one bridge in a host network namespace of the
# test's own. From inside the confined jails every escape of issue 10 is
# tried and must fail; services started by exec.start outlive apply and
# jail6 (httpd on port 80, reached from another jail); ping between jails;
# limits (memory: a hog is killed inside its jail only; pids; cpu weight)
# in the jail's cgroup and in status; a jail's own init; a killed init is
# drift that apply repairs; destroy leaves no process, cgroup, mount or
# lxc directory.
#
# All of it runs twice: as the machine has it, then with newuidmap and
# newgidmap hidden (bound over by an empty, non-executable file) and no
# /etc/subuid lines, the path of hosts without the uidmap package, where
# liblxc writes the jails' id maps itself.
#
# The whole script runs in a private mount namespace of its own (it
# re-executes itself under unshare -m): there, a temporary file is bound
# over /etc/subuid and /etc/subgid when newuidmap is installed (liblxc then
# maps ids through it and needs root's range delegated). Everything is
# removed on exit, failed or not. Traffic: 2001:db8::/32 only.
set -u
cd "$(dirname "$0")/../.."
. tests/netns/lib.sh
BIN=${JAIL6_TEST:-$PWD/$BUILD/tests/jail6}
ESC=$PWD/$BUILD/tests/escape

t_need_root t_confine
t_private_mounts "$@"
for f in "$BIN" "$ESC" "$PWD/$BUILD/jail6-init" "$PWD/$BUILD/jail6-start" /bin/busybox; do
	[ -x "$f" ] || { echo "not ok t_confine needs $f"; exit 1; }
done

t_tmp t_confine
chmod 711 "$T"   # the jails' root users must reach their roots and U/lxc
# pathless jails see the host's tree as an unprivileged user, with /tmp of
# their own: their copy of the escape helper is bound on /mnt, in this
# test's mount namespace only, so that it is reachable whatever the
# directories above the checkout (CI's may be 0700)
mkdir -m 755 "$T/mnt" && cp "$ESC" "$T/mnt/escape" && chmod 755 "$T/mnt/escape" &&
	mount --bind "$T/mnt" /mnt || { echo "not ok bind the escape helper on /mnt"; exit 1; }
PESC=/mnt/escape
R=$T/netns S=$T/state C=$T/jail6.conf ROOT=$T/root
mkdir -p "$R"
id=$$
CJ=c$id PJ=p$id NJ=n$id AJ=a$id          # names of their own: cgroups are machine-wide
MJ=m$id IJ=i$id HJ=h$id
ALL="$CJ $PJ $AJ $NJ $MJ $IJ $HJ f$id b$id w$id q1$id q2$id q3$id s$id"
# pids.current of jail $1's cgroup (v1 or v2), from what jail6 recorded
pids_current() {
	local cg
	cg=$(awk '$1 == "cgroup" { print $2; exit }' "$S/run/lxc/$1/jail6")
	cat "/sys/fs/cgroup/pids$cg/pids.current" 2>/dev/null || cat "/sys/fs/cgroup$cg/pids.current"
}
# cgfile JAIL CONTROLLER FILE: a file of jail's cgroup, v1 (the controller's
# hierarchy) or v2
cgfile() {
	local cg
	cg=$(awk '$1 == "cgroup" { print $2; exit }' "$S/run/lxc/$1/jail6")
	cat "/sys/fs/cgroup/$2$cg/$3" 2>/dev/null || cat "/sys/fs/cgroup$cg/$3" 2>/dev/null
}
# the host pids of jail $1's processes but its init
jail_procs() {
	local cg ipid p
	cg=$(awk '$1 == "cgroup" { print $2; exit }' "$S/run/lxc/$1/jail6")
	ipid=$(awk '$1 == "pid" { print $2 }' "$S/run/lxc/$1/jail6")
	for p in $(cat "/sys/fs/cgroup/pids$cg/cgroup.procs" 2>/dev/null || cat "/sys/fs/cgroup$cg/cgroup.procs"); do
		[ "$p" != "$ipid" ] && echo "$p"
	done
}

t_cleanup() {
	j6 destroy >/dev/null 2>&1
	for p in $(jobs -p); do kill -KILL "$p" 2>/dev/null; done
	# whatever a failed run left
	t_lxc_leftovers $ALL
}

# held NAME JAIL ESCAPE-ARGS...: the escape helper, run in JAIL, says it was refused
held() {
	local name=$1 jail=$2 out rc; shift 2
	out=$(j6 exec "$jail" "$@" 2>&1); rc=$?
	if [ $rc -eq 0 ] && grep -q refused <<<"$out"; then ok "$name"; else nok "$name" "rc=$rc" "$out"; fi
}

# ids for the jails' user namespaces: delegated to root where newuidmap
# would be asked (this namespace only)
# (first an empty one: the error must name the line it needs)
have_newuidmap=0
if command -v newuidmap >/dev/null; then
	have_newuidmap=1
	: >"$T/subid"
	mount --bind "$T/subid" /etc/subuid && mount --bind "$T/subid" /etc/subgid ||
		{ nok "bind a test /etc/subuid"; exit 1; }
fi

# a busybox root, with the escape helper
mkdir -p "$ROOT"/{bin,etc,proc,tmp,dev,root,sbin}
cp /bin/busybox "$ROOT/bin/" && cp "$ESC" "$ROOT/bin/escape" && ln -s escape "$ROOT/bin/tinit"
for c in sh ps id cat ls sleep mknod mount hostname ip echo kill wc grep head httpd ping ping6 nc tr; do ln -s busybox "$ROOT/bin/$c"; done
printf 'root:x:0:0:root:/root:/bin/sh\nwww:x:80:80:www:/:/bin/sh\n' >"$ROOT/etc/passwd"
chmod 755 "$ROOT"

t_hostns lo

pass() {
rm -rf "$S/run/log"

cat >"$C" <<CONF
bridge br$id { address = 2001:db8:1::1/64; }
jail $CJ {
	path = $ROOT;
	limit.pids = 40;
	exec.start = "/bin/sh", "-c", "sleep 1000 & echo started";
	interface $CJ { bridge = br$id; address = 2001:db8:1::2/64; }
}
jail $PJ { interface $PJ { bridge = br$id; address = 2001:db8:1::3/64; } }
jail $NJ { confine = no; interface $NJ { bridge = br$id; address = 2001:db8:1::4/64; } }
jail $AJ {
	allow.net_admin = yes;
	allow.raw_sockets = yes;
	interface $AJ { bridge = br$id; address = 2001:db8:1::5/64; }
}
jail $HJ {
	path = $ROOT;
	exec.start = "/bin/httpd", "-p", "80", "-h", "/";
	interface $HJ { bridge = br$id; address = 2001:db8:1::6/64; }
}
jail $MJ {
	path = $ROOT;
	limit.memory = 32M;
	limit.pids = 64;
	limit.cpu_weight = 50;
}
jail $IJ {
	path = $ROOT;
	init = /bin/tinit;
	stop.timeout = 30;
}
CONF

if [ $have_newuidmap -eq 1 ] && [ -z "$PASS" ]; then
	out=$(j6 apply 2>&1); rc=$?
	if [ $rc -ne 0 ] && grep -q "newuidmap is installed.*/etc/subuid and /etc/subgid need the line root:1000000000:65536" <<<"$out" &&
	   [ ! -e "$R/$CJ" ] && [ ! -e "$S/run/lxc/$CJ" ]; then
		ok "newuidmap installed, range not delegated: apply fails naming /etc/subuid and the line, nothing left"
	else
		nok "newuidmap installed, range not delegated" "rc=$rc" "$out"
	fi
	printf 'root:1000000000:10000000\n' >"$T/subid"
fi
out=$(j6 apply 2>&1); rc=$?
if [ $rc -eq 0 ]; then ok "apply"; else nok "apply" "rc=$rc" "$out" "$(cat "$S"/run/lxc/*/lxc.log 2>/dev/null | grep ERROR | head)"; exit 1; fi
if [ -n "${pass_hook:-}" ]; then
	check "the inits' uid and gid maps are the leased ranges ($(leases | wc -l) leases)" $pass_hook
fi
out=$(j6 status 2>&1); rc=$?
check "status in sync after apply" test $rc -eq 0

# --- what the jails are -----------------------------------------------------
st=$(j6 exec "$CJ" cat /proc/self/status)
check "$CJ: NoNewPrivs 1" grep -q '^NoNewPrivs:[[:space:]]*1' <<<"$st"
check "$CJ: Seccomp 2 (filter)" grep -q '^Seccomp:[[:space:]]*2' <<<"$st"
capeff=$(awk '/^CapEff/ { print $2 }' <<<"$st")
# CAP_SYS_ADMIN is bit 21: never in the jail's effective set
check "$CJ: CapEff reduced, without CAP_SYS_ADMIN ($capeff)" test $(( (16#$capeff >> 21) & 1 )) -eq 0 -a "$capeff" != 000001ffffffffff
check "$CJ: uid 0 is host uid 1000000000+" test "$(j6 exec "$CJ" cat /proc/self/uid_map | awk '{ print $2 }')" -ge 1000000000
check "$CJ: hostname is the jail's" test "$(j6 exec "$CJ" hostname)" = "$CJ"
pst=$(j6 exec "$PJ" cat /proc/self/status)
check "$PJ (no path): Seccomp 2 and NoNewPrivs 1" test "$(grep -cE '^(Seccomp:[[:space:]]*2|NoNewPrivs:[[:space:]]*1)$' <<<"$pst")" -eq 2
ncap=$(j6 exec "$NJ" cat /proc/self/status | awk '/^CapEff/ { print $2 }')
check "$NJ (confine = no): a bare namespace, CAP_SYS_ADMIN kept ($ncap)" test $(( (16#$ncap >> 21) & 1 )) -eq 1

# --- escapes, each refused ----------------------------------------------------
held "$CJ: mknod of a block device" "$CJ" /bin/escape mknod
for fs in tmpfs proc sysfs cgroup; do held "$CJ: mount $fs" "$CJ" /bin/escape mount $fs; done
held "$CJ: open core_pattern for writing" "$CJ" /bin/escape corepattern
held "$CJ: open_by_handle_at" "$CJ" /bin/escape handle
held "$CJ: raw socket" "$CJ" /bin/escape raw
held "$PJ: raw socket" "$PJ" "$PESC" raw
held "$PJ: mount tmpfs" "$PJ" "$PESC" mount tmpfs
held "$PJ: open_by_handle_at" "$PJ" "$PESC" handle
out=$(j6 exec "$CJ" /bin/escape fd 9 9</ 2>&1)
check "$CJ: an inherited descriptor (9</) is not there" grep -q refused <<<"$out"
out=$(j6 exec "$NJ" "$ESC" fd 9 9</ 2>&1)
check "$NJ: an inherited descriptor is not there either" grep -q refused <<<"$out"
# TIOCSTI on a terminal: script(1) gives jail6 one as its stdin
if command -v script >/dev/null; then
	out=$(script -qec "$(printf '%q ' "$BIN" -f "$C" -s "$S" --runtime-dir "$R" --host-netns host exec "$CJ" /bin/escape tiocsti)" /dev/null 2>&1)
	check "$CJ: TIOCSTI into the caller's terminal" grep -q refused <<<"$out"
	out=$(script -qec "$(printf '%q ' "$BIN" -f "$C" -s "$S" --runtime-dir "$R" --host-netns host exec "$CJ" /bin/escape ctty)" /dev/null 2>&1)
	check "$CJ: no controlling terminal (a new session)" grep -q refused <<<"$out"
	# confine = no is no boundary (its root may TIOCSTI any terminal with
	# CAP_SYS_ADMIN), but it does not get the caller's terminal either
	out=$(script -qec "$(printf '%q ' "$BIN" -f "$C" -s "$S" --runtime-dir "$R" --host-netns host exec "$NJ" "$ESC" ctty)" /dev/null 2>&1)
	check "$NJ: no controlling terminal either (a new session)" grep -q refused <<<"$out"
else
	nok "TIOCSTI" "script(1) missing (bsdutils)"
fi
n=$(j6 exec "$CJ" sh -c 'ls -d /proc/[0-9]* | wc -l')
check "$CJ: host processes invisible (sees $n)" test "$n" -le 6
check "$CJ: no jail6 process visible" test -z "$(j6 exec "$CJ" ps | grep -E 'jail6 |lxc monitor')"
out=$(j6 exec "$PJ" cat /etc/shadow 2>&1); rc=$?
check "$PJ: /etc/shadow unreadable" test $rc -ne 0
out=$(j6 exec "$PJ" touch /etc/jail6-t_confine 2>&1); rc=$?
check "$PJ: the host's /etc unwritable" test $rc -ne 0 -a ! -e /etc/jail6-t_confine
check "$PJ: its /tmp is its own" test -z "$(j6 exec "$PJ" ls -A /tmp)"
out=$(j6 exec "$CJ" ip -6 addr add 2001:db8:1::99/64 dev "$CJ"b 2>&1); rc=$?
check "$CJ: address change refused" test $rc -ne 0
check "$CJ: ... and the address is not there" test -z "$(j6 exec "$CJ" ip -6 -o addr show | grep 2001:db8:1::99)"
out=$(j6 exec "$CJ" ip link set lo down 2>&1); rc=$?
check "$CJ: link change refused" test $rc -ne 0

# --- allow.*: a network namespace of the jail's own ---------------------------------
out=$(j6 exec "$AJ" "$PESC" raw 2>&1)
check "$AJ (allow.raw_sockets): a raw socket opens" grep -q SUCCEEDED <<<"$out"
out=$(j6 exec "$AJ" ip -6 addr add 2001:db8:1::55/64 dev "$AJ"b 2>&1); rc=$?
check "$AJ (allow.net_admin): an address change works" test $rc -eq 0
aj_ping() { j6 exec "$NJ" ping -6 -c 1 -W 2 2001:db8:1::5 >/dev/null; }
check "$AJ: still reached over the bridge" aj_ping
held "$AJ: still no mount" "$AJ" "$PESC" mount tmpfs
aj_sync() { j6 status >/dev/null 2>&1; }
check "$AJ: status in sync (jail6's own address is still there)" aj_sync
j6 exec "$AJ" ip -6 addr del 2001:db8:1::55/64 dev "$AJ"b

# --- the exec boundary --------------------------------------------------------
out=$(FOO=leak j6 exec -e A=1 -e B=two "$CJ" sh -c 'echo "$A $B ${FOO:-none}"')
check "exec -e sets variables, the caller's environment stays out" test "$out" = "1 two none"
check "exec -u runs as a user of the jail" test "$(j6 exec -u www "$CJ" id -u)" = 80
out=$(j6 exec -u nosuchuser "$CJ" id 2>&1); rc=$?
check "exec -u of an unknown user fails, naming it" test $rc -ne 0 -a -n "$(grep nosuchuser <<<"$out")"
j6 exec "$CJ" sh -c 'exit 7'; rc=$?
check "exit status propagated" test $rc -eq 7
j6 exec "$CJ" sh -c 'kill -TERM $$'; rc=$?
check "killed by a signal: 128+N" test $rc -eq 143

# --- services persist -----------------------------------------------------------
check "exec.start's output in the jail's log" grep -q started "$S/run/log/$CJ.log"
check "exec.start's background sleep runs after apply" test -n "$(j6 exec "$CJ" ps | grep 'sleep 1000')"
# port 80: ip_unprivileged_port_start = 0 in the jail's netns
j6 exec "$CJ" httpd -p 80 -h /   # busybox httpd goes to the background
httpd_up() { j6 exec "$CJ" ps | grep -q '[h]ttpd'; }
check "a service started by jail6 exec runs after jail6 exited" poll httpd_up
fetch() { j6 exec "$NJ" /bin/sh -c 'printf "GET /etc/passwd HTTP/1.0\r\n\r\n" | /bin/busybox nc -w 3 2001:db8:1::2 80' 2>&1 | grep -q '^www:'; }
check "... and serves $NJ over IPv6" poll fetch

# --- a service of exec.start on port 80, reached from another confined jail ---
hfetch() { j6 exec "$PJ" /bin/busybox sh -c 'printf "GET /etc/passwd HTTP/1.0\r\n\r\n" | /bin/busybox nc -w 3 2001:db8:1::6 80' 2>/dev/null | grep -q '^www:'; }
check "$HJ: httpd of exec.start on port 80 serves $PJ (confined, pathless) over IPv6" poll hfetch
check "... it runs after apply and jail6 exited" test -n "$(j6 exec "$HJ" ps | grep '[h]ttpd -p 80')"

# --- ping between confined jails (ping_group_range: ICMP datagram sockets) ---
out=$(j6 exec "$PJ" ping -6 -c 1 -W 2 2001:db8:1::2 2>&1); rc=$?
if [ $rc -eq 0 ]; then ok "$PJ: the host's ping (iputils) reaches $CJ"; else nok "$PJ: the host's ping (iputils) reaches $CJ" "rc=$rc" "$out"; fi
# busybox ping opens raw sockets only: refused, as any raw socket; an ICMP
# datagram socket (what iputils uses) from the busybox root works
out=$(j6 exec "$CJ" ping -6 -c 1 -W 2 2001:db8:1::6 2>&1); rc=$?
check "$CJ: busybox ping, raw sockets only, is refused" test $rc -ne 0
out=$(j6 exec "$CJ" /bin/escape ping6 2001:db8:1::6 2>&1); rc=$?
if [ $rc -eq 0 ]; then ok "$CJ: an ICMPv6 echo over a datagram socket reaches $HJ"; else nok "$CJ: an ICMPv6 echo over a datagram socket reaches $HJ" "rc=$rc" "$out"; fi

# --- limits -------------------------------------------------------------------
j6 exec "$CJ" sh -c 'i=0; while [ $i -lt 100 ]; do sleep 60 & i=$((i + 1)); done' >/dev/null 2>&1
n=$(pids_current "$CJ")
# at the limit (the bomb's shell may have given up and gone: 39)
check "a fork bomb stops at limit.pids = 40 (the jail holds $n tasks)" test "$n" -ge 39 -a "$n" -le 40
# from the host (attach itself needs a task in there): all but init
ipid=$(awk '$1 == "pid" { print $2 }' "$S/run/lxc/$CJ/jail6")
cg=$(awk '$1 == "cgroup" { print $2; exit }' "$S/run/lxc/$CJ/jail6")
for p in $(cat "/sys/fs/cgroup/pids$cg/cgroup.procs" 2>/dev/null || cat "/sys/fs/cgroup$cg/cgroup.procs"); do
	[ "$p" != "$ipid" ] && kill -KILL "$p" 2>/dev/null
done
check "... and the jail recovers" poll test "$(pids_current "$CJ")" -le 2
check "... its init still runs" test "$(j6 exec "$CJ" echo alive)" = alive

# the values of the file in the jail's cgroup (v1 or v2 names)
v=$(cgfile "$MJ" memory memory.limit_in_bytes || cgfile "$MJ" memory memory.max)
check "$MJ: limit.memory = 32M in its cgroup ($v)" test "$v" = 33554432
v=$(cgfile "$MJ" pids pids.max)
check "$MJ: limit.pids = 64 in its cgroup ($v)" test "$v" = 64
v=$(cgfile "$MJ" cpu cpu.shares || cgfile "$MJ" cpu cpu.weight)
check "$MJ: limit.cpu_weight = 50 in its cgroup (v1 shares 512, v2 weight 50: $v)" test "$v" = 512 -o "$v" = 50
# status: usage against the limits
js=$(j6 status --json 2>/dev/null)
m=$(jq -r ".jails[] | select(.name == \"$MJ\") | .limits | \"\\(.memory.max) \\(.pids.max) \\(.pids.current) \\(.memory.current) \\(.cpu_weight)\"" <<<"$js")
read -r mmax pmax pcur mcur cw <<<"$m"
check "status --json: $MJ's limits and usage ($m)" test "$mmax" = 33554432 -a "$pmax" = 64 -a "$pcur" -ge 1 -a "$mcur" -gt 0 -a "$cw" = 50
out=$(j6 status 2>/dev/null)
check "status: $MJ's memory and pids against the limits" grep -Eq "^[[:space:]]+limits: memory [0-9.]+ [KMG]?i?B of 32 MiB, pids [0-9]+ of 64, cpu weight 50$" <<<"$out"

# a memory hog: the OOM killer ends it inside its jail; the jail's init and
# the other jails run on
mpid=$(awk '$1 == "pid" { print $2 }' "$S/run/lxc/$MJ/jail6")
out=$(j6 exec "$MJ" sh -c 's=xxxxxxxx; while :; do s="$s$s"; done' 2>&1); rc=$?
check "$MJ: a memory hog past limit.memory is killed (SIGKILL: 137, got $rc)" test $rc -eq 137
ev=$(cgfile "$MJ" memory memory.oom_control || cgfile "$MJ" memory memory.events)
check "... by the OOM killer of its cgroup" test "$(awk '$1 == "oom_kill" { print $2 }' <<<"$ev")" -ge 1
check "... $MJ's init runs on" test "$(j6 exec "$MJ" echo alive)" = alive -a "$(awk '$1 == "pid" { print $2 }' "$S/run/lxc/$MJ/jail6")" = "$mpid"
check "... and so does $CJ" test "$(j6 exec "$CJ" echo alive)" = alive
out=$(j6 status 2>&1)
check "... in sync" test $? -eq 0

# --- a jail's own init -------------------------------------------------------------
out=$(j6 exec "$IJ" cat /proc/1/cmdline | tr '\0' ' ')
check "$IJ: init = /bin/tinit is PID 1 ($out)" test "$out" = "/bin/tinit "
ipid=$(awk '$1 == "pid" { print $2 }' "$S/run/lxc/$IJ/jail6")
check "... the recorded init is it" grep -q tinit "/proc/$ipid/cmdline"
j6 exec "$IJ" sleep 1000 >/dev/null 2>&1 &
ij_busy() { test -n "$(jail_procs "$IJ")"; }
poll ij_busy
# stop.timeout = 30: ending within it shows tinit took the signal and left
out=$(j6 stop "$IJ" 2>&1); rc=$?
check "stop $IJ" test $rc -eq 0
check "... its init is gone" sh -c "! kill -0 $ipid 2>/dev/null"
check "... and its cgroups" test -z "$(cgroups_of "$IJ")"
wait
out=$(j6 start "$IJ" 2>&1); rc=$?
check "start $IJ: its init again" test $rc -eq 0 -a "$(j6 exec "$IJ" cat /proc/1/cmdline | tr '\0' ' ')" = "/bin/tinit "

# --- a dead init is drift; apply restores --------------------------------------------
pid=$(awk '$1 == "pid" { print $2 }' "$S/run/lxc/$CJ/jail6")
kill -KILL "$pid"
poll sh -c "! kill -0 $pid 2>/dev/null"
out=$(j6 status 2>&1); rc=$?
check "kill -9 of $CJ's init: status says drift (exit 3)" test $rc -eq 3
out=$(j6 apply 2>&1); rc=$?
check "apply restores it" test $rc -eq 0
out=$(j6 status 2>&1); rc=$?
check "... in sync again" test $rc -eq 0
check "... with its address kept" test -n "$(j6 exec "$CJ" ip -6 -o addr show | grep 2001:db8:1::2/64)"

# --- stop and start ----------------------------------------------------------------
ipid=$(awk '$1 == "pid" { print $2 }' "$S/run/lxc/$CJ/jail6")
out=$(j6 stop "$CJ" 2>&1); rc=$?
check "stop $CJ" test $rc -eq 0
check "... its init is gone" sh -c "! kill -0 $ipid 2>/dev/null"
check "... and its cgroups and lxc directory" test -z "$(cgroups_of "$CJ")" -a ! -e "$S/run/lxc/$CJ"
out=$(j6 start "$CJ" 2>&1); rc=$?
check "start $CJ: running again, exec.start ran" test $rc -eq 0 -a "$(grep -c started "$S/run/log/$CJ.log")" -ge 2

# --- stop ends exec.start's service ----------------------------------------------
hp=$(jail_procs "$HJ")
check "$HJ: httpd runs (host pids $(echo $hp))" test -n "$hp"
out=$(j6 stop "$HJ" 2>&1); rc=$?
hgone() { for p in $hp; do kill -0 "$p" 2>/dev/null && return 1; done; return 0; }
check "stop $HJ: its httpd is gone" test $rc -eq 0 && check "... (no process left)" hgone
nofetch() { ! hfetch; }
check "... and port 80 no longer answers" nofetch
out=$(j6 start "$HJ" 2>&1)

# --- a start liblxc refuses: the error and the log say why, nothing is left ---------
BJ=b$id
mkdir -p "$T/bad/bin" && cp /bin/busybox "$T/bad/bin/sh" && chmod 755 "$T/bad"   # no /dev to mount on
cp "$C" "$T/good.conf"
echo "jail $BJ { path = $T/bad; }" >>"$C"
out=$(j6 apply 2>&1)
check "a failed start names liblxc's reason and its log" grep -q "$BJ: liblxc could not start the jail: .*(log: $S/run/log/$BJ.lxc.log)" <<<"$out"
check "... and leaves no lxc directory, cgroup or namespace" test ! -e "$S/run/lxc/$BJ" -a -z "$(cgroups_of "$BJ")" -a ! -e "$R/$BJ"

# --- jails start together: one that fails fails the apply, the others run --------
# (the bad one first, so that it fails while the others are starting)
echo "jail $BJ { path = $T/bad; }" >"$T/batch.conf"
for k in 1 2 3; do echo "jail q$k$id { path = $ROOT; exec.start = \"/bin/sh\", \"-c\", \"echo q$k up\"; }"; done >>"$T/batch.conf"
cat "$T/good.conf" "$T/batch.conf" >"$C"
out=$(j6 apply 2>&1); rc=$?
check "apply of three jails and a bad one fails, naming the bad one" \
	test $rc -ne 0 -a -n "$(grep "$BJ: liblxc could not start the jail" <<<"$out")"
qrun() { for k in 1 2 3; do [ "$(j6 exec "q$k$id" echo alive 2>/dev/null)" = alive ] || return 1; done; }
check "... the three others run" qrun
qup() { for k in 1 2 3; do grep -q "q$k up" "$S/run/log/q$k$id.log" 2>/dev/null || return 1; done; }
check "... after their exec.start, which ran once the jail did" qup
out=$(j6 status 2>&1)
qsync() { for k in 1 2 3; do grep -A3 "^jail q$k$id" <<<"$out" | grep -q running || return 1; done; }
check "... status shows them running" qsync
# a restart destroys and makes again in one plan: each jail is stopped
# before it starts again (not in the background), and comes back
out=$(j6 restart "q1$id" "q2$id" 2>&1); rc=$?; [ $rc -eq 0 ] || echo "$out" | sed "s/^/#   /"
check "restart of two of them (not the bad one, which is wanted and missing)" test $rc -eq 0
check "... the bad one was not tried" test ! -e "$S/run/lxc/$BJ" -a -z "$(grep "$BJ" <<<"$out")"
check "... both run again" qrun
twice() { for k in 1 2; do [ "$(grep -c "q$k up" "$S/run/log/q$k$id.log")" -eq 2 ] || return 1; done; }
check "... each after its exec.start ran a second time" twice
check "... nothing is left of the bad one" test ! -e "$S/run/lxc/$BJ" -a -z "$(cgroups_of "$BJ")" -a ! -e "$R/$BJ"
cp "$T/good.conf" "$C"
out=$(j6 apply 2>&1); rc=$?
qgone() { for k in 1 2 3; do [ ! -e "$R/q$k$id" ] && [ ! -e "$S/run/lxc/q$k$id" ] || return 1; done; }
check "apply without them destroys the three" test $rc -eq 0 && check "... (no namespace or lxc directory left)" qgone

# --- jail6-start: found beside jail6, else a clear error; not for hand use ---------
if [ -z "$PASS" ]; then
	mkdir -p "$T/lone" && cp "$BIN" "$T/lone/jail6" && cp "$PWD/$BUILD/jail6-init" "$T/lone/"
	echo "jail s$id { path = $ROOT; }" >>"$C"
	out=$("$T/lone/jail6" -f "$C" -s "$S" --runtime-dir "$R" --host-netns host apply 2>&1); rc=$?
	check "without jail6-start beside it (or in the lib dir) apply fails, saying so" \
		test $rc -ne 0 -a -n "$(grep "s$id: jail6-start not found beside the jail6 binary nor in" <<<"$out")"
	check "... and leaves nothing of that jail" test ! -e "$S/run/lxc/s$id" -a ! -e "$R/s$id"
	cp "$T/good.conf" "$C"
	out=$("$PWD/$BUILD/jail6-start" 2>&1); rc=$?
	check "jail6-start by hand: status 2 and what it is for" test $rc -eq 2 -a -n "$(grep "run by jail6 to start confined jails" <<<"$out")"
fi

# --- a limit whose cgroup controller the host lacks: a clear error ----------------
# (this namespace only: a /proc/cgroups without cpu is bound over the real one)
WJ=w$id
if [ -z "$PASS" ]; then
	grep -v '^cpu[[:space:]]' /proc/cgroups >"$T/cgroups" && mount --bind "$T/cgroups" /proc/cgroups
	unified=/sys/fs/cgroup/unified/cgroup.controllers
	[ -e /sys/fs/cgroup/cgroup.controllers ] && unified=/sys/fs/cgroup/cgroup.controllers
	tr ' ' '\n' <"$unified" | grep -vx cpu | tr '\n' ' ' >"$T/controllers" && mount --bind "$T/controllers" "$unified"
	cp "$C" "$T/good.conf"
	echo "jail $WJ { path = $ROOT; limit.cpu_weight = 50; }" >>"$C"
	out=$(j6 apply 2>&1); rc=$?
	check "without a cpu controller, limit.cpu_weight fails naming both" \
		test $rc -ne 0 -a -n "$(grep "$WJ: limit.cpu_weight needs the cgroup cpu controller, which this host does not have" <<<"$out")"
	check "... and leaves no lxc directory, cgroup or namespace" test ! -e "$S/run/lxc/$WJ" -a -z "$(cgroups_of "$WJ")" -a ! -e "$R/$WJ"
	umount "$unified" /proc/cgroups
	cp "$T/good.conf" "$C"
fi

# --- a failing exec.start: its output is in the jail's log, which status names ---
FJ=f$id
cat >>"$C" <<CONF
jail $FJ { exec.start = "/bin/sh", "-c", "echo oops-$id; exit 3"; }
CONF
out=$(j6 apply 2>&1); rc=$?
check "apply with a failing exec.start fails, naming the log" grep -q "exited with status 3 (output in $S/run/log/$FJ.log)" <<<"$out"
check "... which holds the command's output" grep -q "oops-$id" "$S/run/log/$FJ.log"
out=$(j6 status 2>&1); rc=$?
check "status: drift (exit 3), and it names the log" test $rc -eq 3 -a -n "$(grep "exec.start has not completed; its output: $S/run/log/$FJ.log" <<<"$out")"

# --- a killed monitor: drift; apply cleans up after it and restores ---------------
mon=$(pgrep -f "lxc monitor\] $S/run/lxc $PJ\$")
check "$PJ has a monitor" test -n "$mon"
[ -n "$mon" ] && kill -KILL $mon
out=$(j6 status 2>&1); rc=$?
check "kill -9 of $PJ's monitor: status says drift (exit 3)" test $rc -eq 3
# (apply as a whole still fails: $FJ's exec.start above fails on purpose)
out=$(j6 apply 2>&1); rc=$?
if grep -q "$PJ: create jail" <<<"$out" && [ "$(j6 exec "$PJ" echo alive)" = alive ]; then ok "apply restores it (the monitor's leftovers removed)"
else nok "apply restores it (the monitor's leftovers removed)" "rc=$rc" "$out" "$(grep ERROR "$S/run/lxc/$PJ/lxc.log" | head -5)"; fi
check "... with one payload cgroup, no suffixed twin" test -z "$(cgroups_of "$PJ" | grep -- "$PJ-")"

# --- confine changed in the file: the jail is made again, confined --------------------
sed -i "s/^jail $NJ { confine = no; /jail $NJ { /" "$C"
out=$(j6 apply 2>&1)
check "$NJ without confine = no: apply makes it again" grep -q "$NJ: destroy jail" <<<"$out"
check "... confined now (Seccomp 2)" grep -q '^Seccomp:[[:space:]]*2' <<<"$(j6 exec "$NJ" cat /proc/self/status)"

# --- destroy leaves nothing -------------------------------------------------------
pids=$(for j in $CJ $PJ $AJ $NJ $HJ $MJ $IJ; do awk '$1 == "pid" { print $2 }' "$S/run/lxc/$j/jail6"; done)
out=$(j6 destroy 2>&1); rc=$?
check "destroy" test $rc -eq 0
gone() { for p in $pids; do kill -0 "$p" 2>/dev/null && return 1; done; return 0; }
check "no monitor or init left" test -z "$(pgrep -f "$S/run/lxc")" -a -n "$pids"
check "... the inits are gone" gone
check "no cgroup left" test -z "$(for j in $ALL; do cgroups_of "$j"; done)"
check "no lxc directory left" test -z "$(ls -A "$S/run/lxc" 2>/dev/null)"
check "no namespace left" test -z "$(ls "$R" | grep -v '^host$')"
check "no mount of a jail left" test -z "$(awk -v t="$R/" 'index($5, t) == 1 && $5 != t "host"' /proc/self/mountinfo)"
}

pass

# --- again, without newuidmap: liblxc maps the ids itself -------------------------
if [ $have_newuidmap -eq 1 ]; then
	: >"$T/subid"        # and no delegation: none is needed
	: >"$T/nomap" && chmod 644 "$T/nomap"
	for t in newuidmap newgidmap; do
		p=$(command -v $t) && mount --bind "$T/nomap" "$p" || { nok "hide $t"; exit 1; }
	done
	check "newuidmap hidden" sh -c '! command -v newuidmap >/dev/null'
fi
PASS="[no newuidmap] "
have_newuidmap=0
# the leases as the store has them, and the uid maps of the running inits
leases() { sqlite3 "$S/jail6.db" "SELECT jail || ' ' || base || ' ' || count FROM idmap_lease ORDER BY jail" 2>/dev/null; }
idmap_check() {
	local j b c m ipid bad=
	while read -r j b c; do
		ipid=$(awk '$1 == "pid" { print $2 }' "$S/run/lxc/$j/jail6")
		m=$(awk '{ print $1, $2, $3 }' "/proc/$ipid/uid_map")
		[ "$m" = "0 $b $c" ] || bad="$bad $j: $m, leased $b $c;"
		m=$(awk '{ print $1, $2, $3 }' "/proc/$ipid/gid_map")
		[ "$m" = "0 $b $c" ] || bad="$bad $j gid: $m;"
	done <<<"$(leases | grep -v "^$NJ ")"
	[ -z "$bad" ] || { echo "#  $bad"; return 1; }
}
# checked right after the first apply of the pass
pass_hook=idmap_check
pass

[ $n_fail -eq 0 ]
