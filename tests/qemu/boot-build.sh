#!/usr/bin/env bash
# Build what the systemd boot guest of tests/qemu/t_boot.sh boots:
#   - jail6's Debian package, built from this tree (a copy of its files under
#     $OUT/debsrc, so dpkg-buildpackage writes nothing outside build/), reused
#     while no file of the tree changed; or J6_BOOT_DEB;
#   - a Debian 12 root with systemd as PID 1: `mmdebstrap --variant=minbase`
#     from the Debian sources apt already uses here, with systemd-sysv, udev,
#     kmod, iproute2, iputils-ping, jq and what the package Depends on; the
#     tarball is cached under $OUT, keyed by the package list and the sources;
#   - in it: the package installed with dpkg (in a chroot, so its maintainer
#     scripts run as on a host: the system user, jail6.service enabled), the
#     kernel's modules the guest needs, the guest's /etc/jail6.conf and the
#     test's own units (tests/qemu/boot-guest.sh: the broker's side set up
#     before jail6.service, the checks after it);
#   - an ext4 image of that root made by `mkfs.ext4 -d` (no loop device, no
#     mount), $OUT/disk.img;
#   - Debian's kernel (tests/qemu/kernel.sh) and a small initramfs (busybox,
#     virtio and ext4 modules, tests/qemu/boot-initrd.sh as /init) that mounts
#     /dev/vda and switches to the root's /sbin/init.
# Writes $OUT/boot.env (KERNEL, INITRD, DISK, KVER) for t_boot.sh.
#   tests/qemu/boot-build.sh
# Environment:
#   J6_BOOT_DIR      artifacts (default build/boot)
#   J6_BOOT_DEB      install this jail6 .deb instead of building one
#   J6_BOOT_SOURCES  the apt sources the root is built from (default the
#                    machine's Debian sources: /etc/apt/sources.list.d/
#                    debian.sources, else /etc/apt/sources.list)
#   J6_QEMU_CACHE    the kernel .deb (default build/qemu/cache, shared with
#                    tests/qemu/build.sh)
# Nothing of this machine is changed: the kernel package is unpacked, not
# installed; the root is a directory under $OUT, removed once the image holds it.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${J6_BOOT_DIR:-$PWD/build/boot}
CACHE=${J6_QEMU_CACHE:-$PWD/build/qemu/cache}
SUITE=bookworm

die() { echo "boot-build.sh: $*" >&2; exit 1; }
note() { echo "boot-build.sh: $*" >&2; }

for tool in apt-get apt-cache dpkg-deb mmdebstrap mkfs.ext4 cpio gzip chroot sha256sum; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool not found (install it: scripts/deps)"
done
[ "$(id -u)" -eq 0 ] || die "needs root (the root's files are owned by root and other users)"
BUSYBOX=$(command -v busybox || true)
[ -n "$BUSYBOX" ] || die "busybox not found (apt-get install busybox-static)"
if ldd "$BUSYBOX" >/dev/null 2>&1; then
	die "$BUSYBOX is dynamically linked; install busybox-static"
fi
mkdir -p "$OUT" "$CACHE"

# ---- 1. the package

if [ -n "${J6_BOOT_DEB:-}" ]; then
	PKGDEB=$J6_BOOT_DEB
	[ -f "$PKGDEB" ] || die "J6_BOOT_DEB=$PKGDEB: no such file"
