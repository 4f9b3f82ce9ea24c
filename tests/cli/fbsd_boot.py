#!/usr/bin/env python3
"""What a FreeBSD host runs at boot from the files `jail6 export --target
freebsd` writes, and whether that is what `jail6 plan --target freebsd` says.

A small interpreter of the subset of rc.conf(5), sysctl.conf(5) and
jail.conf(5) that jail6 export emits (no FreeBSD machine exists here:
correctness is by the documented semantics). It runs nothing; it derives the
command sequence in the order rc(8) and jail(8) run it:

 1. rc(8) runs the rc.d scripts in rcorder(8) order: sysctl, then netif
    (REQUIRE: sysctl), then routing (REQUIRE: netif), then jail (REQUIRE:
    LOGIN, after the network).
 2. rc.d/sysctl: each NAME=VALUE line of sysctl.conf -> sysctl NAME=VALUE.
 3. rc.d/netif start (network.subr):
    a. clone_up: each entry of cloned_interfaces, in order ->
       ifconfig IF create (epairN makes epairNa and epairNb);
    b. ifn_start for each interface of list_net_interfaces; with the
       default network_interfaces=AUTO that is `ifconfig -l` order with lo0
       first: the interfaces present at boot (--physical), then the cloned
       ones in creation order. lo0 is the base system's own and left out;
    c. ifconfig_up IF: [ipv6_activate_all_interfaces=YES: ifconfig IF inet6
       -ifdisabled]; ifconfig_IF -> ifconfig IF ARGS; ifconfig_IF_ipv6 ->
       ifconfig IF inet6 -ifdisabled, then ifconfig IF ARGS; then, if
       anything was configured, ifconfig IF up; then ipv4_up/ipv6_up:
       ifconfig_IF_aliasN (N = 0, 1, ... while set) -> ifconfig IF ARGS alias.
    (rc.conf(5): cloned_interfaces, ifconfig_<interface>,
    ifconfig_<interface>_ipv6, ifconfig_<interface>_alias<n>,
    ipv6_activate_all_interfaces.)
 4. rc.d/routing start: for inet, then inet6 (rc.conf(5): static_routes,
    defaultrouter, ipv6_static_routes, ipv6_defaultrouter,
    gateway_enable, ipv6_gateway_enable):
       each NAME of static_routes -> route add ROUTE_NAME; defaultrouter ->
       route add default GW; gateway_enable=YES -> sysctl
       net.inet.ip.forwarding=1; each NAME of ipv6_static_routes -> route
       add -inet6 IPV6_ROUTE_NAME; ipv6_defaultrouter -> route add -inet6
       default GW; ipv6_gateway_enable=YES -> sysctl
       net.inet6.ip6.forwarding=1. The base system's own routes (loopback,
       ::ffff:0.0.0.0/96 reject, ...) are left out.
 5. rc.d/jail start, jail_enable=YES: each jail of jail_list in order, as
    jail(8) -c creates it from jail.conf: exec.prestart (each string run by
    sh in the host), the jail made with its parameters (jail -c
    name=NAME K=V ... for every parameter that is not exec.*,
    vnet.interface or stop.timeout, in file order), exec.created (host),
    vnet.interface -> ifconfig IF vnet NAME, exec.start (each string run by
    sh inside the jail: jexec NAME ...), exec.poststart (jail(8): the
    order of "exec.prestart", "exec.created", "vnet.interface",
    "exec.start", "exec.poststart"). stop.timeout only matters to jail -r.

Usage:
  fbsd_boot.py derive DIR [--host-rc FILE] [--physical IF,IF]
  fbsd_boot.py compare PLAN DIR [--host-rc FILE] [--physical IF,IF] [--local ADDR]
derive prints the sequence as `plan --target freebsd` prints commands.
compare reads PLAN (the text of `jail6 plan --target freebsd`, its AUTO
replaced by --local), reduces both sequences to facts (an interface made, an
address on it with its peer and prefix length, a flag, a member, a route, a
sysctl, a jail and its parameters, a command in a jail), prints "ok"/"not
ok" lines: the same facts (rc's only extra: the -ifdisabled rc.d/netif
clears before ifconfig_IF_ipv6), and each sequence in a working order (no
interface used before it exists, no jail entered before it is made, no
IPv6 route through a gateway that is not on-link yet). Exit 1 on a failure.
"""
import re
import shlex
import sys

