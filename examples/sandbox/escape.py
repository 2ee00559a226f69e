# Looks for a way out: the host's files, network and environment are not there.
import os
import socket

print("host secrets visible:", [p for p in ("/etc/shadow", "/root", "/home") if os.path.exists(p)])
print("environment:", sorted(os.environ))
try:
    socket.create_connection(("1.1.1.1", 53), timeout=1)
    print("network: reachable")
except OSError as e:
    print("network:", e.strerror or type(e).__name__)
print("processes visible:", sorted(int(p) for p in os.listdir("/proc") if p.isdigit()))
