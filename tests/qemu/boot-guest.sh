#!/usr/bin/env bash
# The guest's own files for tests/qemu/t_boot.sh, written into the root
# directory $1 by tests/qemu/boot-build.sh (after the package is installed):
#   /etc/jail6.conf      the guest's world: tunnel he0 (6in4, datapath =
#                        userspace, local = auto) to a broker inside the
#                        guest, bridge0, jails alpha and beta (address = auto)
#   j6boot-broker.service  test scaffolding, before jail6.service: network
#                        namespace "broker" behind a veth (192.0.2.1 there,
#                        192.0.2.2 here), with a kernel sit (the 6.1 kernel
#                        has it) as the broker's end of the tunnel
#                        (2001:db8:1::1), the routed prefix 2001:db8:2::/64
#                        towards us and an address behind the broker,
#                        2001:db8:ff::1
#   j6boot-check.service   after jail6.service: tests/qemu/boot-check.sh,
#                        which prints J6TEST lines on the serial console and
#                        reboots or powers the guest off
# plus the modules to load at boot, a persistent journal (the checks read
# the previous boot's), the serial getty masked (a quiet console).
set -euo pipefail
ROOT=${1:?usage: boot-guest.sh ROOT}
cd "$(dirname "$0")/../.."
[ -d "$ROOT/etc/systemd/system" ] || { echo "boot-guest.sh: $ROOT is no systemd root" >&2; exit 1; }

cat >"$ROOT/etc/jail6.conf" <<'EOF'
# The boot test's world (tests/qemu/t_boot.sh): the broker is the network
# namespace "broker" of this guest (j6boot-broker.service).
tunnel he0 {
	type = 6in4;
	remote = 192.0.2.1;
	local = auto;
	address = 2001:db8:1::2/64;
	peer = 2001:db8:1::1;
	datapath = userspace;
}
bridge bridge0 {
	address = 2001:db8:2::1/64;
	tunnel = he0;
}
jail alpha {
	interface epair1 {
		bridge = bridge0;
		address = auto;
	}
}
jail beta {
	interface epair2 {
		bridge = bridge0;
		address = auto;
	}
}
EOF
chmod 0644 "$ROOT/etc/jail6.conf"

install -d -m 0755 "$ROOT/usr/local/sbin"
cat >"$ROOT/usr/local/sbin/j6boot-broker" <<'EOF'
#!/bin/sh
# The tunnel broker's side, inside this guest (test scaffolding of t_boot).
set -e
ip netns add broker
ip -n broker link set lo up
ip link add j6up type veth peer name up0 netns broker
ip addr add 192.0.2.2/24 dev j6up
ip link set j6up up
ip -n broker addr add 192.0.2.1/24 dev up0
ip -n broker link set up0 up
ip -n broker link add hebrk type sit local 192.0.2.1 remote 192.0.2.2 ttl 64
ip -n broker addr add 2001:db8:1::1/64 dev hebrk
ip -n broker link set hebrk up
ip -n broker route add 2001:db8:2::/64 via 2001:db8:1::2 dev hebrk
ip -n broker addr add 2001:db8:ff::1/128 dev lo
EOF
chmod 0755 "$ROOT/usr/local/sbin/j6boot-broker"
install -m 0755 tests/qemu/boot-check.sh "$ROOT/usr/local/sbin/j6boot-check"

cat >"$ROOT/etc/systemd/system/j6boot-broker.service" <<'EOF'
# t_boot's scaffolding: the tunnel broker inside the guest
[Unit]
Description=t_boot: the tunnel broker's side (network namespace broker)
Before=jail6.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/j6boot-broker

[Install]
WantedBy=multi-user.target
EOF
cat >"$ROOT/etc/systemd/system/j6boot-check.service" <<'EOF'
# t_boot's checks, once jail6.service has started (or failed)
[Unit]
Description=t_boot: check what the units brought up, then reboot
After=jail6.service j6boot-broker.service multi-user.target

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/j6boot-check
StandardOutput=tty
StandardError=tty
TTYPath=/dev/ttyS0
TTYReset=no
TTYVHangup=no
TimeoutStartSec=15min

[Install]
WantedBy=multi-user.target
EOF
for u in j6boot-broker j6boot-check; do
	ln -sf "/etc/systemd/system/$u.service" "$ROOT/etc/systemd/system/multi-user.target.wants/$u.service"
done

printf '%s\n' tun sit veth bridge dummy >"$ROOT/etc/modules-load.d/j6boot.conf"
echo j6boot >"$ROOT/etc/hostname"
printf '/dev/vda / ext4 rw,errors=remount-ro 0 0\n' >"$ROOT/etc/fstab"
# a persistent journal: the second boot reads how the first one shut down
install -d -m 2755 "$ROOT/var/log/journal"
# nothing waits for a login on the console the host parses
ln -sf /dev/null "$ROOT/etc/systemd/system/serial-getty@ttyS0.service"
ln -sf /dev/null "$ROOT/etc/systemd/system/getty@tty1.service"
install -d -m 0755 "$ROOT/var/lib/j6boot"