TOOLS = {"/sbin/ifconfig": "ifconfig", "/sbin/route": "route", "/sbin/sysctl": "sysctl",
         "/usr/sbin/jail": "jail", "/usr/sbin/jexec": "jexec", "/usr/bin/rctl": "rctl"}


def shown(w):
    return TOOLS.get(w, w)


def line_of(argv):
    return " ".join(shlex.quote(w) if w else "''" for w in argv)


# ---- the files ----

def read_rc(path, env):
    """rc.conf: NAME=VALUE lines in sh syntax (what jail6 export writes)."""
    with open(path) as f:
        for raw in f:
            s = raw.strip()
            if not s or s.startswith("#"):
                continue
            m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", s)
            if not m:
                raise SystemExit("%s: not a NAME=VALUE line: %s" % (path, s))
            env[m.group(1)] = " ".join(shlex.split(m.group(2)))


def read_jail_conf(path):
    """jail.conf subset: NAME { key = value; key += value; key; } blocks,
    values bare or in double quotes (\\" and \\\\ escapes), # comments."""
    with open(path) as f:
        text = f.read()
    toks = []
    i = 0
    while i < len(text):
        c = text[i]
        if c.isspace():
            i += 1
        elif c == "#":
            while i < len(text) and text[i] != "\n":
                i += 1
        elif c in "{};":
            toks.append(c)
            i += 1
        elif c == '"':
            i += 1
            buf = ""
            while text[i] != '"':
                if text[i] == "\\":
                    i += 1
                if text[i] == "$":
                    raise SystemExit("%s: '$' in a string: variable expansion is not in the subset" % path)
                buf += text[i]
                i += 1
            i += 1
            toks.append(("str", buf))
        elif text.startswith("+=", i):
            toks.append("+=")
            i += 2
        elif c == "=":
            toks.append("=")
            i += 1
        else:
            j = i
            while j < len(text) and not text[j].isspace() and text[j] not in '{};="':
                j += 1
            if text.startswith("+=", j):
                pass
            toks.append(("str", text[i:j]))
            i = j
    jails = {}
    order = []
    k = 0

    def val(t):
        if not isinstance(t, tuple):
            raise SystemExit("%s: unexpected %r" % (path, t))
        return t[1]

    while k < len(toks):
        name = val(toks[k])
        if toks[k + 1] != "{":
            raise SystemExit("%s: only NAME { ... } blocks are in the subset" % path)
        k += 2
        params = []  # (key, [values]) in file order
        while toks[k] != "}":
            key = val(toks[k])
            if toks[k + 1] == ";":
                params.append((key, None))
                k += 2
                continue
            op = toks[k + 1]
            v = val(toks[k + 2])
            if toks[k + 3] != ";":
                raise SystemExit("%s: ';' expected after %s" % (path, key))
            k += 4
            old = [p for p in params if p[0] == key]
            if op == "+=" and old:
                old[0][1].append(v)
            else:
                params = [p for p in params if p[0] != key]
                params.append((key, [v]))
        k += 1
        jails[name] = params
        order.append(name)
    return jails, order


# ---- rc(8) ----

