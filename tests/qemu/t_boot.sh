#!/usr/bin/env bash
# Install it, boot it, reboot it (issue 12): jail6's Debian package in a
# Debian 12 guest with systemd as PID 1, under QEMU (TCG, no KVM needed).
# tests/qemu/boot-build.sh builds the package from this tree, a minbase
# root with systemd (mmdebstrap, from the Debian mirror apt already uses
# here), installs the package in it with dpkg, adds the guest's world and
# makes an ext4 image; the guest boots Debian's 6.1 kernel.
#
# Covered, at each of J6_BOOT_BOOTS boots (default 3: the first boot and two
# `systemctl reboot`s of the same disk; tests/qemu/boot-check.sh):
#   - the package's maintainer scripts on a real root (dpkg -i: the _jail6
#     user, jail6.service enabled) and the enabled unit starting at boot:
#     jail6.service applies /etc/jail6.conf (tunnel he0 with datapath =
#     userspace and local = auto to a broker inside the guest, a bridge,
#     confined jails alpha and beta with address = auto);
#   - apply under systemd as PID 1 hands the datapath to
#     jail6-datapath@he0.service (Type=notify: active means READY was sent;
#     its MainPID is the tunnel's pidfile's), with the unit's hardening;
#   - `jail6 status` in sync, no failed unit; alpha pings beta, the tunnel
#     peer and an address behind the broker, through the userspace datapath;
#   - at the first boot, `systemctl reload jail6` (ExecReload: apply again)
#     keeps it in sync and the datapath's process as it was;
#   - after each reboot: jail6.service and the datapath's unit stopped
#     without a failure at the shutdown (`jail6 stop --shutdown`, from the
#     previous boot's journal),
#     and everything above again, with the same auto addresses as the first
#     boot.
# Not covered: jail6-update@.timer (it needs a broker's HTTPS endpoint), the
# eBPF datapath (6.1 cannot decapsulate in BPF; t_kernel.sh covers its
# fallback), the datapath unit's watchdog restart (t_flap / the tunnel tests
# cover the supervisor's), an upgrade of the package over a running host,
# purge (tests/pkg/deb.sh), a real network: the broker is a namespace of the
# guest and the guest has no NIC.
#
# Root only (mmdebstrap, chroot, files of other owners). Bounded: the build
# by J6_BOOT_BUILD_TIMEOUT (default 300 s; cached: the package while the
# tree is unchanged, the root tarball while its package list is), the boots
# by J6_QEMU_TIMEOUT (default 540 s for all of them: with the build, within
# tests/run's 900 s a script), each wait inside the guest by J6_BOOT_WAIT
# (default 60 s); a hang names the check or the boot it was in. On this
# machine: the build 10 s cached (about a minute cold: the package, the root
# and the kernel package), the three boots 80-110 s (175 s while other
# tests loaded both cores).
# Nothing is left on this machine: no mount, no loop device, no network
# change (the guest has no NIC); the image stays under build/boot.
# J6_SKIP_QEMU=1 skips it; as root that skip fails the run (tests/run)
# unless tests/skip-allow lists it.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
OUT=${J6_BOOT_DIR:-$PWD/build/boot}
export J6_BOOT_DIR=$OUT
LIMIT=${J6_QEMU_TIMEOUT:-540}
BLIMIT=${J6_BOOT_BUILD_TIMEOUT:-300}
BOOTS=${J6_BOOT_BOOTS:-3}
WAIT=${J6_BOOT_WAIT:-60}
SMP=${J6_QEMU_SMP:-2}

if [ "$(id -u)" -ne 0 ]; then echo "skip t_boot needs root"; exit 0; fi
if [ -n "${J6_SKIP_QEMU:-}" ]; then echo "skip t_boot J6_SKIP_QEMU is set"; exit 0; fi
if [ "$(uname -m)" != x86_64 ]; then echo "skip t_boot boots an amd64 Debian kernel; this is $(uname -m)"; exit 0; fi
for tool in qemu-system-x86_64 mmdebstrap mkfs.ext4; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "not ok boot: $tool installed (scripts/deps)"
		exit 1
	fi
done

