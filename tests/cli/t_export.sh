#!/usr/bin/env bash
# jail6 export --target freebsd and check --target freebsd (issue 13):
#  - the seed's export, compared file by file with tests/golden/seed.freebsd-export/
#    (and tests/golden/confine.conf's with confine.freebsd-export/: the forms of
#    confinement)
#    (hand-checked against the seed's commands: docs/freebsd.md says which line
#    carries which command);
#  - what cannot be exported is refused at FILE:LINE:COL, nothing written:
#    local = auto without --local, address = auto without a lease, a Linux-only
#    datapath (examples/lab.conf as it is);
#  - address = auto from the store's lease (tests/netns/drv_lease leases it as apply does);
#  - -o DIR: files through a temporary and a rename, a file export did not write
#    left alone unless --force, nothing deleted;
#  - check --target freebsd on tests/golden/bad-freebsd/*.conf: exact messages,
#    exit 2 (names.conf is valid for Linux: the rules are FreeBSD's).
# UPDATE_GOLDEN=1 rewrites the expected files instead (review the diff!).
set -u
cd "$(dirname "$0")/../.."
J=$(realpath "${JAIL6:-build/jail6}")
LEASE=$(realpath -m "${BUILD:-build}/tests/drv_lease")
G=tests/golden
T=$(mktemp -d /tmp/jail6-export.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "not ok $1"; [ -n "${2:-}" ] && echo "$2" | head -40 | sed 's/^/#   /'; }
check() { # name command...: ok when the command succeeds
	local name=$1; shift
	if "$@" >/dev/null 2>&1; then echo "ok $name"; else fail "$name"; fi
}
compare() { # name expected-file actual-text
	local name=$1 exp=$2 act=$3
	if [ "${UPDATE_GOLDEN:-}" = 1 ]; then printf '%s\n' "$act" >"$exp"; echo "ok $name (updated)"; return; fi
	if [ ! -f "$exp" ]; then fail "$name" "missing golden file $exp"; return; fi
	local d
	d=$(diff -u "$exp" <(printf '%s\n' "$act")) && echo "ok $name" || fail "$name" "$d"
}

# the seed: its host's address towards the broker is not in the seed; 192.168.3.2
# stands for it (the OpenVPN network 192.168.3.0/24 the broker is reached through)
S="$J -s $T/nostore -f examples/seed.conf export --target freebsd --local 192.168.3.2"
out=$($S -o "$T/seed" 2>&1); rc=$?
[ $rc -eq 0 ] && echo "ok seed export -o" || fail "seed export -o" "$out (rc $rc)"
for f in rc.conf.jail6 sysctl.conf.jail6 jail.conf README.freebsd; do
	compare "seed export $f" $G/seed.freebsd-export/$f "$(cat "$T/seed/$f" 2>&1)"
done
n=$(ls -A "$T/seed" | wc -l)
[ "$n" -eq 4 ] && echo "ok seed export wrote 4 files, no temporary left" || fail "seed export wrote 4 files" "$(ls -A "$T/seed")"
out=$($S); rc=$?
if [ $rc -eq 0 ] && [[ $out == "==> rc.conf.jail6 <=="* ]] && grep -qx '==> jail.conf <==' <<<"$out" &&
   [ "$(sed -n '/^==> jail.conf <==$/,/^$/p' <<<"$out" | sed '1d;$d')" = "$(cat "$T/seed/jail.conf")" ]; then
	echo "ok without -o the files are printed after ==> NAME <== lines"
else
	fail "without -o the files are printed after ==> NAME <== lines" "$out"
fi

# refusals: exit 2, FILE:LINE:COL, nothing written
out=$("$J" -s "$T/nostore" -f examples/seed.conf export --target freebsd -o "$T/none" 2>&1); rc=$?
[ $rc -eq 2 ] && [[ $out == *"examples/seed.conf:10:8: tunnel 'gif0': local = auto:"*"--local"* ]] && [ ! -e "$T/none" ] &&
	echo "ok local = auto without --local: refused at its tunnel, nothing written" ||
	fail "local = auto without --local: refused" "$out (rc $rc)"
out=$("$J" -f examples/lab.conf export --target freebsd --local 192.0.2.2 2>&1); rc=$?
[ $rc -eq 2 ] && [[ $out == *"examples/lab.conf:15:13: tunnel 'he0': datapath = userspace is Linux only"* ]] &&
	echo "ok lab.conf: datapath = userspace refused at the key" || fail "lab.conf: datapath refused at the key" "$out (rc $rc)"
sed 's/^\tdatapath = userspace;.*$//; s/he0/gif0/g' examples/lab.conf >"$T/lab.conf"
out=$("$J" -s "$T/nostore" -f "$T/lab.conf" export --target freebsd --local 192.0.2.2 2>&1); rc=$?
[ $rc -eq 2 ] && [[ $out == *"$T/lab.conf:"*": jail 'db': interface 'epair2': address = auto: the store in $T/nostore records no address"* ]] &&
	echo "ok address = auto without a lease: refused at its interface" || fail "address = auto without a lease: refused" "$out (rc $rc)"