def derive(d, host_rc=None, physical=()):
    env = {}
    if host_rc:
        read_rc(host_rc, env)
    read_rc(d + "/rc.conf.jail6", env)
    out = []
    # rc.d/sysctl
    try:
        with open(d + "/sysctl.conf.jail6") as f:
            for raw in f:
                s = raw.strip()
                if s and not s.startswith("#"):
                    out.append(["sysctl", s])
    except FileNotFoundError:
        pass
    # rc.d/netif: clone_up
    cloned = []
    for ifn in env.get("cloned_interfaces", "").split():
        out.append(["ifconfig", ifn, "create"])
        cloned += [ifn + "a", ifn + "b"] if re.match(r"^epair[0-9]+$", ifn) else [ifn]
    # ifn_start, in `ifconfig -l` order (lo0, the base system's, left out)
    yes = lambda v: env.get(v, "NO").upper() in ("YES", "TRUE", "ON", "1")
    for ifn in list(physical) + cloned:
        var = "ifconfig_" + re.sub(r"[.\-/+]", "_", ifn)
        cfg = False
        if yes("ipv6_activate_all_interfaces"):
            out.append(["ifconfig", ifn, "inet6", "-ifdisabled"])
        if env.get(var):
            out.append(["ifconfig", ifn] + env[var].split())
            cfg = True
        if env.get(var + "_ipv6"):
            out.append(["ifconfig", ifn, "inet6", "-ifdisabled"])
            out.append(["ifconfig", ifn] + env[var + "_ipv6"].split())
            cfg = True
        if cfg:
            out.append(["ifconfig", ifn, "up"])
        n = 0
        while env.get("%s_alias%d" % (var, n)):
            out.append(["ifconfig", ifn] + env["%s_alias%d" % (var, n)].split() + ["alias"])
            n += 1
    # rc.d/routing
    for name in env.get("static_routes", "").split():
        out.append(["route", "add"] + env["route_" + name].split())
    if env.get("defaultrouter", "NO").upper() != "NO":
        out.append(["route", "add", "default", env["defaultrouter"]])
    if yes("gateway_enable"):
        out.append(["sysctl", "net.inet.ip.forwarding=1"])
    for name in env.get("ipv6_static_routes", "").split():
        out.append(["route", "add", "-inet6"] + env["ipv6_route_" + name].split())
    if env.get("ipv6_defaultrouter", "NO").upper() != "NO":
        out.append(["route", "add", "-inet6", "default", env["ipv6_defaultrouter"]])
    if yes("ipv6_gateway_enable"):
        out.append(["sysctl", "net.inet6.ip6.forwarding=1"])
    # rc.d/jail
    if yes("jail_enable"):
        jails, _ = read_jail_conf(d + "/jail.conf")
        for name in env.get("jail_list", "").split():
            params = dict((k, v) for k, v in jails[name])
            sh = lambda s: [shown(w) for w in shlex.split(s)]
            for s in params.get("exec.prestart") or []:
                out.append(sh(s))
            words = ["jail", "-c", "name=" + name]
            for k, v in jails[name]:
                if k.startswith("exec.") or k in ("vnet.interface", "stop.timeout"):
                    continue
                words.append(k if v is None else "%s=%s" % (k, v[0]))
            out.append(words)
            for s in params.get("exec.created") or []:
                out.append(sh(s))
            for ifn in params.get("vnet.interface") or []:
                out.append(["ifconfig", ifn, "vnet", name])
            for s in params.get("exec.start") or []:
                w = shlex.split(s)
                out.append(["jexec", name] + [shown(w[0])] + w[1:])
            for s in params.get("exec.poststart") or []:
                out.append(sh(s))
    return out


# ---- facts and order ----

def plan_cmds(path, local):
    cmds = []
    with open(path) as f:
        for raw in f:
            s = raw.rstrip("\n")
            if not s or s.startswith("#") or re.match(r"^exit [0-9]+$", s):
                continue
            cmds.append([local if w == "AUTO" and local else w for w in shlex.split(s)])
    return cmds


def facts_of(cmd):
    """The facts of one command, as (ns, kind, ...) tuples."""
    ns = ""
    if cmd[0] == "jexec":
        ns, cmd = cmd[1], cmd[2:]
    tool = cmd[0]
    if tool == "ifconfig":
        ifn, w = cmd[1], cmd[2:]
        f = []
        if w == ["create"]:
            return [(ns, "create", ifn)]
        i = 0
        fam = None
        if w and w[0] in ("inet", "inet6"):
            fam = w[0]
            i = 1
        addr = []
        plen = None
        while i < len(w):
            x = w[i]
            if x in ("tunnel",):
                f.append((ns, "tunnel", ifn, w[i + 1], w[i + 2]))
                i += 3
            elif x in ("mtu", "addm", "ether", "vnet", "prefixlen"):
                if x == "prefixlen":
                    plen = w[i + 1]
                else:
                    f.append((ns, x, ifn, w[i + 1]))
                i += 2
            elif x in ("up", "alias"):
                if x == "up":
                    f.append((ns, "up", ifn))
                i += 1
            elif x.startswith("-") or x in ("accept_rtadv",):
                f.append((ns, "flag", ifn, x))
                i += 1
            else:
                addr.append(x)
                i += 1
        if addr:
            a = addr[0]
            if "/" in a:
                a, plen = a.split("/")
            f.append((ns, "addr", ifn, fam, a, addr[1] if len(addr) > 1 else "", plen or ""))
        return f
    if tool == "route":
        return [(ns, "route") + tuple(cmd[1:])]
    if tool == "sysctl":
        return [(ns, "sysctl", cmd[1])]
    if tool == "jail" and cmd[1] == "-c":
        return [("", "jail") + tuple(sorted(cmd[2:]))]
    return [(ns, "exec") + tuple(cmd)]


