#!/bin/sh
# /init of the initramfs of tests/qemu/t_boot.sh's guest (busybox sh): load
# the virtio and ext4 modules, mount the disk image /dev/vda (root= on the
# kernel's command line) and hand over to its /sbin/init, systemd. A failure
# prints a J6TEST line for the host and powers the guest off.
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
fail() {
	echo "J6TEST not ok initramfs: $*"
	echo "J6TEST done"
	poweroff -f
	sleep 60
}
root=/dev/vda
for arg in $(cat /proc/cmdline); do
	case "$arg" in root=*) root=${arg#root=} ;; esac
done
for m in $(cat /lib/modules/load.list); do
	insmod "/lib/modules/$m.ko" 2>/tmp.insmod || fail "insmod $m: $(cat /tmp.insmod)"
done
# the disk shows up once virtio's probe ran: bounded wait
i=0
while [ ! -b "$root" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -b "$root" ] || fail "no block device $root after 10 s"
mount -t ext4 -o rw "$root" /newroot || fail "mount $root"
[ -L /newroot/sbin/init ] || [ -x /newroot/sbin/init ] || fail "$root has no /sbin/init"
umount /proc /sys
mount --move /dev /newroot/dev 2>/dev/null || umount /dev
exec switch_root /newroot /sbin/init
