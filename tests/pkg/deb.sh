#!/usr/bin/env bash
# The Debian package end to end, on this machine (CI runs it after `make
# deb`; not a t_*.sh, as it installs into the machine, so `make check`
# leaves it out):
#   tests/pkg/deb.sh [PATH/jail6_VERSION_ARCH.deb]   (default build/deb/jail6_*.deb)
# lintian (no errors), install with apt-get (for the Depends), the installed
# jail6 on the installed examples (check, plan), the default /etc/jail6.conf
# applied (nothing to do), the units through systemd-analyze verify, the
# system user, the conffile; then purge, and nothing of the package is left:
# no file dpkg -L listed, no user, no state directory, no unit link. The
# network (links, addresses, routes of the machine's namespace) is compared
# before and after: the maintainer scripts never touch it. The exit trap
# purges what this script installed, also after a failure.
set -u
cd "$(dirname "$0")/../.."
. tests/netns/lib.sh
t_need_root deb
t_tmp deb

deb=${1:-$(ls build/deb/jail6_*.deb 2>/dev/null | grep -v dbgsym | tail -1)}
if [ -z "$deb" ] || [ ! -f "$deb" ]; then
	nok "a package to test" "none given and no build/deb/jail6_*.deb: run make deb"
	exit 1
fi
if dpkg-query -W -f='${Status}' jail6 2>/dev/null | grep -q 'installed'; then
	nok "jail6 is not installed before the test" "$(dpkg-query -W -f='${Status} ${Version}' jail6)" \
		"this test installs and purges the package: remove it first (dpkg --purge jail6)"
	exit 1
fi
installed=0
t_cleanup() {
	if [ "$installed" -eq 1 ] && dpkg-query -W -f='${Status}' jail6 2>/dev/null | grep -q 'install\|config-files'; then
		DEBIAN_FRONTEND=noninteractive dpkg --purge jail6 >/dev/null 2>&1
	fi
}
# netsnap: the machine's own namespace: links, addresses, routes, rules
netsnap() { ip -o link show | sed 's/ qlen [0-9]*//'; ip -o addr show; ip route show; ip -6 route show; ip rule show; }

out=$(lintian --fail-on error --display-info "$deb" 2>&1); rc=$?
if [ $rc -eq 0 ]; then ok "lintian: no errors"; else nok "lintian: no errors" "$out"; fi
# its warnings and notes, for the log (root's own notice left out)
grep -v 'running with root privileges' <<<"$out" | sed '/^$/d; s/^/# lintian: /'

