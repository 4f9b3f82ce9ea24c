#!/usr/bin/env bash
# Benchmark: how `jail6 check`, `plan`, `plan --json` and `apply -n` scale
# with the number of jails, on generated configs: static addresses on one
# bridge, `address = auto` on one bridge, and each of them spread over four
# bridges. Medians of REPEAT runs (default 3) for each N, and per command
# the time ratio per doubling of N between consecutive Ns.
#   bench/plan.sh [N...]          default: 1000 5000 10000
# Environment: BIN (default build/jail6), REPEAT (3), TIMEOUT (seconds per
# run, default 600; a run that takes longer shows as ">T" and is not
# repeated), KINDS (default "static1 auto1 static4 auto4"), IR=1: instead of
# wall seconds, the instructions each run executes in user space (millions,
# valgrind's callgrind; one run each): slow, but the same on every run, so
# the ratios show the algorithm without the noise of a shared machine.
# apply -n needs root: the script then runs in a private mount namespace,
# the host is a throwaway network namespace bound on a file in a mktemp dir
# (--host-netns, --runtime-dir) and the state dir is a temporary one, so
# nothing touches this machine's own network namespace, its /run/netns or
# /var/lib/jail6, and nothing outside can unmount the namespace file under
# the benchmark; everything is removed on exit. Without root that column is
# skipped. Prints the table and writes bench/results/plan.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -eq 0 ] && [ "${JAIL6_BENCH_INNER:-}" != 1 ]; then
	exec unshare -m --propagation private env JAIL6_BENCH_INNER=1 "$0" "$@"
fi
Ns=("$@"); [ ${#Ns[@]} -gt 0 ] || Ns=(1000 5000 10000)
BIN=${BIN:-$PWD/build/jail6}
REPEAT=${REPEAT:-3}
TIMEOUT=${TIMEOUT:-600}
IR=${IR:-0}
if [ "$IR" = 1 ]; then
	REPEAT=1
	command -v valgrind >/dev/null || { echo "bench/plan.sh: IR=1 needs valgrind" >&2; exit 1; }
fi
read -r -a KINDS <<<"${KINDS:-static1 auto1 static4 auto4}"
[ -x "$BIN" ] || make -s
ROOT=0; [ "$(id -u)" -eq 0 ] && ROOT=1

T=$(mktemp -d /tmp/jail6-bench-plan.XXXXXX)
R=$T/netns
cleanup() {
	# the namespace's bind mount first, then the files
	awk -v t="$T" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
mkdir -p "$R" bench/results
if [ $ROOT = 1 ]; then
	touch "$R/host"
	unshare --net="$R/host" true
fi

# gen KIND N: bridges br1..brB (2001:db8:B::1/64), then N jails, jail i on
# bridge ((i - 1) % B) + 1, each one interface with one address
gen() {
	local kind=$1 n=$2 nb=1 i b
	case $kind in *4) nb=4 ;; esac
	for ((b = 1; b <= nb; b++)); do
		printf 'bridge br%d { address = 2001:db8:%x::1/64; }\n' $b $b
	done
	for ((i = 1; i <= n; i++)); do
		b=$(((i - 1) % nb + 1))
		if [ "${kind#static}" != "$kind" ]; then
			printf 'jail j%d { interface e%d { bridge = br%d; address = 2001:db8:%x::%x/64; } }\n' \
				$i $i $b $b $((i + 1))
		else
			printf 'jail j%d { interface e%d { bridge = br%d; address = auto; } }\n' $i $i $b
		fi
	done
}

# secs CMD...: wall seconds of one run (stdout discarded), or ">TIMEOUT";
# with IR=1 the millions of instructions it executed; a failed run stops the
# benchmark
secs() {
	local t0 t1 rc=0 pre=()
	[ "$IR" = 1 ] && pre=(valgrind --tool=callgrind --callgrind-out-file=/dev/null --log-file="$T/vg")
	t0=$(date +%s%N)
	timeout "$TIMEOUT" "${pre[@]}" "$@" >/dev/null 2>"$T/err" || rc=$?
	t1=$(date +%s%N)
	if [ $rc -eq 124 ]; then
		echo ">$TIMEOUT"
	elif [ $rc -ne 0 ]; then
		echo "bench/plan.sh: failed (exit $rc): $*" >&2
		cat "$T/err" >&2
		kill -TERM $$
		exit 1
	elif [ "$IR" = 1 ]; then
		awk '/Collected/ { printf "%.1f\n", $4 / 1e6 }' "$T/vg"
	else
		awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) / 1e9 }'
	fi
}

