#!/usr/bin/env bash
# jail6 serve in a real browser, on the lab's world: `jail6-lab up` (the
# broker, the VPS with OpenVPN, the host with its tunnel, bridge0 and the
# jails www and db), then `jail6 serve` for the lab's host, listening on
# the loopback of the lab's host namespace, and Debian's chromium driven by
# puppeteer-core (serve.test.mjs) inside that namespace: log in, the
# dashboard shows the tunnel and the jails, a jail made through the form
# answers ping6 from www, stop, start, remove. Screenshots are kept in
# BUILD/tests/browser/. Root only; needs chromium and tests/browser's
# node_modules (scripts/deps installs both); everything removed on exit.
set -u
cd "$(dirname "$0")/../.."
. tests/lab/lib.sh
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ] || ! command -v node >/dev/null; then
	echo "skip t_browser needs chromium and node (scripts/deps installs them)"
	exit 0
fi
if [ ! -d tests/browser/node_modules/puppeteer-core ]; then
	(cd tests/browser && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1) ||
		{ echo "not ok t_browser: npm ci in tests/browser failed"; exit 1; }
fi
lab_need t_browser
W=$(mktemp -d /tmp/jail6-t_browser-w.XXXXXX)
SHOTS=$PWD/$BUILD/tests/browser
mkdir -p "$SHOTS"
NEW=web$$
SPID=
cleanup() {
	if [ -n "$SPID" ]; then
		kill "$SPID" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$SPID" 2>/dev/null
	fi
	[ -z "${SERVE_LOG_DIR:-}" ] || cp "$W/serve.log" "$SERVE_LOG_DIR/" 2>/dev/null
	lab down >/dev/null 2>&1
	rm -rf "$W"
}
trap cleanup EXIT

# the lab's host config, with the web UI's jail directory included
mkdir -p "$W/jail6.d" && : >"$W/jail6.d/index.conf"
{ cat examples/lab.conf; printf '\ninclude "%s/jail6.d/index.conf";\n' "$W"; } >"$W/lab.conf"
if out=$(lab up --conf "$W/lab.conf" 2>&1); then echo "ok the lab is up"; else echo "not ok the lab is up"; sed 's/^/#   /' <<<"$out" | tail -30; exit 1; fi

printf 'pw-of-alice\n' | "$BIN" serve --users "$W/users" --add-user alice >/dev/null
# in the lab's mount namespace (its /etc/subuid), like every jail6 that
# starts a jail of the lab (docs/lab.md), and in its host's network namespace
M=$(pgrep -o -f "^\[lxc monitor\] $D/")
J6=("$BIN" -s "$D/state-host" --runtime-dir "$D/netns" --host-netns host -f "$D/host.conf")
nsenter -t "$M" -m -w"$PWD" "${J6[@]}" serve --users "$W/users" \
	--jail-dir "$W/jail6.d" --listen 127.0.0.1:6446 >"$W/serve.log" 2>&1 &
SPID=$!
up=0
for _ in $(seq 100); do
	nsenter --net="$D/netns/host" curl -s -o /dev/null http://127.0.0.1:6446/login && { up=1; break; }
	sleep 0.1
done
if [ $up -eq 1 ]; then echo "ok jail6 serve answers in the lab's host namespace"; else
	echo "not ok jail6 serve answers"; sed 's/^/#   /' "$W/serve.log"; exit 1; fi

argv=$(printf '%s\n' "${J6[@]}" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.stringify(s.trim().split("\n"))))')
HOME=$W nsenter --net="$D/netns/host" env SERVE_URL=http://127.0.0.1:6446 SERVE_USER=alice SERVE_PASS=pw-of-alice \
	SHOTS="$SHOTS" NEW_JAIL="$NEW" JAIL6_ARGV="$argv" HOME_NETNS=/proc/$$/ns/net CHROMIUM="$CHROMIUM" TMPDIR="$W" \
	timeout 600 node tests/browser/serve.test.mjs
rc=$?
[ $rc -eq 0 ] || { echo "not ok serve.test.mjs exited $rc"; sed 's/^/#   /' "$W/serve.log" | tail -40; }
if ls "$SHOTS"/dashboard.png "$SHOTS"/new-jail-plan.png >/dev/null 2>&1; then echo "ok screenshots in $BUILD/tests/browser"; else echo "not ok screenshots"; fi
