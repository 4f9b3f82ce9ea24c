#!/usr/bin/env bash
# `jail6 tunnel update` against a fake broker (tests/netns/fake_broker.py)
# in a throwaway network namespace with only lo: every answer of the broker
# with its message and exit code, the request itself (query, basic auth),
# retries on 5xx, the key file's checks, a broker that never answers (the
# timeout, bounded) and one that is down (refused, 3 tries).
# Root only. Nothing runs in the machine's own network namespace; the
# namespace and the temporary directory are removed on exit, failed or not.
set -u
cd "$(dirname "$0")/../.."
. tests/netns/lib.sh
J=${JAIL6:-$PWD/$BUILD/jail6}
FAKE=$PWD/tests/netns/fake_broker.py

t_need_root t_update
for tool in ip python3; do
	if ! command -v $tool >/dev/null; then
		echo "skip t_update needs $tool"
		exit 0
	fi
done
if [ ! -x "$J" ]; then
	echo "not ok jail6 built ($J missing)"
	exit 1
fi

t_tmp t_update
NS=jail6-upd-$$
BG=()
t_cleanup() {
	for pid in "${BG[@]}"; do kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
	ip netns del "$NS" 2>/dev/null
}

# in_ns CMD...: inside the namespace, with no proxy from the environment
in_ns() { ip netns exec "$NS" env -u http_proxy -u https_proxy -u HTTP_PROXY -u HTTPS_PROXY -u ALL_PROXY -u all_proxy NO_PROXY='*' "$@"; }

if ! ip netns add "$NS" 2>"$T/err"; then
	nok "netns created" "$(cat "$T/err")"
	exit 1
fi
ip -n "$NS" link set lo up

KEY=Zk4e9RqLw2Xm7TbV            # the good key; must never be printed
printf '%s\n' "$KEY" >"$T/he.key"
chmod 600 "$T/he.key"
printf 'not-the-key\n' >"$T/wrong.key"
chmod 600 "$T/wrong.key"
printf '%s\n' "$KEY" >"$T/open.key"
chmod 640 "$T/open.key"

# One tunnel per answer of the fake broker (see fake_broker.py).
tun() { # NAME TUNNEL_ID KEY_FILE [more lines]
	printf 'tunnel %s {\n\ttype = 6in4;\n\tremote = 198.51.100.1;\n' "$1"
	printf '\ttunnel_id = "%s";\n\tuser = "alice";\n\tupdate_key_file = "%s";\n' "$2" "$3"
	shift 3
	for l in "$@"; do printf '\t%s\n' "$l"; done
	printf '}\n'
}
{
	for id in 1001 1002 1004 1005 1006 1007 1008 1401 1404 1500 1503; do tun "t$id" "$id" "$T/he.key"; done
	tun tmyip 1001 "$T/he.key" "myip = 203.0.113.7;"
	tun tauto 1001 "$T/he.key" "myip = auto;"
	tun twrong 1001 "$T/wrong.key"
	tun topen 1001 "$T/open.key"
	printf 'tunnel tnokeys {\n\ttype = 6in4;\n\tremote = 198.51.100.1;\n\tuser = "alice";\n}\n'
} >"$T/jail6.conf"
if out=$("$J" -f "$T/jail6.conf" check 2>&1); then ok "config with the update keys is valid"; else nok "config with the update keys is valid" "$out"; fi

# start_fake MODE NAME: a fake broker in the namespace; sets PORT
start_fake() {
	rm -f "$T/$2.port"
	in_ns python3 "$FAKE" --mode "$1" --port-file "$T/$2.port" --log "$T/$2.log" \
		--user alice --key-file "$T/he.key" --max-requests 100 --lifetime 30 &
	BG+=($!)
	for _ in $(seq 100); do [ -s "$T/$2.port" ] && break; sleep 0.1; done
	PORT=$(cat "$T/$2.port" 2>/dev/null)
	[ -n "$PORT" ]
}

if start_fake serve fake; then ok "fake broker listening"; else nok "fake broker listening"; exit 1; fi
URL="http://127.0.0.1:$PORT/nic/update"
ALL_OUT=$T/all-output      # everything jail6 printed, to look for the key

# update NAME [ARGS...]: run it in the namespace; sets OUT (stdout+stderr), RC, STDOUT
update() {
	local name=$1
	shift
	in_ns "$J" -f "$T/jail6.conf" tunnel update "$name" "$@" >"$T/stdout" 2>"$T/stderr"
	RC=$?
	STDOUT=$(cat "$T/stdout")
	OUT=$(cat "$T/stdout" "$T/stderr")
	printf '%s\n' "$OUT" >>"$ALL_OUT"
}
log_lines() { [ -f "$T/$1.log" ] && wc -l <"$T/$1.log" || echo 0; }
last_log() { tail -1 "$T/fake.log"; }
# expect NAME WANT_RC WANT_SUBSTRING
expect() {
	if [ "$RC" -eq "$2" ] && [[ $OUT == *"$3"* ]]; then ok "$1"; else nok "$1" "rc $RC (want $2)" "want: *$3*" "got: $OUT"; fi
}