mkdir -p "$OUT"
log=$OUT/build.log
start=$(date +%s)
if timeout "$BLIMIT" nice -n 15 bash tests/qemu/boot-build.sh >"$log" 2>&1; then
	echo "ok boot: guest image built (package, systemd root, ext4 image)"
	echo "#   $(tail -1 "$log" | sed 's/^boot-build.sh: //'), built in $(($(date +%s) - start))s"
else
	rc=$?
	echo "not ok boot: guest image built$([ $rc -eq 124 ] && echo " (killed after ${BLIMIT}s)")"
	tail -20 "$log" | sed 's/^/#   /'
	exit 1
fi
KERNEL=$(sed -n 's/^KERNEL=//p' "$OUT/boot.env")
INITRD=$(sed -n 's/^INITRD=//p' "$OUT/boot.env")
DISK=$(sed -n 's/^DISK=//p' "$OUT/boot.env")

LOG=$OUT/console.log
rm -f "$LOG"
start=$(date +%s)
# No -no-reboot: the guest's `systemctl reboot` restarts it with the same
# kernel, command line and disk; its last `systemctl poweroff` ends QEMU.
timeout --kill-after=10 "$LIMIT" qemu-system-x86_64 \
	-machine accel=tcg -smp "$SMP" -m 1024 \
	-nographic -nodefaults -no-user-config -nic none \
	-serial "file:$LOG" -monitor none \
	-kernel "$KERNEL" -initrd "$INITRD" \
	-drive "file=$DISK,format=raw,if=virtio" \
	-append "console=ttyS0 root=/dev/vda rw quiet loglevel=3 panic=-1 j6boot.boots=$BOOTS j6boot.wait=$WAIT" \
	</dev/null >"$OUT/qemu.out" 2>&1
rc=$?
secs=$(($(date +%s) - start))

# CR LF line ends, and escape sequences of SeaBIOS and systemd's status
tr -d '\r' <"$LOG" 2>/dev/null | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g' >"$LOG.txt"
failed=0
while IFS= read -r line; do
	case "$line" in
	"J6TEST ok "*) echo "ok boot: ${line#J6TEST ok }" ;;
	"J6TEST not ok "*) echo "not ok boot: ${line#J6TEST not ok }"; failed=1 ;;
	"J6TEST # "*) echo "#   ${line#J6TEST # }" ;;
	esac
done < <(grep -a '^J6TEST ' "$LOG.txt")

booted=$(grep -ac '^J6TEST # boot [0-9]*: kernel ' "$LOG.txt")
if [ "$booted" -ne "$BOOTS" ]; then
	echo "not ok boot: the guest's checks ran at $BOOTS boots (they ran at $booted)"
	failed=1
fi
if ! grep -aq '^J6TEST done' "$LOG.txt"; then
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then why="killed after ${LIMIT}s"; else why="qemu exited $rc"; fi
	# where it was: the check last begun, or booting (the reboot was the
	# last word, or nothing at all was said)
	last=$(grep -aE '^J6TEST # boot [0-9]+: (checking: |rebooting)' "$LOG.txt" | tail -1 | sed 's/^J6TEST # //')
	case "$last" in
	"") where="boot 1: booting, before the checks ran (systemd, jail6.service or an earlier unit)" ;;
	*": rebooting"*)
		b=${last#boot }; b=${b%%:*}
		where="boot $((b + 1)): booting, before the checks ran (the shutdown, systemd, jail6.service or an earlier unit)" ;;
	*) where="$last" ;;
	esac
	echo "not ok boot: guest finished its checks ($why; it was in $where)"
	echo "#   last console lines ($LOG):"
	tail -25 "$LOG.txt" | sed 's/^/#   /'
	[ -s "$OUT/qemu.out" ] && sed 's/^/#   qemu: /' "$OUT/qemu.out" | tail -5
	failed=1
elif [ $rc -ne 0 ]; then
	echo "not ok boot: qemu exited 0 after the guest powered off (it exited $rc)"
	failed=1
fi
echo "# qemu (TCG, -smp $SMP) ran ${secs}s, $booted of $BOOTS boots checked"
exit $failed
