#!/usr/bin/env bash
# The VPN flap (t_flap.sh) with the host's tunnel on datapath = ebpf: the
# encapsulator holds (drops as via_down) while the route to the broker is
# not via the VPN, its underlay never becomes the WAN, and jail6's host
# route comes back with the VPN. The same checks as t_flap.sh.
set -u
cd "$(dirname "$0")/../.."
. tests/lab/lib.sh
lab_ebpf_conf flap-ebpf-conf
bash tests/lab/t_flap.sh
