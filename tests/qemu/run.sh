#!/usr/bin/env bash
# Boot the guest that tests/qemu/build.sh made (Debian's kernel + the test
# initramfs) in QEMU with TCG only, serial console to a file, and turn the
# guest's "J6TEST ok NAME" / "J6TEST not ok NAME" lines into the suite's
# "ok qemu: NAME" / "not ok qemu: NAME". Exits non-zero on any failure, on a
# guest that never printed "J6TEST done", or when QEMU hit the time limit.
# Environment:
#   J6_QEMU_DIR      artifacts of build.sh (default build/qemu)
#   J6_QEMU_TIMEOUT  hard limit on the whole boot in seconds (default 480)
#   J6_QEMU_SMP      guest CPUs (default 2: the daemon and ping run at once)
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
OUT=${J6_QEMU_DIR:-$PWD/build/qemu}
LIMIT=${J6_QEMU_TIMEOUT:-480}
SMP=${J6_QEMU_SMP:-2}
LOG=$OUT/console.log

[ -f "$OUT/boot.env" ] || { echo "not ok qemu: boot files ($OUT/boot.env missing: run tests/qemu/build.sh)"; exit 1; }
KERNEL=$(sed -n 's/^KERNEL=//p' "$OUT/boot.env")
INITRD=$(sed -n 's/^INITRD=//p' "$OUT/boot.env")
for f in "$KERNEL" "$INITRD"; do
	[ -f "$f" ] || { echo "not ok qemu: boot files ($f missing: run tests/qemu/build.sh)"; exit 1; }
done

rm -f "$LOG"
start=$(date +%s)
# TCG on purpose: the test must not depend on /dev/kvm. The guest watchdog
# (init.sh) fires before this limit, so a hang still reports its checks.
timeout --kill-after=10 "$LIMIT" qemu-system-x86_64 \
	-machine accel=tcg -smp "$SMP" -m 1024 \
	-nographic -nodefaults -no-user-config -no-reboot \
	-serial "file:$LOG" -monitor none \
	-kernel "$KERNEL" -initrd "$INITRD" \
	-append "console=ttyS0 panic=-1 quiet J6_GUEST_WATCHDOG=$((LIMIT > 60 ? LIMIT - 30 : LIMIT / 2))" \
	</dev/null >"$OUT/qemu.out" 2>&1
rc=$?
secs=$(($(date +%s) - start))

# the serial console ends lines with CR LF
# and SeaBIOS clears the screen with escape sequences
tr -d '\r' <"$LOG" 2>/dev/null | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g' >"$LOG.txt"
failed=0
while IFS= read -r line; do
	case "$line" in
	"J6TEST ok "*) echo "ok qemu: ${line#J6TEST ok }" ;;
	"J6TEST not ok "*) echo "not ok qemu: ${line#J6TEST not ok }"; failed=1 ;;
	"J6TEST # "*) echo "#   ${line#J6TEST # }" ;;
	"J6TEST kernel "*) echo "# guest kernel ${line#J6TEST kernel }" ;;
	esac
done < <(grep -a '^J6TEST ' "$LOG.txt")

if ! grep -aq '^J6TEST done' "$LOG.txt"; then
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then why="killed after ${LIMIT}s"; else why="qemu exited $rc"; fi
	echo "not ok qemu: guest finished its checks ($why)"
	echo "#   last console lines ($LOG):"
	tail -25 "$LOG.txt" | sed 's/^/#   /'
	[ -s "$OUT/qemu.out" ] && sed 's/^/#   qemu: /' "$OUT/qemu.out" | tail -5
	failed=1
fi
echo "# qemu (TCG, -smp $SMP) ran ${secs}s"
exit $failed