# --- the answers ---------------------------------------------------------------
update t1001 --url "$URL"
expect "good: exit 0, endpoint updated" 0 "t1001: endpoint updated to 127.0.0.1"
[[ $STDOUT == "t1001: endpoint updated to 127.0.0.1" ]] && ok "good: the message is on stdout" || nok "good: the message is on stdout" "$STDOUT"
req=$(last_log)
python3 - "$req" <<'EOF' && ok "request: GET /nic/update?hostname=1001, basic auth alice with the key, no myip" || nok "request: GET /nic/update?hostname=1001, basic auth alice with the key, no myip" "$req"
import json, sys
r = json.loads(sys.argv[1])
sys.exit(0 if (r["method"], r["path"], r["hostname"], r["user"], r["auth"], r["myip"], r["query_keys"])
         == ("GET", "/nic/update", "1001", "alice", "ok", None, ["hostname"]) else 1)
EOF

# as jail6-update@.service runs it: no capability at all, no_new_privs
RC=0; OUT=$(in_ns setpriv --no-new-privs --bounding-set -all -- "$J" -f "$T/jail6.conf" tunnel update t1001 --url "$URL" 2>&1) || RC=$?
expect "good without any capability, as its unit runs it" 0 "t1001: endpoint updated to 127.0.0.1"
update t1001 --url "$URL" --myip 203.0.113.9
expect "--myip: sent and echoed" 0 "t1001: endpoint updated to 203.0.113.9"
[[ $(last_log) == *'"myip": "203.0.113.9"'* ]] && ok "--myip in the query" || nok "--myip in the query" "$(last_log)"
update tmyip --url "$URL"
expect "myip from the config" 0 "tmyip: endpoint updated to 203.0.113.7"
update tmyip --url "$URL" --myip auto
expect "--myip auto overrides the config" 0 "tmyip: endpoint updated to 127.0.0.1"
[[ $(last_log) == *'"myip": null'* ]] && ok "myip auto: no myip in the query" || nok "myip auto: no myip in the query" "$(last_log)"
update tauto --url "$URL"
expect "myip = auto" 0 "tauto: endpoint updated to 127.0.0.1"
update t1002 --url "$URL"
expect "nochg: exit 0" 0 "t1002: endpoint already 127.0.0.1, nothing to change"
update twrong --url "$URL"
expect "wrong key: badauth, exit 1" 1 "jail6: twrong: the broker refused user 'alice' or the update key (badauth): check user and update_key_file"
[[ $(last_log) == *'"auth": "bad"'* ]] && ok "wrong key: the broker saw bad credentials" || nok "wrong key: the broker saw bad credentials" "$(last_log)"
update t1004 --url "$URL"
expect "abuse, exit 1" 1 "jail6: t1004: the broker blocks updates of tunnel 1004 as abuse (abuse)"
update t1005 --url "$URL"
expect "nohost, exit 1" 1 "jail6: t1005: the broker knows no tunnel 1005 of user 'alice' (nohost): check tunnel_id and user"
update t1006 --url "$URL"
expect "!yours, exit 1" 1 "jail6: t1006: the broker knows no tunnel 1006 of user 'alice' (!yours)"
update t1007 --url "$URL"
expect "911, exit 1" 1 "jail6: t1007: the broker reports trouble on its side (911): try again later"
update t1008 --url "$URL"
expect "other text, exit 1" 1 "jail6: t1008: unexpected answer from the broker at $URL: 'Tunnel endpoint is not ICMP pingable'"
update t1401 --url "$URL"
expect "HTTP 401, exit 1" 1 "jail6: t1401: the broker refused user 'alice' or the update key (HTTP 401)"
n0=$(log_lines fake)
update t1404 --url "$URL"
expect "HTTP 404, exit 1" 1 "jail6: t1404: the broker at $URL answered HTTP 404: 'error 404': check update_url"
[ $(($(log_lines fake) - n0)) -eq 1 ] && ok "HTTP 404 is not retried" || nok "HTTP 404 is not retried" "$(($(log_lines fake) - n0)) requests"
n0=$(log_lines fake)
update t1500 --url "$URL"
expect "HTTP 500, exit 1 after 3 tries" 1 "jail6: t1500: the broker at $URL failed with HTTP 500: 'error 500' (3 tries): try again later"
[ $(($(log_lines fake) - n0)) -eq 3 ] && ok "HTTP 500: exactly 3 requests" || nok "HTTP 500: exactly 3 requests" "$(($(log_lines fake) - n0)) requests"
n0=$(log_lines fake)
update t1503 --url "$URL"
expect "HTTP 503 then good: exit 0" 0 "t1503: endpoint updated to 127.0.0.1"
[[ $OUT == *"try 1 of 3 failed"* ]] && ok "HTTP 503: the failed try is announced" || nok "HTTP 503: the failed try is announced" "$OUT"
[ $(($(log_lines fake) - n0)) -eq 2 ] && ok "HTTP 503 then good: 2 requests" || nok "HTTP 503 then good: 2 requests" "$(($(log_lines fake) - n0)) requests"
update t1001 --url "http://127.0.0.1:$PORT/elsewhere"
expect "wrong path: HTTP 404" 1 "answered HTTP 404"

