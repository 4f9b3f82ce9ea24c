# Shared by bench/apply.sh and bench/jails.sh (sourced, not run): the
# clock, the wait for the kernel's namespace teardown, and the network
# half of their baseline, one ip(8) command per step.

now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc -l; }

# Deleting namespaces returns at once and the kernel tears them down in the
# background (the "netns" workqueue) holding the rtnl lock: before the next
# timed phase, wait until no kworker has been running netns work for three
# polls in a row (ps shows a busy one as kworker/...+netns), for at most 60 s.
settle() {
	local i quiet=0
	for ((i = 0; i < 600 && quiet < 3; i++)); do
		if [ "$(ps -eo comm= | grep -c '^kworker/.*+netns' || true)" -eq 0 ]; then quiet=$((quiet + 1)); else quiet=0; fi
		sleep 0.1
	done
	[ $quiet -ge 3 ] || echo "bench: namespaces still being torn down after 60 s" >&2
}

# the host namespace bh with bridge0 (2001:db8:1::1/64)
base_host() {
	ip netns add bh
	ip -n bh link set lo up
	ip -n bh link add bridge0 type bridge
	ip -n bh addr add 2001:db8:1::1/64 dev bridge0 nodad
	ip -n bh link set bridge0 up
}

# jail i: namespace b$i, veth e${i}a on bridge0 / e${i}b inside, its
# address 2001:db8:1::(i+1)/64 and default route
base_jail_net() {
	local i=$1
	ip netns add b$i
	ip -n b$i link set lo up
	ip -n bh link add e${i}a type veth peer name e${i}b
	ip -n bh link set e${i}a master bridge0
	ip -n bh link set e${i}a up
	ip -n bh link set e${i}b netns b$i
	ip -n b$i addr add 2001:db8:1::$(printf %x $((i + 1)))/64 dev e${i}b nodad
	ip -n b$i link set e${i}b up
	ip -n b$i route add default via 2001:db8:1::1 dev e${i}b
}
