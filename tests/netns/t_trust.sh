#!/usr/bin/env bash
# Trust in jail6's own files (util/trust.h), as sshd's StrictModes: as root,
# a config file, an include, a directory above them, the state dir, its run
# dir or the runtime dir that anyone but root may write (or a file root does
# not own) is refused with a message naming it, its mode and the fix, and
# nothing changes; check and plan only warn; a user's jail6 checks its own
# file without the rule; /tmp (sticky) above the test's directory is fine.
# Root only; throwaway namespaces under a mktemp dir; removed on exit.
set -u
cd "$(dirname "$0")/../.."
. tests/netns/lib.sh
BIN=${JAIL6:-$PWD/$BUILD/jail6}

t_need_root t_trust
t_tmp t_trust
R=$T/netns S=$T/state C=$T/jail6.conf
mkdir -p "$R"
t_cleanup() {
	chmod 0700 "$T"; chmod 0755 "$R"; chmod 0700 "$S" "$S/run" 2>/dev/null
	chown root "$C" "$T/inc.conf" 2>/dev/null; chmod 0644 "$C" "$T/inc.conf" 2>/dev/null
	"$BIN" -f "$C" -s "$S" --runtime-dir "$R" --host-netns host --lock-timeout 5 destroy --prune >/dev/null 2>&1
}
snapshot() { H ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort; ls -A "$R" | sort; }

t_hostns lo
cat >"$C" <<CONF
include "inc.conf";
bridge tb1 { address = 2001:db8:7::1/64; }
CONF
cat >"$T/inc.conf" <<CONF
jail tj1 { confine = no; interface te1 { bridge = tb1; address = 2001:db8:7::3/64; }
	exec.start = "/bin/true"; }
CONF
chmod 0644 "$C" "$T/inc.conf"
before=$(snapshot)

# refused CODE WHAT PATTERN: j6 apply exits CODE, says PATTERN, changes nothing
refused() {
	local out rc
	out=$(j6 apply 2>&1); rc=$?
	if [ $rc -eq "$1" ] && grep -qF -- "$3" <<<"$out" && [ "$(snapshot)" = "$before" ]; then ok "$2"
	else nok "$2" "rc=$rc (want $1)" "want: $3" "$out" "$(diff <(echo "$before") <(snapshot))"; fi
}

# ---- the config and its includes
chmod 0664 "$C"
refused 2 "a config writable by group is refused, nothing changed" \
	"$C: writable by group (mode 0664); jail6 runs what it says as root: chmod g-w $C"
check "... and no state was made" test ! -e "$S"
out=$(j6 check 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q "warning: $C: writable by group" <<<"$out"; then ok "check only warns"; else nok "check warns" "rc=$rc" "$out"; fi
out=$("$BIN" -f "$C" plan 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q "warning: $C: writable by group" <<<"$out"; then ok "plan only warns"; else nok "plan warns" "rc=$rc" "$out"; fi
chmod 0644 "$C"
chmod 0646 "$T/inc.conf"
refused 2 "an include writable by others is refused" "$T/inc.conf: writable by others (mode 0646)"
chmod 0644 "$T/inc.conf"
chown nobody "$T/inc.conf"
refused 2 "an include root does not own is refused" "$T/inc.conf: owned by uid $(id -u nobody), not root"
chown root "$T/inc.conf"
chmod 0770 "$T"
refused 2 "a directory above the config writable by group is refused" \
	"$T: writable by group (mode 0770), a directory above $C"
chmod 0700 "$T"

# ---- the state dir, its run dir, the runtime dir
mkdir -p "$S/run" && chmod 0777 "$S"
refused 1 "a state dir writable by others is refused" "$S: writable by group and others (mode 0777)"
chmod 1777 "$S"
refused 1 "... sticky or not (the state dir itself)" "$S: writable by group and others (mode 1777)"
chmod 0700 "$S"
check "... and no store was made in it" test ! -e "$S/jail6.db"
chmod 0757 "$S/run"
refused 1 "a run dir writable by others is refused" "$S/run: writable by others (mode 0757)"
chmod 0700 "$S/run"
chmod 0775 "$R"
refused 1 "a runtime dir writable by group is refused" "$R: writable by group (mode 0775)"
chmod 0755 "$R"
out=$(j6 status 2>&1); rc=$?
chmod 0775 "$R"
out2=$(j6 status 2>&1); rc2=$?
chmod 0755 "$R"
if [ $rc -eq 3 ] && [ $rc2 -eq 1 ] && grep -q "$R: writable by group" <<<"$out2"; then ok "status refuses it too"; else nok "status and the runtime dir" "rc=$rc $rc2" "$out2"; fi

# ---- trusted: /tmp (1777, root's) above the mktemp dir is fine
out=$(j6 apply 2>&1); rc=$?
check "with every file root's alone apply runs (under /tmp)" test $rc -eq 0 -a -e "$R/tj1"
out=$(j6 destroy 2>&1); rc=$?
check "destroy" test $rc -eq 0 -a "$(snapshot)" = "$before"

# ---- a user's jail6 checks its own file without the rule
U=$T/user && mkdir -m 0755 "$U" && cp "$C" "$T/inc.conf" "$U/" && chown -R nobody "$U" && chmod 0666 "$U/jail6.conf"
chmod 0711 "$T"
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$BIN" -f "$U/jail6.conf" check 2>&1); rc=$?
chmod 0700 "$T"
if [ $rc -eq 0 ] && ! grep -q warning <<<"$out"; then ok "a user's check of a file of theirs: no rule, no warning"; else nok "user check" "rc=$rc" "$out"; fi
