#!/usr/bin/env bash
# The lab end to end: `jail6-lab test` builds the seed's world in network
# namespaces (broker, remote host, VPS with OpenVPN and NAT, the host with
# its jails), checks it, and takes it down again, in a lab directory of its
# own (so a lab someone left up is not touched). Its "ok NAME" / "not ok
# NAME" lines are passed through; everything else it prints becomes a "#"
# comment. Root only; needs openvpn, nft, ping, ip and busybox (the programs the
# lab's own preflight looks for), else it says "skip" (which fails a root
# run: see tests/skip-allow). LAB_CONF names another host config (as
# t_lab_ebpf.sh does).
set -u
cd "$(dirname "$0")/../.."
. tests/lab/lib.sh
lab_need t_lab

child=
stop() {
	# lab test takes the lab down itself on SIGTERM; wait (bounded) for it
	if [ -n "$child" ]; then
		kill -TERM "$child" 2>/dev/null
		for _ in $(seq 60); do kill -0 "$child" 2>/dev/null || break; sleep 1; done
	fi
	lab down >/dev/null 2>&1
	exit 1
}
trap stop INT TERM

out=$(mktemp /tmp/jail6-t_lab-out.XXXXXX)
lab test ${LAB_CONF:+--conf "$LAB_CONF"} >"$out" 2>&1 &
child=$!
wait "$child"
rc=$?
child=
sed -E '/^(ok|not ok|skip) /!s/^/# /' "$out"
if [ "$rc" -ne 0 ] && ! grep -q '^not ok ' "$out"; then
	echo "not ok lab-test # jail6-lab test exited $rc"
fi
rm -f "$out"
# nothing of the lab may survive the test
if [ -e "$D" ]; then echo "not ok lab-left-nothing # $D still exists"; lab down >/dev/null 2>&1; else echo "ok lab-left-nothing"; fi
