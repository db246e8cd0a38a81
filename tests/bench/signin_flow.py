#!/usr/bin/env python3
"""The whole sign-in (issue 19 item 7): authorize -> password sign-in page -> code -> token
exchange (client_secret_basic, PKCE) -> userinfo, as many complete flows as N concurrent
browsers manage in D seconds. Each flow starts without cookies, as a new browser would.
Loopback only, bounded in time.

usage: signin_flow.py BASE_URL CLIENT_ID CLIENT_SECRET REDIRECT_URI EMAIL PASSWORD [CONNS=16] [SECONDS=10]
Prints flows=<n> rate=<flows/s> failures=<n> and the first failure, if any.
With BENCH_REFRESH_TOKENS=<n> instead: n flows (scope offline_access), their refresh tokens
printed one per line (the seed of tests/bench/refresh.lua).
"""
import os
import base64, hashlib, html, http.client, json, re, secrets, sys, threading, time
import urllib.parse

base, client_id, secret, redirect_uri, email, password = sys.argv[1:7]
conns = int(sys.argv[7]) if len(sys.argv) > 7 else 16
seconds = float(sys.argv[8]) if len(sys.argv) > 8 else 10
url = urllib.parse.urlparse(base)
basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()


class Browser:
    def __init__(self):
        self.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        self.cookies = {}

    def request(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.conn.request(method, path, body=body, headers=headers)
        resp = self.conn.getresponse()
        data = resp.read()
        for name, value in resp.getheaders():
            if name.lower() == "set-cookie":
                k, _, v = value.split(";", 1)[0].partition("=")
                self.cookies[k.strip()] = v.strip()
        return resp.status, resp.getheader("Location"), data


def field(page, name):
    m = re.search(r'name="%s"[^>]*value="([^"]*)"' % re.escape(name), page)
    return html.unescape(m.group(1)) if m else None


def local(location):
    parsed = urllib.parse.urlparse(location)
    return parsed.path + ("?" + parsed.query if parsed.query else "")


def one_flow():
    b = Browser()
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = urllib.parse.urlencode({
        "response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri,
        "scope": "openid email offline_access" if want_refresh else "openid email", "state": secrets.token_urlsafe(8), "nonce": secrets.token_urlsafe(8),
        "code_challenge": challenge, "code_challenge_method": "S256",
    })
    status, location, _ = b.request("GET", "/authorize?" + query)
    for _ in range(5):  # to the sign-in page
        if status not in (302, 303) or not location:
            break
        status, location, body = b.request("GET", local(location))
    if status != 200:
        raise RuntimeError(f"sign-in page: {status}")
    page = body.decode()
    form = {"email": email, "password": password, "csrf_token": field(page, "csrf_token") or ""}
    if field(page, "next") is not None:
        form["next"] = field(page, "next")
    status, location, body = b.request(
        "POST", "/login", urllib.parse.urlencode(form),
        {"Content-Type": "application/x-www-form-urlencoded", "Origin": base},
    )
    for _ in range(6):  # back through /authorize to the client's redirect URI
        if status not in (302, 303) or not location:
            raise RuntimeError(f"after sign-in: {status} {body[:200]!r}")
        if location.startswith(redirect_uri):
            break
        status, location, body = b.request("GET", local(location))
    code = urllib.parse.parse_qs(urllib.parse.urlparse(location).query)["code"][0]
    status, _, body = b.request(
        "POST", "/token",
        urllib.parse.urlencode({"grant_type": "authorization_code", "code": code,
                                "redirect_uri": redirect_uri, "code_verifier": verifier}),
        {"Content-Type": "application/x-www-form-urlencoded", "Authorization": "Basic " + basic},
    )
    if status != 200:
        raise RuntimeError(f"token: {status} {body[:200]!r}")
    tokens = json.loads(body)
    if want_refresh:
        return tokens["refresh_token"]
    access = tokens["access_token"]
    status, _, body = b.request("GET", "/userinfo", headers={"Authorization": "Bearer " + access})
    if status != 200 or json.loads(body).get("email") != email:
        raise RuntimeError(f"userinfo: {status} {body[:200]!r}")
    b.conn.close()


want_refresh = int(os.environ.get("BENCH_REFRESH_TOKENS", "0"))
if want_refresh:
    for _ in range(want_refresh):
        print(one_flow())
    sys.exit(0)

stop = time.monotonic() + seconds
counts = {"flows": 0, "failures": 0, "first": None}
lock = threading.Lock()


def worker():
    while time.monotonic() < stop:
        try:
            one_flow()
            with lock:
                counts["flows"] += 1
        except Exception as e:  # counted and reported, the run goes on
            with lock:
                counts["failures"] += 1
                counts["first"] = counts["first"] or repr(e)


started = time.monotonic()
workers = [threading.Thread(target=worker) for _ in range(conns)]
for w in workers:
    w.start()
for w in workers:
    w.join()
elapsed = time.monotonic() - started
print(f"flows={counts['flows']} rate={counts['flows'] / elapsed:.1f} failures={counts['failures']} seconds={elapsed:.1f}")
if counts["first"]:
    print(f"first failure: {counts['first']}")
