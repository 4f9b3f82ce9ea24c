#!/usr/bin/env bash
# Golden tests of the CLI: `jail6 plan` in every rendering for the examples
# and tests/golden/confine.conf,
# and `jail6 check` on broken files (exact messages and exit status).
# UPDATE_GOLDEN=1 rewrites the expected files instead (review the diff!).
set -u
cd "$(dirname "$0")/../.."
J=$(realpath "${JAIL6:-build/jail6}")
G=tests/golden
fail() { echo "not ok $1"; [ -n "${2:-}" ] && echo "$2" | head -40 | sed 's/^/#   /'; }

compare() { # name expected-file actual-text
	local name=$1 exp=$2 act=$3
	if [ "${UPDATE_GOLDEN:-}" = 1 ]; then printf '%s\n' "$act" >"$exp"; echo "ok $name (updated)"; return; fi
	if [ ! -f "$exp" ]; then fail "$name" "missing golden file $exp"; return; fi
	local d
	d=$(diff -u "$exp" <(printf '%s\n' "$act")) && echo "ok $name" || fail "$name" "$d"
}

# the examples, and confine.conf: the forms of confinement
for f in examples/seed.conf examples/lab.conf $G/confine.conf; do
	ex=$(basename "$f" .conf)
	compare "plan $ex linux" $G/$ex.linux.txt "$("$J" -f $f plan 2>&1; echo "exit $?")"
	compare "plan $ex freebsd" $G/$ex.freebsd.txt "$("$J" -f $f plan --target freebsd 2>&1; echo "exit $?")"
	compare "plan $ex json" $G/$ex.json "$("$J" -f $f plan --json 2>&1; echo "exit $?")"
	compare "plan $ex freebsd json" $G/$ex.freebsd.json "$("$J" -f $f plan --json --target freebsd 2>&1; echo "exit $?")"
	out=$("$J" check -f $f 2>&1); rc=$?
	[ $rc -eq 0 ] && echo "ok check $ex is clean" || fail "check $ex is clean" "$out"
done

# the seed's commands, in a working order, as a subsequence of the FreeBSD plan
want=(
	"route add -host 72.52.104.74 192.168.3.1"
	"ifconfig gif0 create"
	"ifconfig gif0 tunnel "
	"ifconfig gif0 inet6 2001:470:7:5d1::2 2001:470:7:5d1::1 prefixlen 128"
	"route add -inet6 default 2001:470:7:5d1::1"
	"sysctl net.inet6.ip6.forwarding=1"
	"ifconfig bridge0 create"
	"ifconfig bridge0 inet6 2001:470:8142:1::1 prefixlen 64"
	"ifconfig bridge0 addm bge0 up"
	"jail -c name=ClamAV_Dev "
	"ifconfig epair1 create"
	"ifconfig bridge0 addm epair1a"
	"ifconfig epair1b vnet ClamAV_Dev"
	"jexec ClamAV_Dev ifconfig epair1b inet6 -ifdisabled 2001:470:8142:1::3 prefixlen 64 up"
	"jexec ClamAV_Dev route add -inet6 default 2001:470:8142:1::1"
)
plan=$("$J" -f examples/seed.conf plan --target freebsd 2>&1)
i=0 ok=1
while IFS= read -r line; do
	[ $i -lt ${#want[@]} ] && [[ "$line" == "${want[$i]}"* ]] && i=$((i + 1))
done <<<"$plan"
[ $i -eq ${#want[@]} ] && echo "ok seed commands in a working order" || fail "seed commands in a working order" "stopped before: ${want[$i]}"
if grep -Eq 'addm gif|addm .*gif0' <<<"$plan"; then fail "gif0 never in a bridge" "$plan"; else echo "ok gif0 never in a bridge"; fi
if grep -Eq 'jail -c .*vnet persist' <<<"$plan"; then echo "ok jail is vnet persist"; else fail "jail is vnet persist" "$plan"; fi

# broken files: exact errors, exit 2
for f in $G/bad/*.conf; do
	[ -f "$f" ] || continue
	compare "check $(basename "$f")" "${f%.conf}.err" "$(cd $G/bad && "$J" check -f "$(basename "$f")" 2>&1; echo "exit $?")"
done

# the CLI itself
out=$("$J" --help); [[ $out == *"plan"* && $out == *"check"* ]] && echo "ok --help lists commands" || fail "--help lists commands" "$out"
"$J" nosuch >/dev/null 2>&1; [ $? -eq 2 ] && echo "ok unknown command exits 2" || fail "unknown command exits 2"
out=$("$J" -f /nonexistent/jail6.conf check 2>&1); rc=$?
[ $rc -eq 2 ] && [[ $out == *"/nonexistent/jail6.conf"* ]] && echo "ok missing file named, exit 2" || fail "missing file named, exit 2" "$out (rc $rc)"
out=$("$J" -f examples/seed.conf plan --target solaris 2>&1); rc=$?
[ $rc -eq 2 ] && [[ $out == *solaris* ]] && echo "ok unknown target rejected" || fail "unknown target rejected" "$out"
exit 0
