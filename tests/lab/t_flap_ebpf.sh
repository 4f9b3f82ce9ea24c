#!/usr/bin/env bash
# The VPN flap (t_flap.sh) with the host's tunnel on datapath = ebpf: the
# encapsulator holds (drops as via_down) while the route to the broker is
# not via the VPN, its underlay never becomes the WAN, and jail6's host
# route comes back with the VPN. The same checks as t_flap.sh.
set -u
cd "$(dirname "$0")/../.."
conf=$(mktemp /tmp/jail6-t_flap_ebpf.XXXXXX.conf)
trap 'rm -f "$conf"' EXIT
sed 's/^\([[:space:]]*datapath = \)userspace;.*/\1ebpf;/' examples/lab.conf >"$conf"
grep -q 'datapath = ebpf;' "$conf" || { echo "not ok flap-ebpf-conf # examples/lab.conf has no datapath = userspace to turn into ebpf"; exit 1; }
LAB_CONF=$conf bash tests/lab/t_flap.sh