def order_problems(cmds, physical):
    """Where a sequence uses what does not exist yet."""
    have = {"": set(physical) | {"lo0"}}
    onlink = {"": []}
    bad = []
    for c in cmds:
        ns = c[1] if c[0] == "jexec" else ""
        if ns and ns not in have:
            bad.append("%s: jail %s does not exist yet" % (line_of(c), ns))
            continue
        for f in facts_of(c):
            kind = f[1]
            if kind == "jail":
                name = [p for p in f[2:] if p.startswith("name=")][0][5:]
                have[name] = {"lo0"}
                onlink[name] = []
                continue
            if kind == "create":
                m = re.match(r"^epair[0-9]+$", f[2])
                have[ns] |= {f[2] + "a", f[2] + "b"} if m else {f[2]}
                continue
            if kind in ("route", "sysctl", "exec"):
                if kind == "route" and "-inet6" in f and f[-1] != "-interface":
                    gw = f[-1].split("%")[0]
                    if not any(gw_ok(gw, a) for a in onlink[ns]):
                        bad.append("%s: gateway %s is not on-link yet" % (line_of(c), gw))
                continue
            ifn = f[2]
            if ifn not in have[ns]:
                bad.append("%s: %s does not exist yet%s" % (line_of(c), ifn, " in " + ns if ns else ""))
                continue
            if kind == "addm" and f[3] not in have[ns]:
                bad.append("%s: member %s does not exist yet" % (line_of(c), f[3]))
            if kind == "vnet":
                if f[3] not in have:
                    bad.append("%s: jail %s does not exist yet" % (line_of(c), f[3]))
                else:
                    have[ns].discard(ifn)
                    have[f[3]].add(ifn)
            if kind == "addr" and f[3] == "inet6":
                onlink[ns].append((f[4], f[5], f[6]))
    return bad


def gw_ok(gw, a):
    import ipaddress
    addr, peer, plen = a
    g = ipaddress.ip_address(gw)
    if peer and ipaddress.ip_address(peer) == g:
        return True
    return g in ipaddress.ip_network("%s/%s" % (addr, plen or 128), strict=False)


def main(argv):
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["derive", "compare"])
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--host-rc")
    ap.add_argument("--physical", default="")
    ap.add_argument("--local")
    o = ap.parse_args(argv)
    phys = [p for p in o.physical.split(",") if p]
    if o.mode == "derive":
        for c in derive(o.paths[0], o.host_rc, phys):
            print(line_of(c))
        return 0
    plan = plan_cmds(o.paths[0], o.local)
    rc = derive(o.paths[1], o.host_rc, phys)
    pf = set(f for c in plan for f in facts_of(c))
    rf = set(f for c in rc for f in facts_of(c))
    # rc.d/netif clears IFDISABLED before it applies ifconfig_IF_ipv6
    extra = set(f for f in rf - pf if f[0] == "" and f[1] == "flag" and f[3] == "-ifdisabled")
    fails = 0
    missing, more = sorted(pf - rf), sorted(rf - pf - extra)
    if missing or more:
        fails += 1
        print("not ok the boot does what the plan says")
        for f in missing:
            print("#   only in the plan: %s" % (f,))
        for f in more:
            print("#   only at boot: %s" % (f,))
    else:
        print("ok the boot does what the plan says (%d facts)" % len(pf))
    for what, cmds in (("boot", rc), ("plan", plan)):
        bad = order_problems(cmds, phys)
        if bad:
            fails += 1
            print("not ok the %s runs in a working order" % what)
            for b in bad:
                print("#   %s" % b)
        else:
            print("ok the %s runs in a working order (%d commands)" % (what, len(cmds)))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
