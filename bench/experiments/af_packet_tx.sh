#!/usr/bin/env bash
# Experiment, not a feature: how much faster is the userspace datapath when
# its outer packets skip the kernel's IPv4 output path (route lookup,
# netfilter, neighbour and qdisc layers) through an AF_PACKET socket? Root
# only; throwaway namespaces, as bench/tunnel.sh.
#
# Builds this commit with af_packet_tx.patch applied, in a temporary git
# worktree (the checkout is not touched), then runs bench/tunnel.sh with the
# stock binary and with the patched one, in turns, REPEAT times each:
#   [REPEAT=N] bench/experiments/af_packet_tx.sh [DURATION]   (default 3, 5 s)
# Prints the tunnel's TCP rate of every turn and the medians; writes
# bench/results/af_packet_tx.txt.
#
# Why it is not in jail6 (bench/README.md has the figures): it bypasses the
# host's firewall and NAT for the tunnel's packets, and needs its own route
# and neighbour resolution with a fallback; and it does not reach the
# issue's target either.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" -eq 0 ] || { echo "af_packet_tx.sh needs root" >&2; exit 1; }
DURATION=${1:-5}
REPEAT=${REPEAT:-3}
W=$(mktemp -d /tmp/jail6-xp.XXXXXX)
cleanup() { git worktree remove --force "$W/src" >/dev/null 2>&1; rm -rf "$W"; }
trap cleanup EXIT
git worktree add -q --detach "$W/src" HEAD
git -C "$W/src" apply "$PWD/bench/experiments/af_packet_tx.patch"
make -s -C "$W/src" >/dev/null
make -s >/dev/null
mkdir -p bench/results
: >"$W/stock" && : >"$W/afpacket"
tcp() { awk '$1 == "tunnel" { print $2 }' "$1"; }
for ((i = 1; i <= REPEAT; i++)); do
	RESULT=$W/out bench/tunnel.sh "$DURATION" >/dev/null
	tcp "$W/out" >>"$W/stock"
	RESULT=$W/out JAIL6_BIN=$W/src/build/jail6 \
		TUNNEL_ENV_A=JAIL6_EXPERIMENT_AF_PACKET=ab,02:00:00:00:00:ba \
		TUNNEL_ENV_B=JAIL6_EXPERIMENT_AF_PACKET=ba,02:00:00:00:00:ab \
		bench/tunnel.sh "$DURATION" >/dev/null
	tcp "$W/out" >>"$W/afpacket"
	plain=$(awk '$1 == "plain" { print $2 }' "$W/out")
	echo "turn $i: stock $(tail -1 "$W/stock") Gbit/s, af_packet $(tail -1 "$W/afpacket") Gbit/s (plain $plain)" >&2
done
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
s=$(median <"$W/stock") a=$(median <"$W/afpacket")
{
	echo "# bench/experiments/af_packet_tx.sh $(date -u +%Y-%m-%dT%H:%M:%SZ): $(nproc) CPUs, kernel $(uname -r), ${DURATION} s TCP, $REPEAT turns"
	echo "tunnel tcp_gbps, raw socket (jail6):   $(paste -sd' ' "$W/stock")  median $s"
	echo "tunnel tcp_gbps, AF_PACKET (patched):  $(paste -sd' ' "$W/afpacket")  median $a"
	echo "AF_PACKET / raw socket: $(echo "scale=2; $a / $s" | bc -l)"
} | tee bench/results/af_packet_tx.txt
