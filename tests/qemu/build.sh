#!/usr/bin/env bash
# Build what the QEMU guest of the kernel-path test boots: Debian's own
# kernel (taken from its package, never installed on this machine) and a
# small initramfs holding busybox, the modules sit/veth/bridge/tun need,
# jail6 with its shared libraries, iproute2's ip, the transfer driver
# $BUILD/tests/xfer and tests/qemu/init.sh as /init. Writes $OUT/boot.env (KERNEL=..., INITRD=...) for run.sh.
#   tests/qemu/build.sh            artifacts under build/qemu/
# Environment:
#   BUILD               where jail6 was built (default build): $BUILD/jail6
#   J6_QEMU_DIR         artifacts (default build/qemu): the initramfs, its
#                       staging root, the kernel and modules taken from the
#                       package (kept and reused while the package is the same)
#   J6_QEMU_CACHE       the downloaded .deb (default build/qemu/cache; reused)
#   J6_QEMU_KERNEL_DEB  use this linux-image .deb instead of asking apt
# The kernel package is fetched with `apt-get download` into the cache and
# unpacked with `dpkg-deb -x` into a scratch dir that is removed afterwards:
# /boot and /lib/modules of this machine are never touched.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
OUT=${J6_QEMU_DIR:-$PWD/build/qemu}
CACHE=${J6_QEMU_CACHE:-$PWD/build/qemu/cache}
JAIL6_BIN=$PWD/$BUILD/jail6
XFER_BIN=$PWD/$BUILD/tests/xfer
# Modules the guest needs, by module name; their dependencies are added.
# sch_ingress (clsact) and cls_bpf: the eBPF datapath's tc programs
WANTED=(sit veth bridge tun sch_ingress cls_bpf)

die() { echo "build.sh: $*" >&2; exit 1; }
note() { echo "build.sh: $*" >&2; }

for tool in apt-get apt-cache dpkg-deb cpio gzip ldd find; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool not found (install it: scripts/deps)"
done
[ -x "$JAIL6_BIN" ] || die "$JAIL6_BIN not built (run make)"
[ -x "$PWD/$BUILD/jail6-datapath" ] || die "$PWD/$BUILD/jail6-datapath not built (run make)"
[ -x "$XFER_BIN" ] || die "$XFER_BIN not built (run make drivers)"
BUSYBOX=$(command -v busybox || true)
[ -n "$BUSYBOX" ] || die "busybox not found (apt-get install busybox-static)"
# A dynamically linked busybox would need its libraries too; insist on the
# static one rather than half-work.
if ldd "$BUSYBOX" >/dev/null 2>&1; then
	die "$BUSYBOX is dynamically linked; install busybox-static"
fi
mkdir -p "$CACHE"

# ---- 1. the kernel package

# the kernel package: kernel_deb and the module helpers (tests/qemu/kernel.sh)
. tests/qemu/kernel.sh
kernel_deb

# ---- 2. the kernel and its modules, unpacked once per package

KDIR=$OUT/kernel
STAMP=$KDIR/.from
declare -A seen=()
LOAD=()

# (the stamp names the modules too: a new one in WANTED unpacks again)
if [ "$(cat "$STAMP" 2>/dev/null)" != "$DEB_NAME ${WANTED[*]}" ]; then
	note "unpacking $DEB_NAME"
	SCRATCH=$OUT/unpack.tmp
	rm -rf "$KDIR"
	mkdir -p "$KDIR/modules"
	trap 'rm -rf "$SCRATCH"' EXIT
	kernel_unpack "$SCRATCH"
	cp "$VMLINUZ" "$KDIR/vmlinuz"
	for m in "${WANTED[@]}"; do add_module "$TREE" "$m" "$KDIR/modules"; done
	printf '%s\n' "${LOAD[@]}" >"$KDIR/modules/load.list"
	echo "$KVER" >"$KDIR/version"
	rm -rf "$SCRATCH"
	trap - EXIT
	echo "$DEB_NAME ${WANTED[*]}" >"$STAMP"
fi
KVER=$(cat "$KDIR/version")

# ---- 3. the initramfs

ROOT=$OUT/root
rm -rf "$ROOT"
mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,run,tmp,etc,lib/modules}

# busybox and one symlink per applet
cp "$BUSYBOX" "$ROOT/bin/busybox"
"$BUSYBOX" --list-full | while read -r applet; do
	[ -e "$ROOT/$applet" ] || ln -s /bin/busybox "$ROOT/$applet"
done

# Copy ELF file $1 to $2 inside the root and every library ldd names, each
# to the path it has here, with the dynamic loader.
copy_elf() {
	local src=$1 dst=$2 lib
	mkdir -p "$ROOT/$(dirname "$dst")"
	rm -f "$ROOT/$dst"
	cp -L "$src" "$ROOT/$dst"
	if ldd "$src" 2>/dev/null | grep -q 'not found'; then
		die "$src: a shared library is missing here: $(ldd "$src" | grep 'not found' | tr -s ' \t\n' ' ')"
	fi
	{ ldd "$src" 2>/dev/null || true; } | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
		while read -r lib; do
			[ -e "$ROOT/$lib" ] && continue
			mkdir -p "$ROOT/$(dirname "$lib")"
			cp -L "$lib" "$ROOT/$lib"
		done
}

copy_elf "$JAIL6_BIN" /usr/sbin/jail6
# the userspace and eBPF datapath's own program, found beside jail6
copy_elf "$PWD/$BUILD/jail6-datapath" /usr/sbin/jail6-datapath
# the TCP and UDP transfers across the tunnel (tests/qemu/xfer.c)
copy_elf "$XFER_BIN" /usr/bin/xfer
# iproute2's ip for set-up and assertions (busybox's ip knows neither
# `netns` nor `-d link`); it replaces busybox's applet.
IP=
for c in /usr/sbin/ip /sbin/ip /usr/bin/ip /bin/ip; do
	if [ -x "$c" ] && [ "$(readlink -f "$c")" != "$(readlink -f "$BUSYBOX")" ]; then IP=$c; break; fi
done
[ -n "$IP" ] || die "ip(8) from iproute2 not found (apt-get install iproute2)"
copy_elf "$IP" /sbin/ip

cp "$KDIR"/modules/*.ko "$KDIR/modules/load.list" "$ROOT/lib/modules/"
install -m 0755 tests/qemu/init.sh "$ROOT/init"
echo "$KVER" >"$ROOT/etc/kernel-version"

INITRD=$OUT/initrd.gz
# -R 0:0: every file root-owned in the guest, whoever built it
(cd "$ROOT" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet) |
	gzip -1 >"$INITRD.tmp"
mv "$INITRD.tmp" "$INITRD"
cat >"$OUT/boot.env" <<EOF
KERNEL=$KDIR/vmlinuz
INITRD=$INITRD
KVER=$KVER
EOF
note "kernel $KVER ($DEB_NAME), modules: $(tr '\n' ' ' <"$KDIR/modules/load.list")"
note "initramfs $INITRD ($(du -k "$INITRD" | cut -f1) KiB)"
