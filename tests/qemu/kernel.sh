#!/usr/bin/env bash
# Sourced by tests/qemu/build.sh (the kernel-path guest) and
# tests/qemu/boot-build.sh (the systemd boot guest): Debian's kernel package
# fetched with `apt-get download` into $CACHE (never installed on this
# machine), and the helpers that take modules out of its unpacked tree.
# The caller sets CACHE and defines die and note.

# The versioned package linux-image-amd64 depends on, e.g.
# linux-image-6.1.0-56-amd64 (the metapackage itself holds no kernel).
kernel_package() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }' || true
}

find_deb() { # newest cached .deb of package $1
	ls -1 "$CACHE/$1"_*.deb 2>/dev/null | sort -V | tail -1 || true
}

# apt-get download $PKG into the cache. It writes into the current
# directory; the _apt sandbox user cannot write there, hence the warning
# filtered out (the download itself is verified by apt all the same).
fetch() {
	(cd "$CACHE" && apt-get download -q "$PKG" 2>&1 |
		grep -v -e '^W: Download is performed unsandboxed' -e '^Get:' -e '^Fetched' >&2) || true
}

# kernel_deb: set DEB to the kernel package .deb (J6_QEMU_KERNEL_DEB, the
# cached one, or downloaded now) and DEB_NAME to its file name.
kernel_deb() {
	if [ -n "${J6_QEMU_KERNEL_DEB:-}" ]; then
		DEB=$J6_QEMU_KERNEL_DEB
		[ -f "$DEB" ] || die "J6_QEMU_KERNEL_DEB=$DEB: no such file"
	else
		PKG=$(kernel_package)
		if [ -z "$PKG" ] && [ "$(id -u)" -eq 0 ]; then
			# an empty apt cache on a fresh machine: read the lists once
			note "apt-cache knows no linux-image-amd64; running apt-get update"
			apt-get update -qq >/dev/null 2>&1 || true
			PKG=$(kernel_package)
		fi
		if [ -z "$PKG" ]; then
			# offline, but a package fetched earlier is still good
			DEB=$(ls -1 "$CACHE"/linux-image-*.deb 2>/dev/null | sort -V | tail -1 || true)
			[ -n "$DEB" ] || die "cannot tell which kernel package linux-image-amd64 depends on (apt-cache depends linux-image-amd64 printed none) and $CACHE holds none"
			note "apt has no linux-image-amd64; using the cached $(basename "$DEB")"
		else
			DEB=$(find_deb "$PKG")
			if [ -z "$DEB" ]; then
				note "fetching $PKG (apt-get download, not installed)"
				fetch
				DEB=$(find_deb "$PKG")
				if [ -z "$DEB" ] && [ "$(id -u)" -eq 0 ]; then
					# old lists name a version the mirror no longer has (the
					# security archive keeps only the newest): refresh, retry
					note "retrying after apt-get update"
					apt-get update -qq >/dev/null 2>&1 || true
					PKG=$(kernel_package)
					[ -n "$PKG" ] && fetch
					DEB=$(find_deb "$PKG")
				fi
				[ -n "$DEB" ] || die "apt-get download $PKG left no .deb in $CACHE"
			fi
		fi
	fi
	DEB_NAME=$(basename "$DEB")
}

# Module name -> file in the unpacked tree (names use '_', files may use '-').
module_file() {
	local tree=$1 name=$2 alt
	alt=${name//_/-}
	find "$tree/kernel" \( -name "$name.ko" -o -name "$name.ko.*" -o -name "$alt.ko" -o -name "$alt.ko.*" \) -print -quit
}

# The module's depends= list (comma-separated names) from its .modinfo.
# modinfo(8) is in kmod, which may be missing: the .modinfo section is a run
# of NUL-terminated key=value strings, readable without it.
module_depends() {
	if command -v modinfo >/dev/null 2>&1; then
		modinfo -F depends "$1" 2>/dev/null || true
	else
		tr '\0' '\n' <"$1" | sed -n 's/^depends=//p' | head -1
	fi
}

# Copy module file $1 to $2 uncompressed: busybox insmod passes the bytes to
# init_module() as they are and the kernel only decompresses with
# finit_module(MODULE_INIT_COMPRESSED_FILE).
copy_module() {
	case "$1" in
	*.ko) cp "$1" "$2" ;;
	*.ko.xz) command -v xz >/dev/null || die "xz needed to unpack $1 (apt-get install xz-utils)"; xz -dc "$1" >"$2" ;;
	*.ko.zst) command -v zstd >/dev/null || die "zstd needed to unpack $1 (apt-get install zstd)"; zstd -qdc "$1" >"$2" ;;
	*.ko.gz) gzip -dc "$1" >"$2" ;;
	*) die "unknown module file $1" ;;
	esac
}

# kernel_unpack SCRATCH: unpack $DEB there (made afresh); sets VMLINUZ, KVER
# and TREE (its lib/modules/KVER).
kernel_unpack() {
	rm -rf "$1"
	mkdir -p "$1"
	dpkg-deb -x "$DEB" "$1"
	VMLINUZ=$(ls -1 "$1"/boot/vmlinuz-* 2>/dev/null | head -1 || true)
	[ -n "$VMLINUZ" ] || die "$DEB_NAME has no boot/vmlinuz-*"
	KVER=${VMLINUZ##*/vmlinuz-}
	TREE=$1/lib/modules/$KVER
	[ -d "$TREE/kernel" ] || TREE=$1/usr/lib/modules/$KVER
	[ -d "$TREE/kernel" ] || die "$DEB_NAME has no lib/modules/$KVER/kernel"
}

# add_module TREE NAME DIR: module NAME, uncompressed, into DIR/NAME.ko after
# its dependencies (depth first), each appended to the array LOAD in the
# order to load them; the caller declares LOAD=() and declare -A seen=().
# A module built into the kernel is skipped, one that is neither is fatal.
add_module() {
	local tree=$1 name=$2 dir=$3 f dep
	[ -n "${seen[$name]:-}" ] && return 0
	seen[$name]=1
	f=$(module_file "$tree" "$name")
	if [ -z "$f" ]; then
		if grep -Eq "/(${name}|${name//_/-})\.ko\$" "$tree/modules.builtin" 2>/dev/null; then
			return 0
		fi
		die "module $name: neither a module nor built into the kernel of $DEB_NAME"
	fi
	copy_module "$f" "$dir/$name.ko.tmp"
	for dep in $(module_depends "$dir/$name.ko.tmp" | tr ',' ' '); do
		add_module "$tree" "$dep" "$dir"
	done
	mv "$dir/$name.ko.tmp" "$dir/$name.ko"
	LOAD+=("$name")
}
