#!/usr/bin/env bash
# jail6 serve as a hostile tester meets it: the HTTP child's privileges as
# /proc/PID/status shows them (its own uid, no capability, no_new_privs,
# seccomp, an empty root, no environment, no store, no netlink); the JSON
# API and the pages for a bearer token and a session; and the refusals: no
# credential, a wrong or missing CSRF token, a wrong password (then the
# rate limit), oversized bodies and headers, a slow client, path traversal
# in /static, plain HTTP on a non-loopback address. A refused request
# changes nothing (host snapshot before and after). HTTP only on loopback
# inside the test's own namespace. Root only; everything removed on exit.
set -u
cd "$(dirname "$0")/../.."
. tests/netns/lib.sh
BIN=${JAIL6:-$PWD/$BUILD/jail6}

t_need_root t_serve
t_private_mounts "$@"
for tool in curl openssl; do
	command -v $tool >/dev/null || { echo "not ok t_serve needs $tool"; exit 1; }
done
t_tmp t_serve
chmod 711 "$T"             # confined jails: their root user reaches its lxc dir below
R=$T/netns S=$T/state C=$T/jail6.conf U=$T/users D=$T/jail6.d
PORT=6446 TPORT=6447
K3=n$$ K4=m$$              # the jails made through the API and the form (cgroups are machine-wide)
mkdir -p "$R" "$D"
: >"$D/index.conf"
SPIDS=()
t_cleanup() {
	for p in "${SPIDS[@]}"; do kill "$p" 2>/dev/null; done
	[ -z "${SERVE_LOG_DIR:-}" ] || cp "$T"/serve*.log "$SERVE_LOG_DIR/" 2>/dev/null
	for p in "${SPIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	j6 destroy >/dev/null 2>&1
	t_lxc_leftovers "$K3" "$K4"
}

# ids for the confined jails the web UI makes: delegated to root where
# newuidmap would be asked (in this mount namespace only)
if command -v newuidmap >/dev/null; then
	printf 'root:1000000000:10000000\n' >"$T/subid"
	mount --bind "$T/subid" /etc/subuid && mount --bind "$T/subid" /etc/subgid ||
		{ nok "bind a test /etc/subuid"; exit 1; }
fi
t_hostns lo
cat >"$C" <<'CONF'
include "jail6.d/index.conf";
bridge sb0 { address = 2001:db8:1::1/64; }
jail k1 { confine = no; interface se1 { bridge = sb0; address = 2001:db8:1::3/64; } }
jail k2 { confine = no; interface se2 { bridge = sb0; address = auto; }
	exec.start = "/bin/sh", "-c", "echo '<script>alert(1)</script>'";
}
CONF
out=$(j6 apply 2>&1) || { nok "apply the world" "$out"; exit 1; }

snapshot() {
	H ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort
	H ip -o addr show | awk '{print $2, $4}' | grep -v ' fe80:' | sort
	H ip -6 route show | sort
	ls -A "$R" | sort
	ls -A "$D" | sort; grep -v '^#' "$D/index.conf"
	sqlite3 "$S/jail6.db" "SELECT kind, name FROM own ORDER BY kind, name; SELECT name, state FROM jail ORDER BY name" 2>&1
}