# --- config and key file errors: no request is made ------------------------------
n0=$(log_lines fake)
update topen --url "$URL"
expect "key file readable by group: exit 1, file and mode named" 1 "jail6: topen: update key file $T/open.key has mode 0640: group or others may read or write it (chmod 600 $T/open.key)"
chown 65534 "$T/wrong.key"
update twrong --url "$URL"
expect "key file not owned by root: exit 1" 1 "jail6: twrong: update key file $T/wrong.key is owned by uid 65534 (mode 0600); it must be owned by root, uid 0"
update tnokeys --url "$URL"
expect "missing keys: exit 2" 2 "tunnel 'tnokeys': missing key 'tunnel_id', which \`jail6 tunnel update\` needs"
[[ $OUT == *"missing key 'update_key_file'"* && $OUT != *"missing key 'user'"* ]] && ok "missing keys: each named, present ones not" || nok "missing keys: each named, present ones not" "$OUT"
update nosuch --url "$URL"
expect "unknown tunnel: exit 2" 2 "jail6: tunnel 'nosuch' is not defined in $T/jail6.conf"
update t1001 --url "ftp://127.0.0.1/nic/update"
expect "--url must be http(s): exit 2" 2 "--url: update URL 'ftp://127.0.0.1/nic/update' must start with http:// or https://"
update t1001 --url "$URL" --myip 2001:db8::1
expect "--myip must be IPv4: exit 2" 2 "--myip: '2001:db8::1' is not an IPv4 address"
update t1001 --url "$URL" extra
expect "one NAME only: exit 2" 2 "one tunnel NAME only"
update t1001 --url "$URL" --timeout soon
expect "bad --timeout: exit 2" 2 "--timeout: 'soon' is not a number of milliseconds"
[ "$(log_lines fake)" -eq "$n0" ] && ok "no request for any of these errors" || nok "no request for any of these errors" "$(($(log_lines fake) - n0)) requests"
badmode=$(find "$T/he.key" -perm 0600 -user 0 | wc -l)
[ "$badmode" -eq 1 ] && ok "the key file is left as it was" || nok "the key file is left as it was"

# --- a broker that is down: refused, 3 tries ---------------------------------------
# Nothing listens on port 9 of the namespace's lo.
update t1001 --url "http://127.0.0.1:9/nic/update"
expect "broker down: exit 1, cannot reach" 1 "jail6: t1001: cannot reach the broker at http://127.0.0.1:9/nic/update:"
[[ $OUT == *"(3 tries)"* ]] && [ "$(grep -c 'try [12] of 3 failed' <<<"$OUT")" -eq 2 ] &&
	ok "broker down: 3 tries, 2 announced retries" || nok "broker down: 3 tries, 2 announced retries" "$OUT"
[ "$(grep -c 'trying again in 1.0 s' <<<"$OUT")" -eq 2 ] && ok "broker down: a pause announced before each retry" ||
	nok "broker down: a pause announced before each retry" "$OUT"

# --- a broker that never answers: the timeout, bounded ---------------------------
if start_fake hang hang; then ok "silent broker listening"; else nok "silent broker listening"; fi
update t1001 --url "http://127.0.0.1:$PORT/nic/update" --timeout 1000
expect "silent broker: exit 1, no answer within the timeout" 1 "jail6: t1001: no answer from the broker at http://127.0.0.1:$PORT/nic/update within 1.0 s (3 tries)"
[ "$(log_lines hang)" -eq 3 ] && ok "silent broker: 3 connections" || nok "silent broker: 3 connections" "$(log_lines hang)"

# --- the key is never printed ---------------------------------------------------------
if grep -qF "$KEY" "$ALL_OUT"; then nok "the key appears in no output" "$(grep -F "$KEY" "$ALL_OUT" | head -3)"; else ok "the key appears in no output"; fi
if grep -qF "$KEY" "$T/fake.log"; then nok "the key is not in the request log"; else ok "the key is not in the request log"; fi

# --- nothing left ---------------------------------------------------------------------
for pid in "${BG[@]}"; do kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
BG=()
ip netns del "$NS"
if ip netns list | grep -qw "$NS"; then nok "namespace removed"; else ok "namespace removed"; fi
[ "$n_fail" -eq 0 ]
