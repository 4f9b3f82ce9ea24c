#!/usr/bin/env bash
# The lab (t_lab.sh) with the host's tunnel on datapath = ebpf: its tc
# programs on a TUN device, the underlay the OpenVPN client's tun device
# (a link without an Ethernet header), behind the VPS's NAT, against the
# broker's userspace datapath. The same checks as t_lab.sh.
set -u
cd "$(dirname "$0")/../.."
. tests/lab/lib.sh
lab_ebpf_conf lab-ebpf-conf
bash tests/lab/t_lab.sh