sed 's/he0/he-ipv6/g; s/^\tdatapath = userspace;.*$//; s!address = auto;!address = 2001:db8:1::2/64;!' examples/lab.conf >"$T/rename.conf"
out=$("$J" -s "$T/nostore" -f "$T/rename.conf" export --target freebsd --local 192.0.2.2 2>&1); rc=$?
[ $rc -eq 2 ] && [[ $out == *"rename.conf:8:8: tunnel 'he-ipv6': rc.conf creates a gif(4) by its unit"* ]] &&
	echo "ok a tunnel not named gifN: refused at the tunnel" || fail "a tunnel not named gifN: refused" "$out (rc $rc)"
out=$("$J" -f examples/seed.conf export --target freebsd --local 2001:db8::1 2>&1); rc=$?
[ $rc -eq 2 ] && [[ $out == *"--local 2001:db8::1"* ]] && echo "ok --local must be IPv4" || fail "--local must be IPv4" "$out (rc $rc)"
out=$("$J" -f examples/seed.conf export 2>&1); rc=$?
[ $rc -eq 2 ] && [[ $out == *"--target is required"* ]] && echo "ok --target is required" || fail "--target is required" "$out"

# address = auto from the store's lease
if [ -x "$LEASE" ]; then
	lease=$("$LEASE" "$T/state" "$T/lab.conf" 2>&1)
	out=$("$J" -s "$T/state" -f "$T/lab.conf" export --target freebsd --local 192.0.2.2 2>&1); rc=$?
	want=$(awk '$1 == "db" { sub("/.*", "", $3); print $3 }' <<<"$lease")
	[ $rc -eq 0 ] && [ -n "$want" ] && grep -q "ifconfig epair2b inet6 -ifdisabled $want prefixlen 64 up" <<<"$out" &&
		echo "ok address = auto: the store's lease ($want)" || fail "address = auto: the store's lease" "$lease / $out (rc $rc)"
else
	fail "address = auto: the store's lease" "$LEASE is not built (make drivers)"
fi

# confine.conf: a path (mount.devfs), limits (rctl in exec.created and
# exec.poststop), grants, exec.start/exec.stop, stop.timeout, confine = no,
# and db's auto address from a lease
if [ -x "$LEASE" ] && "$LEASE" "$T/cstate" $G/confine.conf >/dev/null 2>&1; then
	out=$("$J" -s "$T/cstate" -f $G/confine.conf export --target freebsd -o "$T/confine" 2>&1) ||
		fail "confine export -o" "$out"
	for f in rc.conf.jail6 jail.conf README.freebsd; do
		compare "confine export $f" $G/confine.freebsd-export/$f "$(cat "$T/confine/$f" 2>&1)"
	done
else
	fail "confine export: lease" "$LEASE"
fi

# -o DIR: a file export did not write stops the run before any write
mkdir -p "$T/own"
echo 'jail_enable="NO"  # the admin'"'"'s' >"$T/own/rc.conf.jail6"
out=$($S -o "$T/own" 2>&1); rc=$?
[ $rc -ne 0 ] && [[ $out == *"rc.conf.jail6: not written by jail6 export"* ]] && [ "$(ls -A "$T/own")" = rc.conf.jail6 ] &&
	grep -q "the admin's" "$T/own/rc.conf.jail6" && echo "ok a file export did not write is left alone, nothing written" ||
	fail "a file export did not write is left alone" "$out / $(ls -A "$T/own")"
out=$($S -o "$T/own" --force 2>&1); rc=$?
[ $rc -eq 0 ] && cmp -s "$T/own/rc.conf.jail6" "$T/seed/rc.conf.jail6" && echo "ok --force overwrites it" ||
	fail "--force overwrites it" "$out"
echo "keep me" >"$T/own/other"
out=$($S -o "$T/own" 2>&1); rc=$?
[ $rc -eq 0 ] && [ -f "$T/own/other" ] && [ "$(ls -A "$T/own" | wc -l)" -eq 5 ] &&
	echo "ok a second export overwrites its own files and deletes nothing" ||
	fail "a second export overwrites its own files" "$out / $(ls -A "$T/own")"

# check --target freebsd
for f in $G/bad-freebsd/*.conf; do
	compare "check --target freebsd $(basename "$f")" "${f%.conf}.err" \
		"$(cd $G/bad-freebsd && "$J" check --target freebsd -f "$(basename "$f")" 2>&1; echo "exit $?")"
done
check "names.conf is valid for Linux" "$J" check -q -f $G/bad-freebsd/names.conf
for f in examples/seed.conf $G/confine.conf; do
	check "check --target freebsd $(basename "$f") is clean" "$J" check -q --target freebsd -f "$f"
done
out=$("$J" check --target solaris -f examples/seed.conf 2>&1); rc=$?
[ $rc -eq 2 ] && [[ $out == *solaris* ]] && echo "ok check: unknown target rejected" || fail "check: unknown target rejected" "$out"

# the help says what export does
out=$("$J" --help); [[ $out == *"export"* ]] && echo "ok --help lists export" || fail "--help lists export" "$out"
out=$("$J" export --help)
[[ $out == *"--target freebsd"* && $out == *"--force"* && $out == *"--local"* && $out == *"-o DIR"* ]] &&
	echo "ok export --help" || fail "export --help" "$out"
out=$("$J" check --help); [[ $out == *"--target freebsd"* ]] && echo "ok check --help" || fail "check --help" "$out"
exit 0