net_before=$(netsnap)
# apt-get takes a local file for a path with a slash
case $deb in /*) path=$deb ;; *) path=./$deb ;; esac
out=$(DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$path" 2>&1); rc=$?
installed=1
check "apt-get installs $deb" test $rc -eq 0
[ $rc -eq 0 ] || { printf '%s\n' "$out" | tail -20 | sed 's/^/#   /'; exit 1; }
dpkg -L jail6 | sort >"$T/files"

expect "installed, configured" "install ok installed" "$(dpkg-query -W -f='${Status}' jail6)"
check "/usr/sbin/jail6 --version runs" test -n "$(/usr/sbin/jail6 --version)"
for f in /usr/share/jail6/examples/*.conf; do
	out=$(/usr/sbin/jail6 -f "$f" check 2>&1); rc=$?
	if [ $rc -eq 0 ]; then ok "installed jail6 check $f"; else nok "installed jail6 check $f" "$out"; fi
	out=$(/usr/sbin/jail6 -f "$f" plan 2>&1); rc=$?
	if [ $rc -eq 0 ] && [ -n "$out" ]; then ok "installed jail6 plan $f"; else nok "installed jail6 plan $f" "$out"; fi
done
# (the lab's files use the userspace datapath, which FreeBSD has not)
out=$(/usr/sbin/jail6 -f /usr/share/jail6/examples/seed.conf plan --target freebsd 2>&1); rc=$?
check "installed jail6 plan --target freebsd seed.conf" test $rc -eq 0 -a -n "$out"
check "the helpers are where jail6 looks" test -x /usr/lib/jail6/jail6-init -a -x /usr/lib/jail6/jail6-start \
	-a -x /usr/lib/jail6/jail6-datapath
libs=$(ldd /usr/lib/jail6/jail6-datapath 2>&1)
if ! grep -qE 'libcurl|libsqlite3|libjansson|liblxc|not found' <<<"$libs"; then ok "the installed jail6-datapath links none of libcurl, sqlite3, jansson, liblxc"; else
	nok "the installed jail6-datapath links none of libcurl, sqlite3, jansson, liblxc" "$libs"; fi
check "manual pages" test -f /usr/share/man/man8/jail6.8.gz -a -f /usr/share/man/man5/jail6.conf.5.gz -a -f /usr/share/man/man8/jail6-lab.8.gz

# the conffile: listed, and as installed it declares nothing
check "/etc/jail6.conf is a conffile" grep -q '^ /etc/jail6.conf ' <<<"$(dpkg-query -W -f='${Conffiles}\n' jail6)"
expect "/etc/jail6.conf: root's, 0644" "root 644" "$(stat -c '%U %a' /etc/jail6.conf)"
out=$(/usr/sbin/jail6 check 2>&1); rc=$?
expect "the default /etc/jail6.conf checks, with nothing in it" "0 /etc/jail6.conf: ok: 0 tunnels, 0 bridges, 0 jails, 0 interfaces" "$rc $out"
out=$(/usr/sbin/jail6 apply 2>&1); rc=$?
check "apply of the default /etc/jail6.conf has nothing to do" test $rc -eq 0 -a "$(grep -c 'nothing to do' <<<"$out")" -eq 1
check "it made the state directory, root's, 0700" test "$(stat -c '%U %a' /var/lib/jail6 2>/dev/null)" = "root 700"

# the system user of the datapath
pw=$(getent passwd _jail6)
check "system user _jail6 (uid < 1000, no login, no home)" \
	test -n "$pw" -a "$(cut -d: -f3 <<<"$pw")" -lt 1000 -a "$(cut -d: -f6 <<<"$pw")" = /nonexistent -a \
	"$(cut -d: -f7 <<<"$pw")" = /usr/sbin/nologin
check "its group _jail6" test -n "$(getent group _jail6)"

# the units
for u in jail6.service jail6-datapath@.service jail6-update@.service jail6-update@.timer; do
	check "unit $u installed" test -f "/lib/systemd/system/$u"
done
man=--man=no
command -v man >/dev/null && man=--man=yes
out=$(systemd-analyze verify $man jail6.service jail6-datapath@he0.service jail6-update@he0.service \
	jail6-update@he0.timer 2>&1); rc=$?
if [ $rc -eq 0 ] && [ -z "$out" ]; then ok "systemd-analyze verify $man: the installed units"; else nok "systemd-analyze verify: the installed units" "$out"; fi
check "jail6.service enabled for the next boot" test -L /etc/systemd/system/multi-user.target.wants/jail6.service
# (by executable: another test's build/jail6 may run meanwhile)
ours() { local p; for p in /proc/[0-9]*; do readlink "$p/exe"; done 2>/dev/null | grep -c '^/usr/sbin/jail6'; }
expect "nothing of the installed jail6 runs after the install" 0 "$(ours)"
expect "the install (and that apply) touched no network" "$net_before" "$(netsnap)"

# purge: nothing of the package is left
out=$(DEBIAN_FRONTEND=noninteractive apt-get purge -y -q jail6 2>&1); rc=$?
check "apt-get purge jail6" test $rc -eq 0
[ $rc -eq 0 ] || printf '%s\n' "$out" | tail -20 | sed 's/^/#   /'
expect "not installed any more" "" "$(dpkg-query -W -f='${Status}' jail6 2>/dev/null | grep -v not-installed)"
left=
while read -r f; do
	# directories other packages share (/usr, /lib/systemd/system) stay;
	# (/lib is a link to usr/lib on a merged /usr)
	if [ -d "$f" ]; then
		case $f in */jail6|*/jail6/*) [ -e "$f" ] && left="$left $f" ;; esac
	elif [ -e "$f" ] || [ -L "$f" ]; then
		left="$left $f"
	fi
done <"$T/files"
expect "every file dpkg -L listed is gone" "" "$left"
check "/etc/jail6.conf gone" test ! -e /etc/jail6.conf
check "the state directory gone" test ! -e /var/lib/jail6
check "the user _jail6 gone" test -z "$(getent passwd _jail6)"
check "the group _jail6 gone" test -z "$(getent group _jail6)"
check "no unit link left" test -z "$(find /etc/systemd/system -name 'jail6*' 2>/dev/null)"
check "no deb-systemd-helper state left" test -z "$(find /var/lib/systemd/deb-systemd-helper-enabled -name 'jail6*' 2>/dev/null)"
expect "the purge touched no network" "$net_before" "$(netsnap)"
installed=0
exit $((n_fail > 0))
