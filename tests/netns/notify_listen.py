#!/usr/bin/env python3
"""The service manager's side of sd_notify for t_units.sh: bind a datagram
socket (a path, or an abstract name given as @NAME), run the command with
NOTIFY_SOCKET naming it, and print one line per event, bounded in time:
  pid PID | ready SECONDS | status CapBnd=HEX NoNewPrivs=N | watchdog N |
  stopping | exit CODE | timeout WHAT
After READY=1 and two WATCHDOG=1 it sends SIGTERM and waits for the exit.
  notify_listen.py SOCKET TIMEOUT_S COMMAND [ARG...]"""
import os, signal, socket, subprocess, sys, time

name, limit, cmd = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + name[1:] if name.startswith("@") else name)
env = dict(os.environ, NOTIFY_SOCKET=name)
t0 = time.monotonic()
p = subprocess.Popen(cmd, env=env)
print("pid", p.pid, flush=True)
ready, dogs, stopping = False, 0, False
deadline = t0 + limit
while time.monotonic() < deadline and p.poll() is None:
    s.settimeout(max(0.05, min(0.5, deadline - time.monotonic())))
    try:
        msg = s.recv(4096).decode()
    except socket.timeout:
        continue
    for line in msg.split("\n"):
        if line == "READY=1" and not ready:
            ready = True
            print("ready %.1f" % (time.monotonic() - t0), flush=True)
            with open("/proc/%d/status" % p.pid) as f:
                st = dict(l.split(":", 1) for l in f if ":" in l)
            print("status CapBnd=%s NoNewPrivs=%s" % (st["CapBnd"].strip(), st["NoNewPrivs"].strip()), flush=True)
        elif line == "WATCHDOG=1" and ready:
            dogs += 1
        elif line == "STOPPING=1":
            stopping = True
    if ready and dogs >= 2:
        break
print("watchdog", dogs, flush=True)
if p.poll() is None:
    if not ready:
        print("timeout ready", flush=True)
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        print("timeout exit", flush=True)
        p.kill()
        p.wait()
s.settimeout(0.5)
try:
    while True:
        if "STOPPING=1" in s.recv(4096).decode().split("\n"):
            stopping = True
except (socket.timeout, BlockingIOError):
    pass
if stopping:
    print("stopping", flush=True)
print("exit", p.returncode, flush=True)