# run KIND N CMD: one run of command CMD on the config of KIND and N
run() {
	local c=$T/$1-$2.conf
	case $3 in
	check) secs "$BIN" -f "$c" check ;;
	plan) secs "$BIN" -f "$c" plan ;;
	json) secs "$BIN" -f "$c" plan --json ;;
	# a fresh state dir per config; a dry run writes nothing
	apply_n) secs "$BIN" -f "$c" -s "$T/state-$1-$2" --runtime-dir "$R" --host-netns host \
		--lock-timeout 5 apply -n ;;
	esac
}

cmds=(check plan json apply_n)
[ $ROOT = 1 ] || cmds=(check plan json)
declare -A runs t
for kind in "${KINDS[@]}"; do
	for n in "${Ns[@]}"; do
		gen "$kind" "$n" >"$T/$kind-$n.conf"
	done
done
# the repetitions take turns, each over every kind, command and N, and the
# Ns of one command run back to back, so that a slower spell of the machine
# (a VM) weighs on every N alike instead of skewing the ratios
for ((rep = 0; rep < REPEAT; rep++)); do
	for kind in "${KINDS[@]}"; do
		for cm in "${cmds[@]}"; do
			for n in "${Ns[@]}"; do
				# a run that timed out is not repeated
				case "${runs[$kind,$n,$cm]:-}" in *'>'*) continue ;; esac
				runs[$kind,$n,$cm]+=" $(run "$kind" "$n" "$cm")"
			done
		done
	done
done
for key in "${!runs[@]}"; do
	case "${runs[$key]}" in
	*'>'*) t[$key]=$(echo ${runs[$key]}) ;;
	*) t[$key]=$(printf '%s\n' ${runs[$key]} | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }') ;;
	esac
done
[ $ROOT = 1 ] || for kind in "${KINDS[@]}"; do for n in "${Ns[@]}"; do t[$kind,$n,apply_n]=-; done; done
cmds=(check plan json apply_n)

# ratio A B NA NB: time B / time A per doubling of N (NA -> NB)
ratio() {
	case "$1$2" in *'>'* | *-*) echo -; return ;; esac
	awk -v a="$1" -v b="$2" -v na="$3" -v nb="$4" \
		'BEGIN { if (a <= 0) { print "-"; exit } printf "%.2f", exp(log(b / a) * log(2) / log(nb / na)) }'
}

{
	echo "# bench/plan.sh $(date -u +%Y-%m-%dT%H:%MZ) $(uname -r), $(nproc) cores, BIN=$BIN," \
		"$([ "$IR" = 1 ] && echo "instructions" || echo "median of $REPEAT")"
	printf '%-8s %6s' kind N
	for cm in "${cmds[@]}"; do printf ' %8s' "$cm"; done
	printf '  | per doubling of N:'
	for cm in "${cmds[@]}"; do printf ' %7s' "$cm"; done
	printf '\n'
	for kind in "${KINDS[@]}"; do
		prev=
		for n in "${Ns[@]}"; do
			printf '%-8s %6s' "$kind" "$n"
			for cm in "${cmds[@]}"; do printf ' %8s' "${t[$kind,$n,$cm]}"; done
			printf '  |'
			if [ -n "$prev" ]; then
				printf '%19s' ''
				for cm in "${cmds[@]}"; do
					printf ' %7s' "$(ratio "${t[$kind,$prev,$cm]}" "${t[$kind,$n,$cm]}" "$prev" "$n")"
				done
			fi
			printf '\n'
			prev=$n
		done
	done
	if [ "$IR" = 1 ]; then
		echo "# millions of instructions in user space (callgrind); check (parse and validate) is the baseline"
	else
		echo "# seconds (wall); check (parse and validate) is what every other command pays first: the baseline"
	fi
	echo "# targets: plan of 10000 jails <= 2 s; every ratio <= 2.2 (a doubling of N at most 2.2x the time)"
} | tee bench/results/plan.txt
