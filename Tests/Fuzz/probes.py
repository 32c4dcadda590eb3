#!/usr/bin/env python3
"""Hand-written probes of the error contract, run after the fuzzer (issue 6: one error shape).

Each probe sends one request a generator is unlikely to produce (raw HTTP, chunked
bodies, odd methods, huge headers, edge values that once broke the server) and checks
the answer. MUST probes fail the run: a 5xx, a dead server, an error that is not an RFC
9457 problem (application/problem+json with type, title, status and detail), an answer
that is not valid JSON where JSON is promised, or a leak of a file path, SQL or a Swift
type in an error. SHOULD probes print a warning: what HTTP asks for but the run does not
enforce (405 with Allow for a known path, HEAD wherever GET works, a problem body even
for requests the HTTP parser refuses). The probes that once crashed the server run
last, each followed by a liveness check.

Usage: probes.py --base URL --state seed-state.json --webhook-secret SECRET
"""
import argparse
import hashlib
import hmac
import json
import re
import socket
import sys
import time
import uuid
from urllib.parse import urlparse

import requests

FAILURES = []
WARNINGS = []
LEAKS = re.compile(r"/work/|/home/|/tmp/|Sources/|\.swift\b|SQLITE|sqlite3|SELECT |INSERT |GRDB|Swift\.|NIO[A-Z]|Foundation\.|Error Domain|DecodingError|0x[0-9a-f]{8}")
PROBLEM_TYPE = re.compile(r"^https://synclet\.dev/problems/[a-z0-9-]+$")


def problem_issues(status, headers, body, head=False):
    """What is wrong with an error answer, as a list of sentences."""
    issues = []
    media = (headers.get("content-type") or "").split(";")[0].strip().lower()
    if media != "application/problem+json":
        issues.append("content type %r, not application/problem+json" % media)
    if head:
        return issues
    try:
        problem = json.loads(body)
    except ValueError:
        return issues + ["body is not JSON: %r" % body[:200]]
    if not isinstance(problem, dict):
        return issues + ["body is not a JSON object"]
    for member in ("type", "title", "status", "detail"):
        if member not in problem:
            issues.append("no %s member" % member)
    if not PROBLEM_TYPE.match(str(problem.get("type", ""))):
        issues.append("type %r is not a synclet problem URI" % problem.get("type"))
    if problem.get("status") != status:
        issues.append("status member %r differs from HTTP %d" % (problem.get("status"), status))
    if LEAKS.search(body if isinstance(body, str) else body.decode("utf-8", "replace")):
        issues.append("leaks internals: %r" % LEAKS.search(body if isinstance(body, str) else body.decode("utf-8", "replace")).group(0))
    return issues


