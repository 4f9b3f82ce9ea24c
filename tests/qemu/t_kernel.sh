#!/usr/bin/env bash
# The kernel 6in4 path (datapath = kernel, Linux `sit`), which this
# machine's own kernel may lack: a QEMU guest (TCG, no KVM needed) boots
# Debian's own kernel with a small initramfs (busybox, the sit/tunnel4/
# ip_tunnel/veth/bridge/tun/sch_ingress/cls_bpf modules, jail6) and checks
# there that
#   (a) apply with datapath = kernel creates a sit link, its address,
#       default route and forwarding, and a second apply changes nothing,
#   (b) datapath = userspace at the other end runs the TUN daemon,
#   (c) ping6 crosses between the kernel end and the userspace end, and
#       4 MiB go over TCP and over UDP each way with the same sha256 at
#       both ends (the kernel end leaves TCP/UDP checksums for offload),
#   (c3) datapath = ebpf on this kernel (Debian's 6.1, before BPF could
#       decapsulate) encapsulates in tc BPF and decapsulates in userspace,
#       says so, and passes the same pings and transfers with the kernel end,
#   (d) datapath = auto picks the kernel when sit is there,
#   (e) destroy leaves no tunnel link, route, file or jail6 process.
# Root only (as the rest of the namespace tests). Bounded: about 10 minutes
# at most (build 150 s, boot J6_QEMU_TIMEOUT = 420 s; each transfer ends
# within 20 s, so four failing ones add 80 s); on this machine a run takes
# about a minute, 15-20 s of it the transfers. J6_SKIP_QEMU=1 skips it; as
# root that skip fails the run (tests/run) unless tests/skip-allow lists it.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
export BUILD
export J6_QEMU_DIR=${J6_QEMU_DIR:-$PWD/$BUILD/qemu}
export J6_QEMU_TIMEOUT=${J6_QEMU_TIMEOUT:-420}

if [ "$(id -u)" -ne 0 ]; then echo "skip t_kernel needs root"; exit 0; fi
if [ -n "${J6_SKIP_QEMU:-}" ]; then echo "skip t_kernel J6_SKIP_QEMU is set"; exit 0; fi
if [ "$(uname -m)" != x86_64 ]; then echo "skip t_kernel boots an amd64 Debian kernel; this is $(uname -m)"; exit 0; fi
if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
	echo "skip t_kernel needs qemu-system-x86_64 (apt-get install qemu-system-x86)"
	exit 0
fi
if [ ! -x "$BUILD/jail6" ]; then echo "not ok qemu: $BUILD/jail6 built (run make)"; exit 1; fi
if [ ! -x "$BUILD/tests/xfer" ]; then echo "not ok qemu: $BUILD/tests/xfer built (run make drivers)"; exit 1; fi

mkdir -p "$J6_QEMU_DIR"
log=$J6_QEMU_DIR/build.log
start=$(date +%s)
if timeout 150 bash tests/qemu/build.sh >"$log" 2>&1; then
	echo "ok qemu: guest image built"
	echo "#   $(grep -o 'kernel [^ ]*' "$log" | head -1), built in $(($(date +%s) - start))s"
else
	echo "not ok qemu: guest image built"
	tail -20 "$log" | sed 's/^/#   /'
	exit 1
fi
bash tests/qemu/run.sh