# ---- accounts: a password from stdin, never argv; a token printed once
out=$(printf 'pw-of-admin\n' | "$BIN" serve --users "$U" --add-user admin 2>&1)
check "--add-user reads the password from stdin" grep -q '^user admin \$y\$' "$U"
expect "the accounts file is root's, mode 600" "0 600" "$(stat -c '%u %a' "$U")"
printf 'pw-of-rl\n' | "$BIN" serve --users "$U" --add-user rl >/dev/null 2>&1
TOK=$("$BIN" serve --users "$U" --add-token admin 2>&1)
check "--add-token prints j6_ID_SECRET" grep -qE '^j6_[0-9a-f]{16}_[0-9a-f]{64}$' <<<"$TOK"
check "the file keeps the token's hash only" test "$(grep -c "${TOK##*_}" "$U")" = 0
out=$(printf '\n' | "$BIN" serve --users "$U" --add-user empty 2>&1); rc=$?
check "an empty password is refused" test $rc -ne 0
out=$(printf 'x\n' | "$BIN" serve --users "$U" --add-user 'Bad<Name>' 2>&1); rc=$?
check "a user name outside [a-z_][a-z0-9_.-]* is refused" test $rc -ne 0

# ---- plain HTTP on a non-loopback address is refused
out=$(H "$BIN" -f "$C" -s "$S" serve --users "$U" --listen 192.0.2.1:$PORT 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q 'not loopback' <<<"$out"; then ok "non-loopback without TLS is refused"; else nok "non-loopback without TLS is refused" "rc=$rc" "$out"; fi

# ---- start it: the parent here, with the engine; the socket on the loopback
# of the host namespace (--host-netns)
"$BIN" -f "$C" -s "$S" --runtime-dir "$R" --host-netns host --lock-timeout 20 serve --users "$U" \
	--jail-dir "$D" --listen 127.0.0.1:$PORT >"$T/serve.log" 2>&1 &
SPIDS+=($!)
SPID=$!
URL=http://127.0.0.1:$PORT
up() { H curl -s -o /dev/null "$URL/login"; }
POLL_TRIES=100
if poll up; then ok "serve answers on 127.0.0.1:$PORT in the test's namespace"; else nok "serve answers" "$(cat "$T/serve.log")"; exit 1; fi
CPID=$(pgrep -P "$SPID" | head -1)
check "the HTTP child is a process of its own" test -n "$CPID"

check "the listening socket is in the host namespace" test -n "$(H ss -ltnpH "sport = :$PORT" | grep "pid=$CPID,")"
check "... not in the machine's own" test -z "$(ss -ltnpH "sport = :$PORT" | grep "pid=$CPID,")"

# ---- the child's privileges, from /proc
st=/proc/$CPID/status
nobody=$(id -u nobody)
child_uid=$(id -u _jail6 2>/dev/null || echo "$nobody")
expect "child: uid is _jail6 or nobody (real, effective, saved, fs)" "$child_uid $child_uid $child_uid $child_uid" "$(awk '/^Uid:/ {print $2, $3, $4, $5}' "$st")"
expect "child: no supplementary group" "" "$(awk '/^Groups:/ {$1=""; print}' "$st" | tr -d ' ')"
for cap in CapInh CapPrm CapEff CapBnd CapAmb; do
	expect "child: $cap is empty" 0000000000000000 "$(awk -v k="$cap:" '$1 == k {print $2}' "$st")"
done
expect "child: no_new_privs" 1 "$(awk '/^NoNewPrivs:/ {print $2}' "$st")"
expect "child: seccomp filter mode" 2 "$(awk '/^Seccomp:/ {print $2}' "$st")"
expect "child: its root is an empty directory" "" "$(ls -A "/proc/$CPID/root/" 2>&1)"
check "... removed once the child is in it (nothing is left behind)" grep -q ' (deleted)$' <<<"$(readlink "/proc/$CPID/root")"
check "child: its root is not /" test "$(stat -L -c %i "/proc/$CPID/root")" != "$(stat -c %i /)"
expect "child: empty environment" "" "$(tr -d '\0' <"/proc/$CPID/environ")"
fds=$(ls -l "/proc/$CPID/fd/" | awk 'NR > 1 {print $NF}')
check "child: no descriptor on the store" test -z "$(grep -E 'jail6\.db|/state' <<<"$fds")"
socks=$(sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p' <<<"$fds")
nl=$(awk 'NR > 1 {print $NF}' /proc/$CPID/net/netlink)
bad=$(for s in $socks; do grep -qx "$s" <<<"$nl" && echo "$s"; done)
check "child: no netlink socket" test -z "$bad"
expect "parent: still root" 0 "$(awk '/^Uid:/ {print $3}' /proc/$SPID/status)"

before=$(snapshot)

# ---- the API with a bearer token
# flip S: S with its last hex digit changed
flip() { if [ "${1: -1}" = 0 ]; then echo "${1%?}1"; else echo "${1%?}0"; fi; }
code() { H curl -s -o "$T/body" -w '%{http_code}' "$@"; }
AUTH=(-H "Authorization: Bearer $TOK")
expect "GET /api/v1/status without a credential: 401" 401 "$(code "$URL/api/v1/status")"
expect "... with {code, message}" unauthorized "$(jq -r .code "$T/body")"
expect "a wrong bearer token: 401" 401 "$(code -H "Authorization: Bearer $(flip "$TOK")" "$URL/api/v1/status")"
expect "GET /api/v1/status with the token: 200" 200 "$(code "${AUTH[@]}" "$URL/api/v1/status")"
expect "... the engine's status document" "k1 k2" "$(jq -r '[.jails[].name] | join(" ")' "$T/body")"
js=$(H "$BIN" -f "$C" -s "$S" --runtime-dir "$R" --host-netns host status --json 2>/dev/null | jq -c '.jails | map({name, state})')
expect "... the same jails as jail6 status --json" "$js" "$(jq -c '.jails | map({name, state})' "$T/body")"
# DNS rebinding: another site's name in Host, even with a valid credential
expect "GET /api/v1/status with Host: a name that is not this server's: 421" 421 \
	"$(code "${AUTH[@]}" -H "Host: rebind.example.com:$PORT" "$URL/api/v1/status")"
check "... 421 says why" grep -q '"code":"misdirected"' "$T/body"
expect "GET /login with Host: localhost: 200" 200 "$(code -H "Host: localhost:$PORT" "$URL/login")"
expect "GET /api/v1/jails/k1: 200" 200 "$(code "${AUTH[@]}" "$URL/api/v1/jails/k1")"
expect "... k1 running with its address" "running 2001:db8:1::3/64" "$(jq -r '.state + " " + .interfaces[0].addresses[0]' "$T/body")"
expect "GET /api/v1/jails/nope: 404" 404 "$(code "${AUTH[@]}" "$URL/api/v1/jails/nope")"
expect "POST /api/v1/jails/nope/stop: 404, not in the config" 404 "$(code "${AUTH[@]}" -X POST "$URL/api/v1/jails/nope/stop")"
expect "GET /api/v1/plan: 200" 200 "$(code "${AUTH[@]}" "$URL/api/v1/plan")"
expect "... nothing to do" 0 "$(jq '.plan | length' "$T/body")"
expect "POST /api/v1/jails/k1/stop?dry_run=1: 200" 200 "$(code "${AUTH[@]}" -X POST "$URL/api/v1/jails/k1/stop?dry_run=1")"
check "... the plan of the stop" grep -q 'k1: destroy jail' "$T/body"
expect "... and nothing changed" "$before" "$(snapshot)"

# ---- the pages: a session
J=$T/cookies
expect "GET / without a session: to /login" "303 $URL/login" "$(H curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "$URL/")"
expect "a wrong password: 401" 401 "$(code -c "$J" -d 'user=admin&password=wrong' "$URL/login")"
# a page of another site posting the login form (login CSRF): refused
expect "POST /login from another site's page (Origin): 403" 403 \
	"$(code -c "$T/x.jar" -H "Origin: http://evil.example.com" -d 'user=admin&password=pw-of-admin' "$URL/login")"
check "... and no session cookie" test -z "$(grep jail6 "$T/x.jar" 2>/dev/null)"
expect "POST /login with this server's Origin: 303" 303 \
	"$(code -c "$T/y.jar" -H "Origin: $URL" -d 'user=admin&password=pw-of-admin' "$URL/login")"
check "... no session cookie" test -z "$(grep jail6_session "$J" 2>/dev/null)"
hdr=$(H curl -s -D - -o /dev/null -c "$J" -d 'user=admin&password=pw-of-admin' "$URL/login")
check "login: 303 with a session cookie" grep -q '^HTTP/1.1 303' <<<"$hdr"
ck=$(grep -i '^set-cookie:' <<<"$hdr")
check "... HttpOnly" grep -q 'HttpOnly' <<<"$ck"
check "... SameSite=Strict" grep -q 'SameSite=Strict' <<<"$ck"
check "... with an expiry" grep -q 'Max-Age=28800' <<<"$ck"
check "... not Secure over plain HTTP" test -z "$(grep -i secure <<<"$ck")"
expect "the dashboard: 200" 200 "$(code -b "$J" "$URL/")"
check "... shows the jails" grep -q 'href="/jail/k2"' "$T/body"
check "... and the End Result as jail6 status prints it" grep -q 'jail k1: running (hostname k1)' "$T/body"
CSRF=$(grep -o 'name="csrf" value="[0-9a-f]*"' "$T/body" | head -1 | sed 's/.*value="//; s/"$//')
check "... its forms carry a CSRF token" test ${#CSRF} -eq 64
expect "a jail page: 200" 200 "$(code -b "$J" "$URL/jail/k1")"
check "... its interfaces and routes" grep -q '2001:db8:1::3/64' "$T/body"

# ---- CSRF: refused, and nothing changes
expect "POST stop without a CSRF token: 403" 403 "$(code -b "$J" -d 'confirm=1' "$URL/jail/k1/stop")"
expect "POST stop with a wrong CSRF token: 403" 403 "$(code -b "$J" -d "confirm=1&csrf=$(flip "$CSRF")" "$URL/jail/k1/stop")"
expect "API with a session but no X-CSRF-Token: 403" 403 "$(code -b "$J" -X POST "$URL/api/v1/jails/k1/stop")"
expect "... and its code" csrf "$(jq -r .code "$T/body")"
expect "logout without the CSRF token: 403" 403 "$(code -b "$J" -d 'x=1' "$URL/logout")"
expect "the refused requests changed nothing" "$before" "$(snapshot)"

# ---- escaping: exec.start holds <script>
expect "stop k2 through the page (its plan first)" 200 "$(code -b "$J" -d "csrf=$CSRF" "$URL/jail/k2/stop")"
check "... the plan is shown" grep -q 'k2: destroy jail' "$T/body"
expect "... and nothing changed yet" "$before" "$(snapshot)"
expect "confirmed: stopped" 200 "$(code -b "$J" -d "csrf=$CSRF&confirm=1" "$URL/jail/k2/stop")"
check "... k2 is gone from the host" test ! -e "$R/k2"
expect "start k2's plan" 200 "$(code -b "$J" -d "csrf=$CSRF" "$URL/jail/k2/start")"
check "... shows exec.start escaped" grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' "$T/body"
check "... and never as markup" test -z "$(grep -i '<script' "$T/body")"
expect "start k2 through the API with the session's X-CSRF-Token" 200 \
	"$(code -b "$J" -H "X-CSRF-Token: $CSRF" -X POST "$URL/api/v1/jails/k2/start")"
check "... k2 runs again" test -e "$R/k2"
expect "restart k1, dry run: its plan" 200 "$(code "${AUTH[@]}" -X POST "$URL/api/v1/jails/k1/restart?dry_run=1")"
check "... stops k1, then makes it again" grep -q 'k1: destroy jail.*k1: create jail' "$T/body"
expect "restart k1 through the API with the token" 200 "$(code "${AUTH[@]}" -X POST "$URL/api/v1/jails/k1/restart")"
check "... k1 runs" test -e "$R/k1"
expect "k2's page" 200 "$(code -b "$J" "$URL/jail/k2")"
check "... shows exec.start's output, escaped" grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' "$T/body"
for p in / /jail/k1 /jail/k2 /plan /new; do
	code -b "$J" "$URL$p" >/dev/null
	check "no <script> on $p" test -z "$(grep -i '<script' "$T/body")"
done
before=$(snapshot)

# ---- new jail and remove jail: the grammar's guard, the plan first
mk() { code "${AUTH[@]}" -H 'Content-Type: application/json' --data-binary "$1" "$URL/api/v1/jails${2:-}"; }
expect "create: a hostname carrying config text is refused (400)" 400 \
	"$(mk "{\"name\":\"$K3\",\"bridge\":\"sb0\",\"hostname\":\"h; exec.start = \\\"/bin/sh\\\"\"}")"
expect "create: a name carrying a brace is refused (400)" 400 "$(mk '{"name":"k3{","bridge":"sb0"}')"
expect "create: a newline in a field is refused (400)" 400 "$(mk "{\"name\":\"$K3\",\"bridge\":\"sb0\",\"path\":\"/x\\n}\"}")"
expect "create: a memory limit the grammar refuses: 422" 422 "$(mk "{\"name\":\"$K3\",\"bridge\":\"sb0\",\"memory\":\"1\"}")"
check "... with the error as FILE:LINE:COL" grep -qE "\.$K3\.conf\.new:[0-9]+:[0-9]+: " <<<"$(jq -r '.errors[]' "$T/body")"
expect "create: an unknown bridge: 422" 422 "$(mk "{\"name\":\"$K3\",\"bridge\":\"nobr\"}")"
expect "create: a jail the config has: 422" 422 "$(mk '{"name":"k1","bridge":"sb0"}')"
expect "create: the session's CSRF token is needed" 403 \
	"$(code -b "$J" -H 'Content-Type: application/json' --data-binary "{\"name\":\"$K3\",\"bridge\":\"sb0\"}" "$URL/api/v1/jails")"
expect "... none of it wrote a file or changed the host" "$before" "$(snapshot)"
expect "create $K3, dry run: 200" 200 "$(mk "{\"name\":\"$K3\",\"bridge\":\"sb0\",\"pids\":100}" '?dry_run=1')"
check "... its plan makes the jail" grep -q "$K3: create jail" "$T/body"
expect "... and nothing changed" "$before" "$(snapshot)"
expect "create $K3: 201" 201 "$(mk "{\"name\":\"$K3\",\"bridge\":\"sb0\",\"pids\":100}")"
check "... one file, jail6.d/$K3.conf" test -f "$D/$K3.conf"
check "... listed in the index" grep -qx "include \"$K3.conf\";" "$D/index.conf"
check "... the file passes jail6 check" "$BIN" -f "$C" check -q
check "... and names who made it" grep -q '^# made by jail6 serve for admin;' "$D/$K3.conf"
a3=$(code "${AUTH[@]}" "$URL/api/v1/jails/$K3" >/dev/null; jq -r '.interfaces[0].addresses[0] // empty' "$T/body")
expect "... $K3 runs" running "$(jq -r .state "$T/body")"
ping_from_k1() { nsenter --net="$R/k1" ping -6 -q -c 1 -W 5 "$1" >/dev/null; }
check "... $K3's auto address answers ping6 from k1" ping_from_k1 "${a3%/*}"
expect "remove k1 (not the web UI's file): 409" 409 "$(code "${AUTH[@]}" -X DELETE "$URL/api/v1/jails/k1")"
expect "remove $K3, dry run: 200" 200 "$(code "${AUTH[@]}" -X DELETE "$URL/api/v1/jails/$K3?dry_run=1")"
check "... its plan removes the jail" grep -q "$K3: destroy jail" "$T/body"
check "... and $K3 still runs" test -e "$R/$K3"
expect "remove $K3: 200" 200 "$(code "${AUTH[@]}" -X DELETE "$URL/api/v1/jails/$K3")"
check "... its file is gone" test ! -e "$D/$K3.conf"
expect "... the host is as before" "$before" "$(snapshot)"
# the same through the form
expect "new jail form" 200 "$(code -b "$J" "$URL/new")"
expect "new jail posted: the plan" 200 "$(code -b "$J" -d "csrf=$CSRF&name=$K4&bridge=sb0&address=auto" "$URL/new")"
check "... shown, with a confirm button" grep -q 'id="confirm"' "$T/body"
check "... nothing written yet" test ! -e "$D/$K4.conf"
expect "new jail with a bad limit: the errors with FILE:LINE:COL" 422 "$(code -b "$J" -d "csrf=$CSRF&name=$K4&bridge=sb0&memory=1" "$URL/new")"
check "... shown on the form" grep -qE "$K4\.conf\.new:[0-9]+:[0-9]+: " "$T/body"
expect "new jail confirmed" 200 "$(code -b "$J" -d "csrf=$CSRF&confirm=1&name=$K4&bridge=sb0&address=auto" "$URL/new")"
check "... $K4 runs" test -e "$R/$K4" -a -f "$D/$K4.conf"
expect "remove $K4 through the page: the plan" 200 "$(code -b "$J" -d "csrf=$CSRF" "$URL/jail/$K4/remove")"
check "... $K4 still runs" test -e "$R/$K4"
expect "remove $K4 confirmed" 200 "$(code -b "$J" -d "csrf=$CSRF&confirm=1" "$URL/jail/$K4/remove")"
expect "... the host is as before" "$before" "$(snapshot)"

# ---- oversized, slow, traversal
big=$(head -c 70000 /dev/zero | tr '\0' a)
expect "a 70000-byte body: 413" 413 "$(code "${AUTH[@]}" --data-binary "$big" "$URL/api/v1/apply")"
hbig=$(head -c 20000 /dev/zero | tr '\0' a)
c=$(code -H "X-Big: $hbig" "$URL/login")
check "a 20000-byte header: refused (4xx)" test "$c" -ge 400 -a "$c" -lt 500
# a client that sends half a request line and waits: closed within the timeout (10 s)
slow=$(H timeout 30 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; printf 'GET / HTTP/1.1\r\nHost: x\r\n' >&3; cat <&3 >/dev/null; echo closed" 2>&1)
expect "a slow client is cut off" closed "$slow"
for p in '/static/../../../etc/passwd' '/static/%2e%2e/%2e%2e/etc/passwd' '/static/..%2fjail6.conf' '/../../etc/passwd'; do
	c=$(code --path-as-is "$URL$p")
	if [ "$c" != 200 ] && ! grep -q 'root:' "$T/body"; then ok "path traversal $p: $c"; else nok "path traversal $p" "$c"; fi
done
expect "the stylesheet is served" 200 "$(code "$URL/static/style.css")"
expect "the refused requests changed nothing" "$before" "$(snapshot)"

# ---- the login rate limit, from another loopback address and user
for i in 1 2 3 4 5; do code --interface 127.0.0.2 -d 'user=rl&password=wrong' "$URL/login" >/dev/null; done
expect "the 6th failed login in a row: 429" 429 "$(code --interface 127.0.0.2 -d 'user=rl&password=wrong' "$URL/login")"
expect "... then even the right password: 429" 429 "$(code --interface 127.0.0.2 -d 'user=rl&password=pw-of-rl' "$URL/login")"
expect "... while another address and user still log in" 303 "$(code -d 'user=admin&password=pw-of-admin' "$URL/login")"

# ---- a config with an error: the dashboard shows it as FILE:LINE:COL
cp "$D/index.conf" "$T/index.keep"
printf 'jail broken { nonsense = 1; }\n' >>"$D/index.conf"
broken() { [ "$(code -b "$J" "$URL/")" = 422 ]; }
if poll broken; then ok "a broken config: the dashboard answers 422"; else nok "a broken config: 422"; fi
check "... with the error at its file, line and column" grep -q "$D/index.conf:[0-9]*:[0-9]*: " "$T/body"
cp "$T/index.keep" "$D/index.conf"

# ---- logout ends the session
expect "logout with the CSRF token" 303 "$(code -b "$J" -c "$J" -d "csrf=$CSRF" "$URL/logout")"
expect "... the old session is gone" 303 "$(code -b "jail6_session=$(awk '$6 == "jail6_session" {print $7}' "$J")" "$URL/")"

# ---- HTTPS: the child's TLS under the same sandbox
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 2 -subj /CN=localhost \
	>/dev/null 2>&1
"$BIN" -f "$C" -s "$S" --runtime-dir "$R" --host-netns host serve --users "$U" --jail-dir "$D" --listen "127.0.0.1:$TPORT" \
	--tls-cert "$T/cert.pem" --tls-key "$T/key.pem" >"$T/serve-tls.log" 2>&1 &
SPIDS+=($!)
tup() { H curl -sk -o /dev/null "https://127.0.0.1:$TPORT/login"; }
if poll tup; then ok "HTTPS answers"; else nok "HTTPS answers" "$(cat "$T/serve-tls.log")"; fi
hdr=$(H curl -sk -D - -o /dev/null -d 'user=admin&password=pw-of-admin' "https://127.0.0.1:$TPORT/login")
check "... its session cookie is Secure" grep -qi '^set-cookie:.*; Secure' <<<"$hdr"
expect "... the API over HTTPS" 200 "$(code -k "${AUTH[@]}" "https://127.0.0.1:$TPORT/api/v1/status")"

# ---- the end: the parent stops its child
kill "$SPID"
gone() { ! kill -0 "$CPID" 2>/dev/null && ! kill -0 "$SPID" 2>/dev/null; }
if poll gone; then ok "SIGTERM stops the parent and its child"; else nok "SIGTERM stops the parent and its child"; fi
wait "$SPID"; rc=$?
expect "... and the parent exits 0 (no sanitizer report)" 0 "$rc" "$(grep -A8 -i sanitizer "$T/serve.log")"
check "no seccomp refusal in the log" test -z "$(grep -i 'operation not permitted' "$T/serve.log" "$T/serve-tls.log")"
echo "# $n_ok ok, $n_fail failed"
[ "$n_fail" -eq 0 ]