class Prober:
    def __init__(self, base):
        self.base = base.rstrip("/")
        parsed = urlparse(self.base)
        self.host, self.port = parsed.hostname, parsed.port

    def must(self, name, condition, detail=""):
        if not condition:
            FAILURES.append("%s: %s" % (name, detail))

    def should(self, name, condition, detail=""):
        if not condition:
            WARNINGS.append("%s: %s" % (name, detail))

    def http(self, method, path, key=None, **kwargs):
        headers = dict(kwargs.pop("headers", {}))
        if key:
            headers["Authorization"] = "Bearer " + key
        try:
            return requests.request(method, self.base + path, headers=headers, timeout=30, **kwargs)
        except requests.RequestException as error:
            return error

    def raw(self, payload):
        """Sends raw bytes on a new connection; returns (status, headers, body) or an error string."""
        try:
            with socket.create_connection((self.host, self.port), timeout=10) as connection:
                connection.sendall(payload)
                data = b""
                while True:
                    chunk = connection.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                    if b"\r\n\r\n" in data:
                        head, _, rest = data.partition(b"\r\n\r\n")
                        length = re.search(rb"(?i)content-length:\s*(\d+)", head)
                        if length and len(rest) >= int(length.group(1)):
                            break
        except OSError as error:
            return "connection error: %s" % error
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        if not lines or not lines[0].startswith("HTTP/"):
            return "no HTTP answer: %r" % data[:200]
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return status, headers, body.decode("utf-8", "replace")

    def error(self, name, response, expected=None, must=True, head=False):
        """Checks an error answer: expected status(es), a problem, no 5xx."""
        report = self.must if must else self.should
        if isinstance(response, Exception):
            report(name, False, "no answer: %s" % response)
            return
        if isinstance(response, str):
            report(name, False, response)
            return
        if isinstance(response, tuple):
            status, headers, body = response
        else:
            status, headers, body = response.status_code, response.headers, response.text
        if status >= 500:
            self.must(name, False, "answered %d: %s" % (status, body[:300]))
            return
        if expected is not None:
            allowed = expected if isinstance(expected, (list, tuple, set)) else [expected]
            report(name, status in allowed, "answered %d, expected %s: %s" % (status, "/".join(map(str, allowed)), body[:200]))
        if status >= 400:
            issues = problem_issues(status, headers, body, head=head)
            report(name, not issues, "; ".join(issues))

    def alive(self, after):
        response = self.http("GET", "/health")
        ok = not isinstance(response, Exception) and response.status_code == 200
        self.must("server alive after " + after, ok, "the server no longer answers (it crashed; see its log)")
        return ok


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--state", required=True)
    parser.add_argument("--webhook-secret", required=True)
    args = parser.parse_args()
    with open(args.state) as f:
        state = json.load(f)
    p = Prober(args.base)
    admin, licensee_key = state["admin_key"], state["licensee_key"]
    json_headers = {"Content-Type": "application/json"}

    # Routes and methods.
    p.error("unknown route", p.http("GET", "/no/such/route"), 404)
    p.error("unknown route under /v1", p.http("GET", "/v1/nothing", admin), 404)
    p.error("bad path parameter", p.http("GET", "/v1/parties/%FF%00..%2F", admin), 404)
    p.error("bad path parameter (asset)", p.http("GET", "/v1/assets/ast_", admin), 404)
    wrong_method = p.http("DELETE", "/health")
    p.error("wrong method on a known path", wrong_method, 405)
    p.must("wrong method answers 405 with Allow", not isinstance(wrong_method, Exception) and wrong_method.status_code == 405
             and "allow" in {k.lower() for k in wrong_method.headers}, "DELETE /health answered %s" %
             (getattr(wrong_method, "status_code", wrong_method)))
    p.error("unknown method", p.raw(b"FROB /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), [400, 405, 501], must=False)

    # HEAD: no body, never a 5xx; RFC 9110 expects it wherever GET works.
    for path, key in [("/health", None), ("/openapi.json", None), ("/v1/me", admin),
                      ("/v1/assets/%s/preview" % state["asset"], None), ("/v1/assets/%s/original" % state["asset"], state["composer_key"])]:
        response = p.http("HEAD", path, key)
        p.error("HEAD " + path, response, head=True)
        p.must("HEAD %s works like GET" % path, not isinstance(response, Exception) and response.status_code == 200,
                 "answered %s" % getattr(response, "status_code", response))

    # Bodies.
    p.error("malformed JSON", p.http("POST", "/v1/parties", admin, data=b"{bad", headers=json_headers), 400)
    p.error("JSON of the wrong shape", p.http("POST", "/v1/parties", admin, data=b"[]", headers=json_headers), 400)
    p.error("unknown field", p.http("POST", "/v1/parties", admin, json={"kind": "composer", "display_name": "x", "extra": 1}), 400)
    p.error("wrong content type", p.http("POST", "/v1/parties", admin, data=b"{}", headers={"Content-Type": "text/plain"}), 415)
    p.error("invalid UTF-8", p.http("POST", "/v1/parties", admin, data=b'{"kind":"composer","display_name":"\xff"}', headers=json_headers), 400)
    duplicate = p.http("POST", "/v1/parties", admin, data=b'{"kind":"composer","display_name":"dup","kind":"licensee"}', headers=json_headers)
    p.error("duplicate JSON member is refused", duplicate, 400)
    big = b'{"kind":"composer","display_name":"' + b"a" * (3 << 20) + b'"}'
    p.error("oversized body (Content-Length)", p.http("POST", "/v1/parties", admin, data=big, headers=json_headers), 413)

    def chunks():
        for i in range(0, len(big), 65536):
            yield big[i:i + 65536]

    p.error("oversized chunked body (JSON route)", p.http("POST", "/v1/parties", admin, data=chunks(), headers=json_headers), 413)
    p.error("oversized chunked body (idempotent route)", p.http("POST", "/v1/licenses", licensee_key, data=chunks(),
            headers=dict(json_headers, **{"Idempotency-Key": str(uuid.uuid4())})), 413)
    # Over the 16 MiB usage-batch-max-bytes with fewer than 10,000 events, so only the byte limit applies.
    usage_big = b"[" + b",".join([b'{"pad":"' + b"x" * 2000 + b'"}'] * 9000) + b"]"

    def usage_chunks():
        for i in range(0, len(usage_big), 65536):
            yield usage_big[i:i + 65536]

    p.error("oversized chunked usage batch", p.http("POST", "/v1/usage", licensee_key, data=usage_chunks(), headers=json_headers), 413)

    # Authentication.
    for name, value in [("Basic scheme", "Basic YTpi"), ("empty Bearer", "Bearer"), ("Bearer and space", "Bearer "),
                        ("garbage token", "Bearer syn_x_y"), ("token with spaces", "Bearer syn_ a b"),
                        ("non-ASCII token", "Bearer syn_\u00e9\u00e9_\u00e9")]:
        response = p.http("GET", "/v1/me", headers={"Authorization": value.encode("utf-8").decode("latin-1")})
        p.error("Authorization: " + name, response, 401)
        if not isinstance(response, Exception):
            p.must("Authorization: %s has WWW-Authenticate" % name, "www-authenticate" in {k.lower() for k in response.headers})
    p.error("bad key on a public route", p.http("GET", "/health", "syn_not_a_key"), 401)
    huge = p.raw(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100_000 + b"\r\nConnection: close\r\n\r\n")
    p.error("a 100 KB header", huge, [400, 413, 431], must=False)
    huge_auth = p.http("GET", "/v1/me", headers={"Authorization": "Bearer syn_" + "a" * 20000})
    p.error("a 20 KB Authorization header", huge_auth, [400, 401, 431])

    # JSON that the server writes by hand must stay JSON.
    for payment in ["back\\slash", "line\nbreak", "ctl\u0001", 'q"uote']:
        body = json.dumps({"payment_id": payment, "licensee_id": state["licensee"], "amount_micros": 1}).encode()
        stamp = str(int(time.time()))
        signature = hmac.new(args.webhook_secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        response = p.http("POST", "/v1/webhooks/payments", data=body,
                          headers={"Synclet-Signature": "t=%s,v1=%s" % (stamp, signature), "Content-Type": "application/json"})
        p.error("webhook payment_id %r" % payment, response)
        if not isinstance(response, Exception) and response.status_code == 200:
            try:
                echoed = json.loads(response.text).get("payment_id")
                p.must("webhook answer for payment_id %r" % payment, echoed == payment, "echoes %r" % echoed)
            except ValueError:
                p.must("webhook answer for payment_id %r" % payment, False, "not JSON: %r" % response.text[:200])

    # Times must come back as RFC 3339 (four-digit years), or be refused.
    drop = p.http("POST", "/v1/drops", admin, json={"asset_id": state["asset"], "template": state["template"], "quantity": 1,
                                                    "starts_at": "0000-01-01T00:00:00+23:59", "ends_at": "9999-12-31T23:59:59-23:59"})
    p.error("drop with instants outside years 0000-9999", drop, [201, 400, 422])
    if not isinstance(drop, Exception) and drop.status_code == 201:
        answer = drop.json()
        for member in ("starts_at", "ends_at"):
            p.must("drop %s round trip" % member, re.match(r"^\d{4}-\d\d-\d\dT", answer.get(member, "")),
                   "written back as %r, not RFC 3339" % answer.get(member))

    # The operator's view of a party that does not exist.
    ghost = p.http("GET", "/v1/statements?period=%s&party=pty_00000000000000000000000000" % state["period"], admin)
    p.error("statement of an unknown party", ghost)
    p.must("statement of an unknown party is a 404", getattr(ghost, "status_code", 0) == 404,
             "answered %s" % getattr(ghost, "status_code", ghost))

    # Inputs that once crashed the server: each must get an answer and leave it running.
    if not p.alive("the probes above"):
        return report()
    huge_views = dict(state["use"], expected_views=20_000_000_000_000_000)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 5))
    outside = dict(huge_views, media="ad", paid_ads=True)

    def usage(license_, quantity, count=1):
        return [{"event_id": "probe-" + uuid.uuid4().hex, "license": license_, "kind": "view",
                 "quantity": quantity, "platform": "youtube", "occurred_at": now} for _ in range(count)]

    crashers = [
        ("a quote with 2e16 expected views", "/v1/quotes", {}, {"asset_id": state["asset"], "use": huge_views}),
        ("a license outside its envelope with 2e16 expected views", "/v1/licenses", {"Idempotency-Key": str(uuid.uuid4())},
         {"asset_id": state["asset"], "template": state["template"], "use": outside}),
        ("a usage batch with a string event", "/v1/usage", {}, ["x"]),
        ("a usage batch with null, number and boolean events", "/v1/usage", {}, [None, 1, True]),
        ("a usage event of 1e17 views on a per-view license", "/v1/usage", {}, usage(state["per_view_license"], 10 ** 17)),
        ("two usage events whose views sum past 2^63", "/v1/usage", {}, usage(state["license"], 9 * 10 ** 18, 2)),
    ]
    for name, path, headers, body in crashers:
        p.error(name, p.http("POST", path, licensee_key, json=body, headers=headers), [200, 400, 402, 404, 413, 422])
        if not p.alive(name):
            return report()

    # Extreme integers where a number is read from a header or a query (issue 11).
    payment = json.dumps({"payment_id": "probe", "licensee_id": state["licensee"], "amount_micros": 1})
    for stamp in ["-9223372036854775807", "-9223372036854775808", "9223372036854775807", "99999999999999999999", "-0", "+1", ""]:
        name = "a webhook signed at t=%s" % stamp
        p.error(name, p.http("POST", "/v1/webhooks/payments", data=payment,
                             headers={"Synclet-Signature": "t=%s,v1=00" % stamp, "Content-Type": "application/json"}), 401)
        if not p.alive(name):
            return report()
    for query in ["limit=9223372036854775808", "limit=-9223372036854775808", "bpm_min=99999999999999999999",
                  "bpm_max=-9223372036854775809", "duration_min=9223372036854775807", "duration_max=1e400"]:
        name = "GET /v1/assets?" + query
        p.error(name, p.http("GET", "/v1/assets?" + query, licensee_key), [200, 400])
        if not p.alive(name):
            return report()

    # Odd Unicode: upper case longer than the text (ß, ŉ), ligatures (ﬀ), dotted capitals (İ), combining marks.
    odd = ["\u00df", "\u0149", "\ufb00", "\ufb00m", "\u0130", "A\u0301 minor", "\u0301", "\u01f0", "\u0390", "\U0001F3B5"]
    for text in odd:
        for parameter in ("key", "compatible_with", "q", "composer", "kind"):
            name = "GET /v1/assets?%s=%r" % (parameter, text)
            p.error(name, p.http("GET", "/v1/assets", licensee_key, params={parameter: text}), [200, 400])
            if not p.alive(name):
                return report()
        name = "PATCH an asset's key to %r" % text
        p.error(name, p.http("PATCH", "/v1/assets/" + state["asset"], state["composer_key"], json={"key": text}), [400, 422])
        if not p.alive(name):
            return report()

    # Broken transfer encodings: each a 400 (or a closed connection), never a 5xx.
    head = ("POST /v1/parties HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\n"
            "Connection: close\r\n" % admin).encode()
    broken = [
        ("a chunk size that is not hex", b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"),
        ("a chunk size past 2^64", b"Transfer-Encoding: chunked\r\n\r\nffffffffffffffffffffffff\r\n{}\r\n0\r\n\r\n"),
        ("a negative chunk size", b"Transfer-Encoding: chunked\r\n\r\n-2\r\n{}\r\n0\r\n\r\n"),
        ("a chunk longer than its size", b"Transfer-Encoding: chunked\r\n\r\n1\r\n{}\r\n0\r\n\r\n"),
        ("a chunk without its CRLF", b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}0\r\n\r\n"),
        ("Content-Length beside Transfer-Encoding", b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"),
        ("an unknown transfer coding", b"Transfer-Encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"),
        ("two Content-Lengths that differ", b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}"),
        ("a Content-Length past 2^63", b"Content-Length: 9223372036854775808\r\n\r\n{}"),
        ("a negative Content-Length", b"Content-Length: -1\r\n\r\n{}"),
    ]
    for name, rest in broken:
        answer = p.raw(head + rest)
        if isinstance(answer, tuple):
            p.error(name, answer, [400, 411, 413, 415, 422, 501])
        if not p.alive(name):
            return report()
    return report()


def report():
    print("probes: %d failures, %d warnings" % (len(FAILURES), len(WARNINGS)))
    for warning in WARNINGS:
        print("PROBE WARNING: " + warning)
    for failure in FAILURES:
        print("PROBE FAILURE: " + failure)
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
