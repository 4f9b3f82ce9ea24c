#!/usr/bin/env bash
# jail6 exec of a command that cannot be executed in a confined jail
# (src/os/linux/lxc_run.c): the reason on stderr, naming the jail and the
# command, and the shell's statuses, 127 (not found) and 126 (found, not
# executable), in a confined jail with a busybox root and in a pathless
# one; a command that runs keeps its own status (3), with nothing said;
# an exec.start that cannot be executed fails apply with its reason in the
# jail's log. Root only; the script runs in a private mount namespace of
# its own (re-executed under unshare -m), where a temporary /etc/subuid
# delegates the jails' ids when newuidmap is installed. No traffic.
set -u
cd "$(dirname "$0")/../.."
. tests/netns/lib.sh
BIN=${JAIL6_TEST:-$PWD/$BUILD/tests/jail6}

t_need_root t_exec
t_private_mounts "$@"
for f in "$BIN" "$PWD/$BUILD/jail6-init" /bin/busybox; do
	[ -x "$f" ] || { echo "not ok t_exec needs $f"; exit 1; }
done

t_tmp t_exec
chmod 711 "$T"   # the jails' root users must reach their roots and U/lxc
R=$T/netns S=$T/state C=$T/jail6.conf ROOT=$T/root
mkdir -p "$R"
id=$$
CJ=c$id PJ=p$id FJ=f$id            # names of their own: cgroups are machine-wide
ALL="$CJ $PJ $FJ"
t_cleanup() {
	j6 destroy >/dev/null 2>&1
	# whatever a failed run left
	t_lxc_leftovers $ALL
}

if command -v newuidmap >/dev/null; then
	printf 'root:1000000000:10000000\n' >"$T/subid"
	mount --bind "$T/subid" /etc/subuid && mount --bind "$T/subid" /etc/subgid ||
		{ nok "bind a test /etc/subuid"; exit 1; }
fi

# a busybox root with a file that is not executable
mkdir -p "$ROOT"/{bin,etc,proc,tmp,dev,root}
cp /bin/busybox "$ROOT/bin/" && for c in sh cat true; do ln -s busybox "$ROOT/bin/$c"; done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$ROOT/etc/passwd"
printf 'data\n' >"$ROOT/etc/plain" && chmod 644 "$ROOT/etc/plain"
chmod 755 "$ROOT"

t_hostns

cat >"$C" <<CONF
jail $CJ { path = $ROOT; }
jail $PJ { }
CONF
out=$(j6 apply 2>&1); rc=$?
if [ $rc -eq 0 ]; then ok "apply"; else nok "apply" "rc=$rc" "$out" "$(cat "$S"/run/lxc/*/lxc.log 2>/dev/null | grep ERROR | head)"; exit 1; fi

# exec_is NAME STATUS MESSAGE JAIL ARGV...: jail6 exec's status and stderr
exec_is() {
	local name=$1 want=$2 msg=$3 out rc; shift 3
	out=$(j6 exec "$@" 2>&1 >/dev/null); rc=$?
	if [ $rc -eq "$want" ] && { [ -z "$msg" ] && [ -z "$out" ] || [ -n "$msg" ] && grep -qF "$msg" <<<"$out"; }; then
		ok "$name"
	else
		nok "$name" "rc=$rc, want $want" "$out"
	fi
}
for j in $CJ $PJ; do
	# the pathless jail sees the host's tree (but for its own /tmp)
	if [ $j = "$CJ" ]; then plain=/etc/plain; else plain=/etc/passwd; fi
	exec_is "$j: exec nosuch: 127, reason on stderr" 127 "$j: exec nosuch: No such file or directory" $j nosuch
	exec_is "$j: exec /no/such/path: 127" 127 "$j: exec /no/such/path: No such file or directory" $j /no/such/path
	exec_is "$j: exec of a file without x: 126" 126 "$j: exec $plain: Permission denied" $j "$plain" arg
	exec_is "$j: exec of a directory: 126" 126 "$j: exec /tmp: Permission denied" $j /tmp
	exec_is "$j: a command that exits 3: status 3, nothing said" 3 "" $j sh -c 'exit 3'
	exec_is "$j: a command that succeeds: 0" 0 "" $j true
	check "$j: stdout still the command's" test "$(j6 exec $j sh -c 'echo out')" = out
done
out=$(j6 exec $CJ sh -c 'echo err >&2; exit 3' 2>&1); rc=$?
check "$CJ: a failing command's own stderr, and only it" test $rc -eq 3 -a "$out" = err

# exec.start that cannot be executed: apply fails, the log says why
cat >>"$C" <<CONF
jail $FJ { path = $ROOT; exec.start = "/bin/nosuch"; }
CONF
out=$(j6 apply 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q "$FJ: exec /bin/nosuch: exited with status 127" <<<"$out"; then ok "$FJ: exec.start not found: apply fails, status 127"
else nok "$FJ: exec.start not found: apply fails, status 127" "rc=$rc" "$out"; fi
check "... and the jail's log has the reason" grep -qF "$FJ: exec /bin/nosuch: No such file or directory" "$S/run/log/$FJ.log"

out=$(j6 destroy 2>&1); rc=$?
check "destroy" test $rc -eq 0
check "no monitor or init left" test -z "$(pgrep -f "$S/run/lxc")"
check "no cgroup left" test -z "$(for j in $ALL; do cgroups_of "$j"; done)"

[ $n_fail -eq 0 ]
