#!/usr/bin/env bash
# The layering of src/ (docs/architecture.md): which folder may include
# which, checked on every #include "..." line. A folder's own files may
# include each other; util includes nothing of jail6; the front ends (cli,
# lab, web) reach the rest through the engine; only the engine and the
# seam's own files (os/) include os/; nothing includes a front end. Also:
# no file in src/ is over 700 lines, and the folder graph has no cycle.
set -u
cd "$(dirname "$0")/../.."

ok() { echo "ok $1"; }
nok() { echo "not ok $1"; shift; for l in "$@"; do printf '%s\n' "$l" | head -20 | sed 's/^/#   /'; done; }

# folder of a path: src/os/linux/x.c -> os/linux, src/cli/x.c -> cli
folder() { local d=${1#src/}; d=${d%/*}; echo "$d"; }

# the allowed targets of each folder (besides itself)
allowed() {
	case $1 in
	util) echo "" ;;
	model) echo "util" ;;
	conf|plan|store) echo "model util" ;;
	tunnel) echo "model util" ;;
	datapath) echo "tunnel model util" ;;
	os/linux) echo "os model plan tunnel util" ;;
	os/freebsd) echo "os model plan util" ;;
	os) echo "os/linux os/freebsd model plan tunnel util" ;;
	engine) echo "os model plan store conf tunnel util" ;;
	cli) echo "engine conf util serve/serve.h" ;;
	lab) echo "engine os/linux/netns.h model plan util" ;;
	serve) echo "engine conf model plan util" ;;
	init) echo "" ;;
	starter) echo "os/linux/lxc_int.h" ;;
	*) echo "?" ;;
	esac
}

bad=()
edges=()
while IFS=: read -r file _ inc; do
	inc=${inc#*\"}; inc=${inc%%\"*}
	from=$(folder "$file")
	to=$(folder "src/$inc")
	[ "$from" = "$to" ] && continue
	edges+=("$from $to")
	ok_edge=0
	for a in $(allowed "$from"); do
		if [ "$a" = "$to" ] || [ "$a" = "$inc" ]; then ok_edge=1; fi
	done
	[ $ok_edge -eq 1 ] || bad+=("$file includes $inc ($from -> $to)")
done < <(grep -rn '^#include "' src --include=*.c --include=*.h)
if [ ${#bad[@]} -eq 0 ]; then ok "every #include follows the layers"; else nok "every #include follows the layers" "${bad[@]}"; fi

cli_os=$(grep -rln '#include "os/' src/cli || true)
if [ -z "$cli_os" ]; then ok "no file in src/cli includes src/os"; else nok "no file in src/cli includes src/os" "$cli_os"; fi

# cycles in the folder graph: tsort reports them
cyc=$(printf '%s\n' "${edges[@]}" | sort -u | tsort 2>&1 >/dev/null || true)
if [ -z "$cyc" ]; then ok "the folder include graph has no cycle"; else nok "the folder include graph has no cycle" "$cyc"; fi

long=$(find src -name '*.[ch]' -exec wc -l {} + | awk '$2 != "total" && $1 > 700 { print $2 ": " $1 " lines" }')
if [ -z "$long" ]; then ok "no file in src/ is over 700 lines"; else nok "no file in src/ is over 700 lines" "$long"; fi

# the product binary carries no lab code and reads no test-only variable
BIN=${JAIL6:-build/jail6}
if [ -x "$BIN" ]; then
	found=$(strings "$BIN" | grep -E 'JAIL6_TEST_|lab_up|jail6lab' || true)
	if [ -z "$found" ]; then ok "jail6 has no test hooks and no lab"; else nok "jail6 has no test hooks and no lab" "$found"; fi
fi