else
	command -v dpkg-buildpackage >/dev/null || die "dpkg-buildpackage not found (scripts/deps: dpkg-dev, debhelper)"
	# the tree's files (tracked, and new ones not ignored) and their contents
	files=$(git ls-files -co --exclude-standard | LC_ALL=C sort | while IFS= read -r f; do if [ -f "$f" ]; then echo "$f"; fi; done)
	[ -n "$files" ] || die "git ls-files lists no file: not a git work tree?"
	key=$(tr '\n' '\0' <<<"$files" | xargs -0 sha256sum | sha256sum | cut -c1-16)
	PKGDEB=$(ls -1 "$OUT/deb-$key"/jail6_*.deb 2>/dev/null | tail -1 || true)
	if [ -z "$PKGDEB" ]; then
		note "building the package from this tree (key $key)"
		rm -rf "$OUT/debsrc" "$OUT"/deb-*
		mkdir -p "$OUT/debsrc/jail6"
		tr '\n' '\0' <<<"$files" | xargs -0 cp --parents -t "$OUT/debsrc/jail6"
		if ! (cd "$OUT/debsrc/jail6" &&
			# (not the flags of a make that runs this test: `make sanitize`
			# passes its CFLAGS and BUILD down through MAKEFLAGS)
			env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES -u CFLAGS -u LDFLAGS -u BUILD \
				DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" dpkg-buildpackage -us -uc -b) >"$OUT/deb-build.log" 2>&1; then
			tail -20 "$OUT/deb-build.log" >&2
			die "dpkg-buildpackage failed (log: $OUT/deb-build.log)"
		fi
		mkdir -p "$OUT/deb-$key"
		mv "$OUT"/debsrc/jail6_*.deb "$OUT/deb-$key/"
		rm -rf "$OUT/debsrc"
		PKGDEB=$(ls -1 "$OUT/deb-$key"/jail6_*.deb | tail -1)
	fi
fi
note "package $(basename "$PKGDEB")"

# ---- 2. the base root, cached by package list and sources

SOURCES=${J6_BOOT_SOURCES:-}
if [ -z "$SOURCES" ]; then
	for s in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
		[ -s "$s" ] && { SOURCES=$s; break; }
	done
fi
[ -n "$SOURCES" ] && [ -f "$SOURCES" ] || die "no apt sources file found (set J6_BOOT_SOURCES)"
# The package's Depends, names only (the first of alternatives), and what
# the guest's scaffolding and checks use.
deps=$(dpkg-deb -f "$PKGDEB" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/[[:space:]]//g; s/:any$//' | sed '/^$/d')
PKGS=$(printf '%s\n' systemd-sysv udev kmod iproute2 iputils-ping jq $deps | sort -u | paste -sd, -)
bkey=$( { echo "$SUITE $PKGS"; cat "$SOURCES"; } | sha256sum | cut -c1-16)
BASE=$OUT/base-$bkey.tar
if [ ! -s "$BASE" ]; then
	note "mmdebstrap $SUITE with $PKGS (from $SOURCES)"
	rm -f "$OUT"/base-*.tar
	if ! mmdebstrap --variant=minbase --format=tar --include="$PKGS" "$SUITE" "$BASE.tmp" "$SOURCES" >"$OUT/mmdebstrap.log" 2>&1; then
		rm -f "$BASE.tmp"
		tail -20 "$OUT/mmdebstrap.log" >&2
		die "mmdebstrap failed (log: $OUT/mmdebstrap.log)"
	fi
	mv "$BASE.tmp" "$BASE"
fi

# ---- 3. the kernel, its modules for the initramfs and for the root

. tests/qemu/kernel.sh
kernel_deb
KDIR=$OUT/kernel
STAMP=$KDIR/.from
# modules the initramfs loads to mount the root (with their dependencies);
# crc32c is not a depends= of ext4 but it asks for it when mounting
INITRD_WANTED=(virtio_pci virtio_blk crc32c_generic ext4)
# the root's share of the kernel tree: networking (sit, veth, bridge, tun,
# dummy, nftables...), crypto and lib helpers, and the drivers of the guest
ROOT_DIRS=(net crypto lib arch fs/ext4 fs/jbd2 fs/autofs drivers/virtio drivers/block/virtio_blk.ko
	drivers/net/tun.ko drivers/net/veth.ko drivers/net/dummy.ko drivers/net/vrf.ko
	drivers/net/macvlan.ko drivers/net/ipvlan drivers/net/virtio_net.ko drivers/net/net_failover.ko)
declare -A seen=()
LOAD=()
if [ "$(cat "$STAMP" 2>/dev/null)" != "$DEB_NAME ${INITRD_WANTED[*]} ${ROOT_DIRS[*]}" ]; then
	note "unpacking $DEB_NAME"
	SCRATCH=$OUT/unpack.tmp
	rm -rf "$KDIR"
	mkdir -p "$KDIR/initrd-modules"
	trap 'rm -rf "$SCRATCH"' EXIT
	kernel_unpack "$SCRATCH"
	cp "$VMLINUZ" "$KDIR/vmlinuz"
	for m in "${INITRD_WANTED[@]}"; do add_module "$TREE" "$m" "$KDIR/initrd-modules"; done
	printf '%s\n' "${LOAD[@]}" >"$KDIR/initrd-modules/load.list"
	MT=$KDIR/rootmods/lib/modules/$KVER
	mkdir -p "$MT/kernel"
	cp "$TREE"/modules.builtin "$TREE"/modules.builtin.modinfo "$TREE"/modules.order "$MT/"
	for d in "${ROOT_DIRS[@]}"; do
		[ -e "$TREE/kernel/$d" ] || die "$DEB_NAME has no kernel/$d"
		(cd "$TREE/kernel" && cp -a --parents "$d" "$MT/kernel/")
	done
	echo "$KVER" >"$KDIR/version"
	rm -rf "$SCRATCH"
	trap - EXIT
	echo "$DEB_NAME ${INITRD_WANTED[*]} ${ROOT_DIRS[*]}" >"$STAMP"
fi
KVER=$(cat "$KDIR/version")

# ---- 4. the initramfs: busybox, the modules, /init

IR=$OUT/initrd.root
rm -rf "$IR"
mkdir -p "$IR"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,newroot,lib/modules}
cp "$BUSYBOX" "$IR/bin/busybox"
"$BUSYBOX" --list-full | while read -r applet; do
	[ -e "$IR/$applet" ] || ln -s /bin/busybox "$IR/$applet"
done
cp "$KDIR"/initrd-modules/*.ko "$KDIR/initrd-modules/load.list" "$IR/lib/modules/"
install -m 0755 tests/qemu/boot-initrd.sh "$IR/init"
INITRD=$OUT/initrd.gz
(cd "$IR" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet) | gzip -1 >"$INITRD.tmp"
mv "$INITRD.tmp" "$INITRD"
rm -rf "$IR"

# ---- 5. the root: base + modules + package + the guest's files, then the image

ROOT=$OUT/root
rm -rf "$ROOT"
mkdir -p "$ROOT"
trap 'rm -rf "$ROOT"' EXIT
tar -xpf "$BASE" --numeric-owner -C "$ROOT"
cp -a "$KDIR/rootmods/lib/modules" "$ROOT/lib/"
chroot "$ROOT" depmod -a "$KVER" || die "depmod in the root failed"

# The package, as an admin installs it: its maintainer scripts run in the
# root (the system user, jail6.service enabled; nothing is started: there is
# no systemd running in a chroot, and the package starts nothing anyway).
cp "$PKGDEB" "$ROOT/tmp/jail6.deb"
if ! chroot "$ROOT" env DEBIAN_FRONTEND=noninteractive PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	dpkg -i /tmp/jail6.deb >"$OUT/dpkg.log" 2>&1; then
	cat "$OUT/dpkg.log" >&2
	die "dpkg -i $(basename "$PKGDEB") in the root failed"
fi
rm -f "$ROOT/tmp/jail6.deb"
[ -L "$ROOT/etc/systemd/system/multi-user.target.wants/jail6.service" ] ||
	die "the package did not enable jail6.service (no multi-user.target.wants link)"

# The guest's own files (tests/qemu/boot-guest.sh writes them)
bash tests/qemu/boot-guest.sh "$ROOT"

# the image: the root's size plus room for the state, logs and journal
kib=$(du -sk "$ROOT" | cut -f1)
size=$(((kib + 262144) / 1024))M
DISK=$OUT/disk.img
rm -f "$DISK"
mkfs.ext4 -q -F -L j6boot -d "$ROOT" "$DISK" "$size" || die "mkfs.ext4 -d failed"
rm -rf "$ROOT"
trap - EXIT
cat >"$OUT/boot.env" <<EOF
KERNEL=$KDIR/vmlinuz
INITRD=$INITRD
DISK=$DISK
KVER=$KVER
PKGDEB=$PKGDEB
EOF
note "kernel $KVER ($DEB_NAME), image $DISK ($size, root ${kib} KiB), package $(basename "$PKGDEB")"
