# What the lab's scripts (tests/lab/t_*.sh) share. Each sources it from the
# checkout's top, after its `cd`:
#
#   set -u
#   cd "$(dirname "$0")/../.."
#   . tests/lab/lib.sh
#   lab_need t_NAME     # BIN, LAB, D and lab(); "skip" and exit without
#                       # root or a program the lab needs
#
# D is a new lab directory name under /tmp (not made: the lab makes it), so
# a lab someone left up is never touched; lab() runs jail6-lab on it.

BUILD=${BUILD:-build}
BIN=${JAIL6:-$PWD/$BUILD/jail6}
LAB=${JAIL6_LAB:-$PWD/$BUILD/jail6-lab}

lab_need() {
	local p
	if [ "$(id -u)" -ne 0 ]; then echo "skip $1 needs root"; exit 0; fi
	# the programs the lab's own preflight looks for
	for p in openvpn nft ping ip busybox; do
		if ! PATH=$PATH:/usr/sbin:/sbin command -v "$p" >/dev/null; then
			echo "skip $1 needs $p (scripts/deps installs it)"; exit 0
		fi
	done
	D=$(mktemp -d "/tmp/jail6-$1.XXXXXX")
	rmdir "$D"
}

lab() { "$LAB" --dir "$D" --jail6 "$BIN" "$@"; }

# lab_ebpf_conf CHECK: export LAB_CONF, a copy of examples/lab.conf with
# the host's tunnel on datapath = ebpf (removed on exit); "not ok CHECK"
# and exit when the example has no datapath = userspace to turn.
lab_ebpf_conf() {
	LAB_CONF=$(mktemp /tmp/jail6-lab-ebpf.XXXXXX.conf)
	trap 'rm -f "$LAB_CONF"' EXIT
	sed 's/^\([[:space:]]*datapath = \)userspace;.*/\1ebpf;/' examples/lab.conf >"$LAB_CONF"
	if ! grep -q 'datapath = ebpf;' "$LAB_CONF"; then
		echo "not ok $1 # examples/lab.conf has no datapath = userspace to turn into ebpf"
		exit 1
	fi
	export LAB_CONF
}
