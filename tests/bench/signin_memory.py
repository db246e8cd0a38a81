#!/usr/bin/env python3
"""Memory under a sign-in flood (issue 19 item 6): N concurrent failed password sign-ins for D
seconds against a running Gatehouse, sampling the server's VmRSS. Loopback only, bounded in time.

usage: signin_memory.py BASE_URL PID [CONNECTIONS=64] [SECONDS=20] [SETTLE=10]
Prints idle, peak (sampled), end-of-load and settled RSS in MiB and the sign-ins per second.
Raise the sign-in rate limits of the server under test, or most attempts never reach Argon2.
"""
import http.client, json, sys, threading, time, uuid, urllib.parse

base, pid = sys.argv[1], int(sys.argv[2])
conns = int(sys.argv[3]) if len(sys.argv) > 3 else 64
seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 20
settle = float(sys.argv[5]) if len(sys.argv) > 5 else 10
url = urllib.parse.urlparse(base)


def rss_mib():
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return float("nan")


def threads():
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Threads"):
                return int(line.split()[1])
    return 0


stop = time.monotonic() + seconds
counts = {"done": 0, "statuses": {}}
lock = threading.Lock()


def worker():
    c = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    while time.monotonic() < stop:
        body = json.dumps({"email": f"nobody-{uuid.uuid4().hex}@example.com", "password": "wrong password 123"})
        try:
            c.request("POST", "/api/auth/login", body, {"Content-Type": "application/json"})
            r = c.getresponse()
            r.read()
            status = r.status
        except Exception:
            c.close()
            c = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
            status = "error"
        with lock:
            counts["done"] += 1
            counts["statuses"][status] = counts["statuses"].get(status, 0) + 1


idle = rss_mib()
peak = idle
workers = [threading.Thread(target=worker) for _ in range(conns)]
start = time.monotonic()
for w in workers:
    w.start()
while any(w.is_alive() for w in workers):
    peak = max(peak, rss_mib())
    time.sleep(0.1)
elapsed = time.monotonic() - start
end = rss_mib()
peak_threads = threads()
time.sleep(settle)
settled = rss_mib()
print(f"connections={conns} seconds={seconds:.0f} sign-ins={counts['done']} "
      f"rate={counts['done'] / elapsed:.1f}/s statuses={counts['statuses']}")
print(f"rss_idle_mib={idle:.1f} rss_peak_mib={peak:.1f} rss_end_of_load_mib={end:.1f} "
      f"rss_after_{settle:.0f}s_mib={settled:.1f} threads={peak_threads}")
