#!/bin/bash
# The checks of tests/qemu/t_boot.sh, inside the guest: installed as
# /usr/local/sbin/j6boot-check and run by j6boot-check.service once
# jail6.service has started (or failed), at every boot of the same disk.
# Prints "J6TEST ok|not ok boot N: CHECK" lines (details as "J6TEST # ...")
# on the serial console, for the host to count. Each wait is bounded
# (j6boot.wait= seconds on the kernel command line, default 60); before each
# check it says which one it is in, so a hang names it. Then, while fewer
# than j6boot.boots= boots (default 2) were made, it reboots the guest
# (as systemctl reboot does); after the last one it prints "J6TEST done" and powers
# it off.
#   boot N:  jail6.service active; the tunnel's datapath unit
#            jail6-datapath@he0.service active (Type=notify: READY was sent),
#            its MainPID the pidfile's; `jail6 status` says in sync; no
#            unit failed (systemctl --failed); alpha
#            pings beta, the tunnel peer 2001:db8:1::1 and 2001:db8:ff::1
#            behind the broker (through the tunnel); the jails' addresses
#            (`jail6 status --json`) printed and kept in /var/lib/j6boot
#   boot 1:  `systemctl reload jail6` (apply again) leaves it in sync and the
#            datapath's process as it was
#   boot 2+: the same, plus: the previous shutdown stopped jail6.service
#            and the datapath's unit without a failure (journal of the
#            previous boot), and the jails' addresses are the first boot's
PATH=/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
S=/var/lib/j6boot
mkdir -p "$S"
n=$(($(cat "$S/boot" 2>/dev/null || echo 0) + 1))
echo "$n" >"$S/boot"
sync
BOOTS=2 WAIT=60
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	j6boot.boots=*) BOOTS=${arg#j6boot.boots=} ;;
	j6boot.wait=*) WAIT=${arg#j6boot.wait=} ;;
	esac
done
fails=0
say() { printf 'J6TEST # boot %s: %s\n' "$n" "$*"; }
ok() { printf 'J6TEST ok boot %s: %s\n' "$n" "$1"; }
nok() {
	local name=$1 l
	shift
	printf 'J6TEST not ok boot %s: %s\n' "$n" "$name"
	fails=$((fails + 1))
	for l in "$@"; do [ -n "$l" ] && printf '%s\n' "$l" | tail -30 | sed 's/^/J6TEST #   /'; done
}
# stage CHECK: say which check runs (the host names the last one on a hang)
stage() { say "checking: $1"; }
# wait_for SECS CMD...: poll CMD every half second until it succeeds, at
# most SECS; its last output in /tmp/j6boot.out
wait_for() {
	local secs=$1 end
	shift
	end=$(($(date +%s) + secs))
	while :; do
		"$@" >/tmp/j6boot.out 2>&1 && return 0
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 0.5
	done
}
# check NAME CMD...: bounded wait for CMD; ok or not ok with its output
check() {
	local name=$1
	shift
	stage "$name"
	if wait_for "$WAIT" "$@"; then ok "$name"; else nok "$name" "$(cat /tmp/j6boot.out)"; fi
}
is_active() { [ "$(systemctl is-active "$1")" = active ]; }
in_sync() { jail6 status && jail6 status | grep -q '^in sync'; }
ping6_from() { ip netns exec "$1" ping -6 -c 1 -W 2 "$2"; }
pid_of() { read -r p _ <"$1" && echo "$p"; }
datapath_pid_is_main() {
	local main
	main=$(systemctl show -p MainPID --value jail6-datapath@he0.service)
	[ -n "$main" ] && [ "$main" != 0 ] && [ "$(pid_of /var/lib/jail6/run/tunnel/he0.pid)" = "$main" ]
}
# the jails' global addresses, "NAME ADDR,ADDR" per jail
jail_addrs() {
	jail6 status --json | jq -r '.jails[] | "\(.name) \([.interfaces[].addresses[] | select(startswith("2001:db8:"))] | join(","))"'
}

# (a new line first: the console may hold SeaBIOS's last words)
echo
say "kernel $(uname -r), systemd $(systemctl --version | head -1 | cut -d' ' -f2), up $(cut -d' ' -f1 /proc/uptime)s, $(systemctl is-system-running)"
check "jail6.service active" is_active jail6.service
if ! is_active jail6.service; then
	say "systemctl status jail6:"
	systemctl status --no-pager -l jail6.service 2>&1 | tail -30 | sed 's/^/J6TEST #   /'
fi
check "jail6-datapath@he0.service active (READY sent)" is_active jail6-datapath@he0.service
check "the datapath unit's MainPID is the tunnel's pidfile's" datapath_pid_is_main
stage "the datapath's process"
say "datapath: $(systemctl show -p MainPID -p NRestarts -p NotifyAccess jail6-datapath@he0.service | tr '\n' ' ')"
p=$(systemctl show -p MainPID --value jail6-datapath@he0.service)
# the unit's main process is jail6 (root, the parent that restarts); the
# packets are moved by its child jail6-datapath, which gave up its privileges
dp=
for c in /proc/[0-9]*; do
	[ "$(awk '/^PPid:/ { print $2 }' "$c/status" 2>/dev/null)" = "${p:-none}" ] &&
		[ "$(cat "$c/comm" 2>/dev/null)" = jail6-datapath ] && dp=${c#/proc/}
done
[ -n "$dp" ] && say "jail6-datapath $dp: $(grep -E '^(Uid|CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/"$dp"/status 2>/dev/null | tr -s '\t\n' '  ')"
unprivileged() {
	[ -n "$dp" ] || return 1
	awk '/^Uid:/ { u = ($2 && $3 && $4 && $5) } /^CapEff:/ { c = ($2 == "0000000000000000") }
	     /^NoNewPrivs:/ { n = ($2 == 1) } /^Seccomp:/ { s = ($2 == 2) } END { exit !(u && c && n && s) }' "/proc/$dp/status"
}
check "the datapath unit's jail6-datapath runs unprivileged (Uid not 0, CapEff 0, NoNewPrivs 1, Seccomp 2)" unprivileged
check "jail6 status says in sync" in_sync
stage "no failed unit"
failed_units=$(systemctl list-units --failed --plain --no-legend 2>&1)
if [ -z "$failed_units" ]; then ok "no failed unit"; else nok "no failed unit" "$failed_units"; fi
check "alpha pings the tunnel peer 2001:db8:1::1" ping6_from alpha 2001:db8:1::1
check "alpha pings 2001:db8:ff::1 behind the broker, through the tunnel" ping6_from alpha 2001:db8:ff::1
stage "the jails' addresses"
if jail_addrs >"$S/addrs.$n" 2>/tmp/j6boot.out && [ "$(grep -c ' 2001:db8:2:' "$S/addrs.$n")" -eq 2 ]; then
	ok "jail6 status --json: both jails have an address of the prefix"
else
	nok "jail6 status --json: both jails have an address of the prefix" "$(cat "$S/addrs.$n" /tmp/j6boot.out)"
fi
while read -r name addrs; do say "address $name $addrs"; done <"$S/addrs.$n"
beta=$(awk '$1 == "beta" { split($2, a, ","); sub(/\/.*/, "", a[1]); print a[1] }' "$S/addrs.$n")
check "alpha pings beta (${beta:-no address})" ping6_from alpha "${beta:-2001:db8:2::ffff}"
if [ "$n" -eq 1 ]; then
	# ExecReload (jail6 apply again): nothing to do, the datapath untouched
	stage "systemctl reload jail6"
	before=$(systemctl show -p MainPID --value jail6-datapath@he0.service)
	if out=$(timeout "$WAIT" systemctl reload jail6.service 2>&1) && in_sync >/tmp/j6boot.out 2>&1 &&
		[ "$(systemctl show -p MainPID --value jail6-datapath@he0.service)" = "$before" ]; then
		ok "systemctl reload jail6: in sync after it, the datapath's process the same"
	else
		nok "systemctl reload jail6: in sync after it, the datapath's process the same" "$out" "$(cat /tmp/j6boot.out)" \
			"datapath MainPID before $before, after $(systemctl show -p MainPID --value jail6-datapath@he0.service)" \
			"$(journalctl -b -o cat --no-pager -u jail6.service | tail -8)"
	fi
fi
if [ "$n" -gt 1 ]; then
	if [ -s "$S/addrs.1" ] && cmp -s "$S/addrs.1" "$S/addrs.$n"; then
		ok "the jails' auto addresses are the first boot's"
	else
		nok "the jails' auto addresses are the first boot's" "boot 1: $(tr '\n' ' ' <"$S/addrs.1" 2>/dev/null)" "boot $n: $(tr '\n' ' ' <"$S/addrs.$n")"
	fi
	stage "the previous shutdown"
	prev=$(journalctl -b -1 -o cat --no-pager -u jail6.service 2>&1)
	grep -A100 -m1 'Stopping jail6' <<<"$prev" | head -20 | sed "s/^/J6TEST # boot $n: the previous shutdown: /"
	if grep -q 'Stopped jail6' <<<"$prev" && ! grep -qi 'failed' <<<"$prev"; then
		ok "the previous shutdown stopped jail6.service (jail6 stop --shutdown) without a failure"
	else
		nok "the previous shutdown stopped jail6.service (jail6 stop --shutdown) without a failure" "$prev"
	fi
	prev=$(journalctl -b -1 -o cat --no-pager -u jail6-datapath@he0.service 2>&1)
	if grep -q 'Stopped jail6' <<<"$prev" && ! grep -qi 'failed' <<<"$prev"; then
		ok "the previous shutdown stopped jail6-datapath@he0.service without a failure"
	else
		nok "the previous shutdown stopped jail6-datapath@he0.service without a failure" "$prev"
	fi
fi
# when (seconds since the kernel started) jail6.service began and finished
mono() { systemctl show -p "$2" --value "$1" | awk '{ printf "%.1f", $1 / 1e6 }'; }
say "jail6.service started at $(mono jail6.service InactiveExitTimestampMonotonic)s, active at $(mono jail6.service ActiveEnterTimestampMonotonic)s; the datapath's unit active at $(mono jail6-datapath@he0.service ActiveEnterTimestampMonotonic)s"
# what systemd or jail6 warned about at this boot, for the log
journalctl -b -p warning -o cat --no-pager 2>/dev/null | grep -i 'jail6' | head -20 | sed "s/^/J6TEST # boot $n: warning: /"
if [ "$fails" -ne 0 ]; then
	say "journal of jail6 and its datapath:"
	journalctl -b -o short-monotonic --no-pager -u jail6.service -u jail6-datapath@he0.service 2>&1 | tail -40 | sed 's/^/J6TEST #   /'
fi
if [ "$n" -lt "$BOOTS" ]; then
	say "rebooting (reboot.target), $fails failed"
	# what `systemctl reboot` does, without asking logind first (the
	# guest has no D-Bus)
	systemctl --no-block --job-mode=replace-irreversibly start reboot.target 2>&1 | sed 's/^/J6TEST #   /'
else
	say "last boot, $fails failed; powering off"
	echo "J6TEST done"
	systemctl --no-block --job-mode=replace-irreversibly start poweroff.target 2>&1 | sed 's/^/J6TEST #   /'
fi
exit 0
