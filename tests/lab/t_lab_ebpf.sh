#!/usr/bin/env bash
# The lab (t_lab.sh) with the host's tunnel on datapath = ebpf: its tc
# programs on a TUN device, the underlay the OpenVPN client's tun device
# (a link without an Ethernet header), behind the VPS's NAT, against the
# broker's userspace datapath. The same checks as t_lab.sh.
set -u
cd "$(dirname "$0")/../.."
conf=$(mktemp /tmp/jail6-t_lab_ebpf.XXXXXX.conf)
trap 'rm -f "$conf"' EXIT
sed 's/^\([[:space:]]*datapath = \)userspace;.*/\1ebpf;/' examples/lab.conf >"$conf"
grep -q 'datapath = ebpf;' "$conf" || { echo "not ok lab-ebpf-conf # examples/lab.conf has no datapath = userspace to turn into ebpf"; exit 1; }
LAB_CONF=$conf bash tests/lab/t_lab.sh
