#!/usr/bin/env python3
"""Synclet crash test: kill -9 the server under load, again and again, and check that
nothing acknowledged was lost.

A mixed load runs against a real `synclet serve` (tus uploads that become assets, some
abandoned halfway; license purchases with Idempotency-Key; usage batches from a licensee
and a platform reporter, with replays and reversals; wallet grants and signed payment
webhooks). After a random moment the server gets SIGKILL. While it is down the database
is opened read-only with the sqlite3 CLI:

  * PRAGMA integrity_check is ok, foreign keys hold;
  * the ledger sums to zero, every balance equals its transfers and period totals, every
    license, grant and payment has exactly the transfers it should, usage transfers add up
    to the charges of the accepted events, and the licensee's wallet to its business facts;
  * every acknowledged write is there: assets (with their SHA-256), publications,
    licenses, usage events (with their status), grants, payments, upload bytes;
  * every asset's file is a complete content-addressed blob (no temp file is visible as
    an asset), and the bytes of each open upload are the bytes that were sent.

Then the server is started again on the same folder and port, and checked over HTTP:
leftover temp files are gone, acknowledged assets download with the right SHA-256,
licenses read back and their keys verify, replayed usage events answer "duplicate" and
change no balance, a replayed purchase returns the first answer byte for byte, requests
that were in flight at the kill are retried (committed ones must answer as the same
write), and open uploads resume from their offset. Standard library only.

  python3 Tests/Crash/crash_test.py                 50 kills, release build if present
  python3 Tests/Crash/crash_test.py --kills 5 --binary .build/debug/synclet
  python3 Tests/Crash/crash_test.py --kills 50 --keep-going --json    count every violation
"""

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
TUS = "1.0.0"
WEBHOOK_SECRET = "crash-test-webhook-secret"
# Uses inside every template we buy, so purchases are never refused for their envelope.
USE = {"platform": "youtube", "media": "short_form", "clip_seconds": 30, "expected_views": 1000,
       "term_days": 30, "territory": "US", "monetized": True, "paid_ads": False}
TEMPLATES = ["social-clip", "creator-standard", "subscription-pool"]
# Seconds of load before each kill.
LOAD_SECONDS_MIN, LOAD_SECONDS_MAX = 0.2, 2.5
# Seconds to wait for the server to say it listens.
START_SECONDS_MAX = 30
# Long enough that no upload the test tracks expires between a kill and its check.
UPLOAD_IDLE_SECONDS = 3600
# Online checks per restart (the public verify routes allow a burst of 60 per address).
VERIFY_KEYS_PER_RESTART, VERIFY_CODES_PER_RESTART = 20, 10
OLD_SAMPLE_PER_RESTART = 10
PURCHASE_REPLAYS_PER_RESTART = 5
EVENT_REPLAYS_PER_RESTART = 2000


class Lost(Exception):
    """No complete answer: the request may or may not have taken effect."""

    def __init__(self, message, sent=True):
        super().__init__(message)
        self.sent = sent  # False when the connection was refused: nothing reached the server


def http_call(base, method, path, token=None, body=None, headers=None, timeout=60):
    """One HTTP exchange; returns (status, headers, body bytes) for any answer, raises Lost."""
    request = urllib.request.Request(base + path, data=body, method=method)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with OPENER.open(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        try:
            return error.code, error.headers, error.read()
        except (OSError, http.client.HTTPException) as inner:
            raise Lost(f"{method} {path}: answer cut off: {inner}") from inner
    except urllib.error.URLError as error:
        refused = isinstance(error.reason, ConnectionRefusedError)
        raise Lost(f"{method} {path}: {error.reason}", sent=not refused) from error
    except (OSError, http.client.HTTPException) as error:
        raise Lost(f"{method} {path}: {type(error).__name__}: {error}") from error


def now_rfc3339():
    now = datetime.now(timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def wav_data_range(data):
    """(start, length) of the PCM samples of a RIFF/WAVE file."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a WAV file")
    index = 12
    while index + 8 <= len(data):
        chunk, size = data[index:index + 4], int.from_bytes(data[index + 4:index + 8], "little")
        if chunk == b"data":
            return index + 8, size
        index += 8 + size + (size & 1)
    raise ValueError("WAV file without a data chunk")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """One `synclet serve` process at a time on a fixed folder and port."""

    def __init__(self, binary, storage, port, logs):
        self.binary, self.storage, self.port, self.logs = binary, storage, port, logs
        self.process = None
        self.starts = 0
        self.base = f"http://127.0.0.1:{port}"

    def start(self):
        """Starts and waits for the listening line; returns the start's log text."""
        log_path = self.logs / f"serve-{self.starts:03d}.log"
        environment = dict(os.environ, SYNCLET_PAYMENT_WEBHOOK_SECRET=WEBHOOK_SECRET)
        with open(log_path, "wb") as log:
            self.process = subprocess.Popen(
                [str(self.binary), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--storage", str(self.storage),
                 "--licenses", str(REPO / "Licenses"), "--log-level", "notice", "--upload-idle-seconds", str(UPLOAD_IDLE_SECONDS)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=environment, start_new_session=True)
        self.starts += 1
        started = time.monotonic()
        while time.monotonic() - started < START_SECONDS_MAX:
            text = log_path.read_text(errors="replace")
            if "listening on" in text:
                return text, time.monotonic() - started
            if self.process.poll() is not None:
                break
            time.sleep(0.01)
        tail = log_path.read_text(errors="replace")[-2000:]
        self.stop()
        raise RuntimeError(f"the server did not start (exit {self.process.returncode}); {log_path}:\n{tail}")

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def kill9(self):
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self):
        """Graceful stop (SIGTERM), SIGKILL after ten seconds."""
        if not self.alive():
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill9()


class Upload:
    """An upload the test created: its bytes and how far the server acknowledged them."""

    def __init__(self, upload_id, data, title, composer):
        self.id, self.data, self.title, self.composer = upload_id, data, title, composer
        self.sha256 = sha256_hex(data)
        self.acked = 0           # offset of the last acknowledged PATCH
        self.sent_upto = 0       # highest offset a PATCH in flight could have reached
        self.state = "open"      # open | abandoned | creating (POST /v1/assets in flight)


class CrashTest:
    def __init__(self, args):
        self.args = args
        self.seed = args.seed
        self.rng = random.Random(self.seed)
        self.run_id = f"{self.seed:x}"
        self.work = Path(tempfile.mkdtemp(prefix="synclet-crash-"))
        self.storage = Path(args.storage).resolve() if args.storage else self.work / "Storage"
        self.database = self.storage / "synclet.sqlite"
        self.logs = self.work / "logs"
        self.logs.mkdir()
        self.out = sys.stderr if args.json else sys.stdout
        self.server = Server(args.binary, self.storage, free_port(), self.logs)
        self.lock = threading.Lock()
        self.stop_load = threading.Event()
        self.killing = threading.Event()
        self.counter = 0
        self.cycle = 0
        # What the server acknowledged (2xx received), and what was in flight at a kill.
        self.assets = {}          # id -> {sha256, size, title, composer, published, cycle}
        self.uploads = {}         # id -> Upload (not yet an asset)
        self.licenses = {}        # id -> {key, body, answer, code, token, template, cycle}
        self.license_list = []
        self.published = []       # asset ids acknowledged as published
        self.events = {}          # (reporter party id, event_id) -> {status, body, cycle, reporter, license}
        self.accepted_by_reporter = {}  # reporter party id -> [event ids accepted, reversible]
        self.event_ids_by_reporter = {}
        self.not_reversible = set()
        self.grants = {}          # idempotency key -> {transfer_id, amount, body}
        self.payments = {}        # payment id -> amount
        self.in_flight = []       # [{kind, ...}]
        self.cycle_new = {"assets": [], "licenses": [], "events": []}
        self.counts = Counter()
        self.violations = []
        self.verified_blobs = set()
        self.snapshot = {}

    # ---------------------------------------------------------------- bookkeeping

    def say(self, text):
        print(text, file=self.out, flush=True)

    def fail(self, message):
        with self.lock:
            self.violations.append(f"cycle {self.cycle}: {message}")
        self.say(f"  VIOLATION: {message}")

    def next_id(self, prefix):
        with self.lock:
            self.counter += 1
            return f"{prefix}-{self.run_id}-{self.counter}"

    def call(self, method, path, token=None, body=None, headers=None, json_body=None):
        if json_body is not None:
            body = json.dumps(json_body, sort_keys=True).encode()
            headers = dict(headers or {}, **{"Content-Type": "application/json"})
        with self.lock:
            self.counts["requests"] += 1
        return http_call(self.server.base, method, path, token, body, headers)

    def expect(self, what, status, body, *wanted):
        """Records a violation (and raises) for an answer other than the ones wanted."""
        if status not in wanted:
            message = f"{what} answered {status} (wanted {'/'.join(map(str, wanted))}): {body[:400].decode(errors='replace')}"
            self.fail(message)
            raise AssertionError(message)

    def lost(self, error, kind, **info):
        """A request without an answer: during a kill it is in flight, otherwise a failure."""
        if not self.killing.is_set():
            raise error
        with self.lock:
            if error.sent:
                self.counts[f"lost in flight: {kind}"] += 1
                self.counts["lost in flight"] += 1
                if info:
                    self.in_flight.append(dict(info, kind=kind))
            else:
                self.counts["refused after the kill"] += 1
        raise error

    # ---------------------------------------------------------------- setup

    def setup(self):
        if self.storage.exists() and any(self.storage.iterdir()):
            raise SystemExit(f"--storage {self.storage} is not empty: the test needs a fresh folder (the operator key is shown on the first start only).")
        text, seconds = self.server.start()
        self.counts["server starts"] += 1
        match = re.search(r"syn_[a-z0-9_]+", text)
        if not match or "First start" not in text:
            raise RuntimeError(f"the first start printed no operator key:\n{text}")
        self.admin = match.group(0)
        self.composers = []
        for index in range(2):
            party, token = self.create_party("composer", f"Crash composer {index + 1}")
            self.composers.append({"id": party, "token": token})
        self.licensee, self.licensee_token = self.create_party("licensee", "Crash licensee")
        self.reporter, self.reporter_token = self.create_party("reporter", "Crash platform")
        status, _, body = self.call("PUT", f"/v1/reporters/{self.reporter}/platforms", self.admin, json_body={"platforms": ["youtube"]})
        self.expect("register reporter platforms", status, body, 200)
        self.grant(900_000 * 1_000_000)
        self.fixtures = []
        for seconds, frequency in [(0.2, 220), (0.5, 440), (1.0, 880)]:
            path = self.work / f"tone-{seconds}.wav"
            subprocess.run([str(self.args.binary), "tone", "--seconds", str(seconds), "--frequency", str(frequency),
                            "--format", "wav16", "--output", str(path)], check=True, capture_output=True)
            data = path.read_bytes()
            wav_data_range(data)
            self.fixtures.append(data)
        for index in range(len(self.composers)):
            self.upload_one(index, publish=True, abandon=False)
        for template in TEMPLATES:
            self.purchase(template=template)
        self.cycle_new = {"assets": [], "licenses": [], "events": []}

    def create_party(self, kind, name):
        status, _, body = self.call("POST", "/v1/parties", self.admin, json_body={"kind": kind, "display_name": name})
        self.expect(f"create {kind}", status, body, 201)
        party = json.loads(body)["id"]
        status, _, body = self.call("POST", f"/v1/parties/{party}/keys", self.admin, json_body={"label": "crash test"})
        self.expect(f"key for {kind}", status, body, 201)
        return party, json.loads(body)["token"]

    # ---------------------------------------------------------------- load: uploads

    def make_file(self, rng):
        data = bytearray(rng.choice(self.fixtures))
        start, length = wav_data_range(data)
        nonce = hashlib.sha256(self.next_id("file").encode()).digest()
        position = start + (rng.randrange(0, length - len(nonce)) & ~3)
        data[position:position + len(nonce)] = nonce
        return bytes(data)

    def upload_one(self, composer, publish=None, abandon=None, rng=None):
        rng = rng or self.rng
        token = self.composers[composer]["token"]
        data = self.make_file(rng)
        title = self.next_id("Crash take")
        metadata = "filename " + base64.b64encode(f"{title}.wav".encode()).decode()
        try:
            status, headers, body = self.call("POST", "/v1/uploads", token, headers={
                "Tus-Resumable": TUS, "Upload-Length": str(len(data)), "Upload-Metadata": metadata})
        except Lost as error:
            self.lost(error, "upload creation")
        self.expect("POST /v1/uploads", status, body, 201)
        upload = Upload(headers["Location"].rsplit("/", 1)[1], data, title, composer)
        with self.lock:
            self.uploads[upload.id] = upload
            self.counts["acknowledged upload creations"] += 1
        abandon = rng.random() < 0.12 if abandon is None else abandon
        if abandon:
            cuts = [rng.randrange(1, len(data))]
        else:
            pieces = rng.randint(1, 4)
            cuts = sorted(set(rng.sample(range(1, len(data)), pieces - 1))) + [len(data)]
        for cut in cuts:
            self.patch(upload, cut)
        if abandon:
            upload.state = "abandoned"
            with self.lock:
                self.counts["uploads abandoned halfway"] += 1
            return
        asset_id = self.create_asset(upload)
        if publish is None:
            publish = rng.random() < 0.6
        if publish:
            self.publish(upload.composer, asset_id)

    def patch(self, upload, cut):
        token = self.composers[upload.composer]["token"]
        upload.sent_upto = cut
        try:
            status, headers, body = self.call("PATCH", f"/v1/uploads/{upload.id}", token, body=upload.data[upload.acked:cut], headers={
                "Tus-Resumable": TUS, "Upload-Offset": str(upload.acked), "Content-Type": "application/offset+octet-stream"})
        except Lost as error:
            self.lost(error, "upload PATCH")
        self.expect(f"PATCH {upload.id}", status, body, 204)
        if headers["Upload-Offset"] != str(cut):
            self.fail(f"PATCH {upload.id} to {cut} answered Upload-Offset {headers['Upload-Offset']}")
        with self.lock:
            self.counts["acknowledged PATCH bytes"] += cut - upload.acked
            self.counts["acknowledged PATCHes"] += 1
        upload.acked = cut

    def create_asset(self, upload):
        token = self.composers[upload.composer]["token"]
        upload.state = "creating"
        request = {"upload_id": upload.id, "kind": "loop", "title": upload.title, "tags": ["crash"], "bpm": 120}
        try:
            status, _, body = self.call("POST", "/v1/assets", token, json_body=request)
        except Lost as error:
            self.lost(error, "asset creation")
        self.expect(f"POST /v1/assets for {upload.id}", status, body, 201)
        asset = json.loads(body)
        file = asset.get("file") or {}
        if file.get("sha256") != upload.sha256 or file.get("byte_count") != len(upload.data):
            self.fail(f"asset {asset['id']} from {upload.id} says {file}, but the upload was {len(upload.data)} bytes with SHA-256 {upload.sha256}")
        self.acknowledge_asset(asset["id"], upload)
        return asset["id"]

    def acknowledge_asset(self, asset_id, upload):
        with self.lock:
            self.uploads.pop(upload.id, None)
            self.assets[asset_id] = {"sha256": upload.sha256, "size": len(upload.data), "title": upload.title,
                                     "composer": upload.composer, "published": False, "cycle": self.cycle}
            self.cycle_new["assets"].append(asset_id)
            self.counts["acknowledged assets"] += 1

    def publish(self, composer, asset_id, retry=False):
        token = self.composers[composer]["token"]
        try:
            status, _, body = self.call("POST", f"/v1/assets/{asset_id}/publish", token)
        except Lost as error:
            if error.sent:
                self.assets[asset_id]["publish_lost"] = True
            self.lost(error, "publish")
        if retry and status == 409:
            return  # it was published before the kill
        self.expect(f"publish {asset_id}", status, body, 200)
        if json.loads(body)["status"] != "published":
            self.fail(f"publish {asset_id} answered status {json.loads(body)['status']}")
        with self.lock:
            self.assets[asset_id]["published"] = True
            self.published.append(asset_id)
            self.counts["acknowledged publications"] += 1

    # ---------------------------------------------------------------- load: money

    def purchase(self, template=None, rng=None, key=None, request=None):
        rng = rng or self.rng
        if request is None:
            with self.lock:
                asset = rng.choice(self.published)
            request = {"asset_id": asset, "template": template or rng.choice(TEMPLATES), "use": USE}
            if rng.random() < 0.3:
                request["channels"] = [{"platform": "youtube", "channel_id": f"UC-crash-{rng.randint(1, 9)}"}]
        key = key or self.next_id("buy")
        body = json.dumps(request, sort_keys=True).encode()
        try:
            status, _, answer = self.call("POST", "/v1/licenses", self.licensee_token, body=body,
                                          headers={"Idempotency-Key": key, "Content-Type": "application/json"})
        except Lost as error:
            self.lost(error, "license purchase", key=key, request=request)
        self.expect("POST /v1/licenses", status, answer, 201)
        license = json.loads(answer)
        with self.lock:
            if license["id"] not in self.licenses:
                self.license_list.append(license["id"])
                self.cycle_new["licenses"].append(license["id"])
            self.licenses[license["id"]] = {"key": key, "body": body, "answer": answer, "code": license["code"],
                                            "token": license["key"], "template": license["template"], "cycle": self.cycle}
            self.counts["acknowledged licenses"] += 1
        return license["id"]

    def replay_purchase(self, license_id):
        """The same Idempotency-Key and body again: the first answer, byte for byte."""
        with self.lock:
            first = self.licenses[license_id]
        try:
            status, _, answer = self.call("POST", "/v1/licenses", self.licensee_token, body=first["body"],
                                          headers={"Idempotency-Key": first["key"], "Content-Type": "application/json"})
        except Lost as error:
            self.lost(error, "purchase replay")
        self.expect(f"replay of purchase {first['key']}", status, answer, 201)
        if answer != first["answer"]:
            self.fail(f"replay of purchase {first['key']} answered {answer[:200]!r}, not the first answer {first['answer'][:200]!r}")
        with self.lock:
            self.counts["purchase replays answered the first answer"] += 1

    def grant(self, amount, key=None):
        key = key or self.next_id("grant")
        request = {"amount_micros": amount, "note": "crash test"}
        try:
            status, _, body = self.call("POST", f"/v1/wallets/{self.licensee}/grants", self.admin,
                                        json_body=request, headers={"Idempotency-Key": key})
        except Lost as error:
            self.lost(error, "grant", key=key, amount=amount)
        self.expect("grant", status, body, 201)
        answer = json.loads(body)
        with self.lock:
            self.grants[key] = {"transfer_id": answer["transfer_id"], "amount": amount}
            self.counts["acknowledged grants"] += 1
        return answer["transfer_id"]

    def payment(self, amount, payment_id=None, retry=False):
        payment_id = payment_id or self.next_id("pay")
        body = json.dumps({"payment_id": payment_id, "licensee_id": self.licensee, "amount_micros": amount}).encode()
        stamp = int(time.time())
        signature = hmac.new(WEBHOOK_SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
        try:
            status, _, answer = self.call("POST", "/v1/webhooks/payments", body=body, headers={
                "Content-Type": "application/json", "Synclet-Signature": f"t={stamp},v1={signature}"})
        except Lost as error:
            self.lost(error, "payment webhook", payment_id=payment_id, amount=amount)
        self.expect("payment webhook", status, answer, 200)
        result = json.loads(answer)["status"]
        if not retry and result != "credited":
            self.fail(f"payment {payment_id}, sent once, answered {result}")
        with self.lock:
            self.payments[payment_id] = amount
            self.counts["acknowledged payments"] += 1
        return result

    # ---------------------------------------------------------------- load: usage

    def usage_event(self, rng, license_id):
        with self.lock:
            license = self.licenses[license_id]
        reference = rng.choice([license_id, license["code"], license["token"]])
        kind, quantity = ("use", rng.randint(1, 3)) if license["template"] == "subscription-pool" else ("view", rng.randint(1, 2000))
        return {"event_id": self.next_id("evt"), "license": reference, "kind": kind, "quantity": quantity,
                "platform": "youtube", "channel_id": f"UC-crash-{rng.randint(1, 9)}", "video_id": f"v{rng.randint(1, 99)}",
                "country": "US", "occurred_at": now_rfc3339()}

    def report(self, rng):
        reporter, token = rng.choice([(self.licensee, self.licensee_token), (self.reporter, self.reporter_token)])
        with self.lock:
            licenses = list(self.license_list)
            mine = [event_id for event_id in self.accepted_by_reporter.get(reporter, []) if event_id not in self.not_reversible]
            known = self.event_ids_by_reporter.get(reporter, []) if rng.random() < 0.2 else []
            known = rng.sample(known, min(len(known), 5))
        size = rng.choice([1, 10, 50, 200])
        events = [self.usage_event(rng, rng.choice(licenses)) for _ in range(size)]
        expected = ["new"] * size
        for event_id in known:
            events.append(self.events[(reporter, event_id)]["body"])
            expected.append("duplicate")
        if mine and rng.random() < 0.15:
            original = self.events[(reporter, rng.choice(mine))]["body"]
            events.append({"event_id": self.next_id("rev"), "license": original["license"], "kind": original["kind"],
                           "quantity": original["quantity"], "platform": "youtube", "occurred_at": now_rfc3339(),
                           "reverses": original["event_id"]})
            expected.append("reversal")
            with self.lock:
                self.not_reversible.add(original["event_id"])
        self.send_usage(reporter, token, events, expected, ndjson=rng.random() < 0.5)

    def send_usage(self, reporter, token, events, expected, ndjson, retry_of=None):
        if ndjson:
            body, content_type = "\n".join(json.dumps(event) for event in events).encode(), "application/x-ndjson"
        else:
            body, content_type = json.dumps(events).encode(), "application/json"
        try:
            status, _, answer = self.call("POST", "/v1/usage", token, body=body, headers={"Content-Type": content_type})
        except Lost as error:
            self.lost(error, "usage batch", reporter=reporter, token=token, events=events, expected=expected, ndjson=ndjson)
        self.expect("POST /v1/usage", status, answer, 200)
        results = json.loads(answer)["results"]
        if len(results) != len(events):
            self.fail(f"a usage batch of {len(events)} events answered {len(results)} results")
            return
        for event, want, result in zip(events, expected, results):
            got = result["status"]
            ok = {"new": got in ("accepted", "flagged"), "duplicate": got == "duplicate",
                  "reversal": got == "accepted"}[want]
            if not ok:
                self.fail(f"usage event {event['event_id']} ({want}{', retried after a kill' if retry_of else ''}) answered {result}")
                continue
            if want == "duplicate":
                with self.lock:
                    self.counts["usage replays answered duplicate"] += 1
                continue
            with self.lock:
                stored = "reversal" if want == "reversal" else got
                self.events[(reporter, event["event_id"])] = {"status": stored, "body": event, "cycle": self.cycle}
                self.cycle_new["events"].append((reporter, event["event_id"]))
                self.event_ids_by_reporter.setdefault(reporter, []).append(event["event_id"])
                self.counts["acknowledged usage events"] += 1
                self.counts[f"acknowledged usage events: {stored}"] += 1
                if stored == "accepted":
                    self.accepted_by_reporter.setdefault(reporter, []).append(event["event_id"])
        return results

    # ---------------------------------------------------------------- load: the workers

    def uploader(self, index, rng):
        self.upload_one(index, rng=rng)

    def buyer(self, rng):
        roll = rng.random()
        if roll < 0.04:
            self.grant(rng.randint(1, 50) * 1_000_000)
        elif roll < 0.08:
            self.payment(rng.randint(1, 50) * 1_000_000)
        elif roll < 0.16:
            with self.lock:
                license_id = rng.choice(self.license_list)
            self.replay_purchase(license_id)
        else:
            self.purchase(rng=rng)

    def worker(self, name, step, rng):
        while not self.stop_load.is_set():
            try:
                step(rng)
            except Lost as error:
                if not self.killing.is_set():
                    alive = self.server.alive()
                    self.fail(f"{name}: {error} while the server was {'up' if alive else 'gone (it died on its own)'}")
                return
            except AssertionError:
                return  # already recorded as a violation
            except Exception:
                self.fail(f"{name} crashed: {traceback.format_exc()}")
                return

    def load_and_kill(self):
        seconds = self.rng.uniform(LOAD_SECONDS_MIN, LOAD_SECONDS_MAX)
        self.stop_load.clear()
        self.killing.clear()
        steps = [("uploader 1", lambda rng: self.uploader(0, rng)), ("uploader 2", lambda rng: self.uploader(1, rng)),
                 ("buyer", self.buyer), ("reporter", self.report)]
        threads = [threading.Thread(target=self.worker, args=(name, step, random.Random(f"{self.seed}-{self.cycle}-{name}")),
                                    name=name, daemon=True) for name, step in steps]
        for thread in threads:
            thread.start()
        if self.cycle % 5 == 1:
            # A second server on the same folder, during the load: it must refuse to start (naming
            # the pid that holds the folder) before it sweeps or opens anything; the checks after
            # this cycle's kill then find every acknowledged write still there.
            time.sleep(seconds / 2)
            self.second_start()
            time.sleep(seconds / 2)
        else:
            time.sleep(seconds)
        self.killing.set()
        if not self.server.alive():
            self.fail("the server exited on its own during the load")
        else:
            self.server.kill9()
            self.counts["kills"] += 1
        self.stop_load.set()
        for thread in threads:
            thread.join(timeout=120)
            if thread.is_alive():
                self.fail(f"worker {thread.name} is still waiting two minutes after the kill")
        return seconds

    def start_without_database(self):
        """The database file moved away (as if deleted): the start must be refused and no file
        of the folder removed; with the file back, the server starts and finds everything."""
        files_before = sorted(str(path.relative_to(self.storage)) for path in self.storage.rglob("*") if path.is_file())
        aside = self.work / "database-aside"
        aside.mkdir(exist_ok=True)
        moved = []
        for suffix in ("", "-wal", "-shm"):
            path = self.storage / f"synclet.sqlite{suffix}"
            if path.exists():
                path.rename(aside / path.name)
                moved.append(path.name)
        log_path = self.logs / "start-without-database.log"
        returncode = None
        try:
            with open(log_path, "wb") as log:
                returncode = subprocess.run(
                    [str(self.args.binary), "serve", "--host", "127.0.0.1", "--port", str(free_port()), "--storage", str(self.storage),
                     "--licenses", str(REPO / "Licenses")], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                    timeout=START_SECONDS_MAX).returncode
        except subprocess.TimeoutExpired:
            pass  # it started: refused below (the child was killed by the timeout)
        finally:
            for name in ("synclet.sqlite", "synclet.sqlite-wal", "synclet.sqlite-shm"):
                (self.storage / name).unlink(missing_ok=True)  # the empty database the refused start opened
            for name in moved:
                (aside / name).rename(self.storage / name)
        text = log_path.read_text(errors="replace")
        process = type("Run", (), {"returncode": returncode if returncode is not None else 0})
        files_after = sorted(str(path.relative_to(self.storage)) for path in self.storage.rglob("*") if path.is_file())
        if process.returncode == 0 or "new or empty" not in text:
            self.fail(f"a start without the database was not refused (exit {process.returncode}): {text[-400:]}")
        elif set(files_before) - set(files_after):
            lost = sorted(set(files_before) - set(files_after))
            self.fail(f"a start without the database removed {len(lost)} files of the folder, e.g. {lost[:3]}")
        else:
            self.counts["starts without the database refused"] += 1
        self.say(f"  start without the database: refused (exit {process.returncode}), {len(files_before)} files untouched")

    def second_start(self):
        log_path = self.logs / f"second-start-{self.cycle:03d}.log"
        with open(log_path, "wb") as log:
            second = subprocess.Popen(
                [str(self.args.binary), "serve", "--host", "127.0.0.1", "--port", str(free_port()), "--storage", str(self.storage),
                 "--licenses", str(REPO / "Licenses")],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            code = second.wait(timeout=START_SECONDS_MAX)
        except subprocess.TimeoutExpired:
            second.kill()
            second.wait()
            self.fail("a second server on the same folder started (it was still running after the start deadline)")
            return
        text = log_path.read_text(errors="replace")
        if code == 0 or "already serving this storage folder" not in text or str(self.server.process.pid) not in text:
            self.fail(f"a second server on the same folder was not refused as it should be (exit {code}): {text[-500:]}")
        else:
            self.counts["second starts refused"] += 1

    # ---------------------------------------------------------------- offline checks (server down)

    def sql(self, query):
        result = subprocess.run(["sqlite3", "-readonly", "-bail", "-json", str(self.database), query],
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"sqlite3 failed on {query[:80]}…: {result.stderr.strip()}")
        return json.loads(result.stdout) if result.stdout.strip() else []

    def scalar(self, query):
        rows = self.sql(query)
        return next(iter(rows[0].values())) if rows else None

    def offline_checks(self):
        """While the server is down: the files and the database as the crash left them."""
        integrity = [row["integrity_check"] for row in self.sql("PRAGMA integrity_check")]
        if integrity != ["ok"]:
            self.fail(f"PRAGMA integrity_check: {integrity[:10]}")
        broken = self.sql("PRAGMA foreign_key_check")
        if broken:
            self.fail(f"PRAGMA foreign_key_check: {broken[:5]}")
        self.check_ledger()
        self.check_acknowledged_rows()
        self.check_files()

    def check_ledger(self):
        total = self.scalar("SELECT coalesce(sum(balance_micros), 0) AS s FROM ledger_balance")
        if total != 0:
            self.fail(f"the ledger's balances sum to {total} µ, not 0")
        checks = {
            "balances that differ from their transfers or period totals": """
                SELECT count(*) AS n FROM ledger_balance b WHERE b.balance_micros !=
                    coalesce((SELECT sum(amount_micros) FROM ledger_transfer WHERE credit_account = b.account_id), 0)
                  - coalesce((SELECT sum(amount_micros) FROM ledger_transfer WHERE debit_account = b.account_id), 0)
                   OR b.balance_micros != coalesce((SELECT sum(in_micros - out_micros) FROM ledger_period_total WHERE account_id = b.account_id), 0)""",
            # (Transfers caused by a license are originals: a revocation's reversals name their own cause.)
            "licenses whose charge is not fully booked": """
                WITH booked AS MATERIALIZED (SELECT cause_id, sum(amount_micros) AS charged,
                        sum(CASE WHEN reason = 'license.fee' THEN amount_micros ELSE 0 END) AS fee
                    FROM ledger_transfer WHERE cause_type = 'license' GROUP BY cause_id)
                SELECT count(*) AS n FROM license l LEFT JOIN booked b ON b.cause_id = l.id
                 WHERE l.price_micros != coalesce(b.charged, 0) OR l.fee_micros != coalesce(b.fee, 0)""",
            "license transfers without their license": """
                SELECT count(*) AS n FROM ledger_transfer t WHERE t.cause_type = 'license'
                   AND NOT EXISTS (SELECT 1 FROM license l WHERE l.id = t.cause_id)""",
            "licenses without their stored first answer": """
                SELECT count(*) AS n FROM license l WHERE l.id NOT IN
                    (SELECT json_extract(response, '$.id') FROM idempotency WHERE route = 'POST /v1/licenses')""",
            # Usage may be booked per event or per statement line of a batch (a cause id "first...last"),
            # so usage money is checked in total: what the transfers moved for usage, net of
            # reversals, is what the accepted events that were not reversed were charged.
            "µ of difference between usage transfers and the charges of accepted, unreversed events": """
                SELECT (SELECT coalesce(sum(amount_micros), 0) FROM ledger_transfer WHERE reason IN ('usage.fee', 'usage.share'))
                     - (SELECT coalesce(sum(amount_micros), 0) FROM ledger_transfer WHERE reason = 'usage.reversal')
                     - (SELECT coalesce(sum(e.charged_micros), 0) FROM usage_event e WHERE e.status = 'accepted'
                          AND NOT EXISTS (SELECT 1 FROM usage_event r WHERE r.reverses_seq = e.seq)) AS n""",
            "usage transfers whose (first) event is missing": """
                SELECT count(*) AS n FROM ledger_transfer t WHERE t.cause_type IN ('usage', 'usage-reversal')
                   AND NOT EXISTS (SELECT 1 FROM usage_event e WHERE e.seq = CAST(t.cause_id AS INTEGER))""",
            "payments not credited exactly once": """
                SELECT count(*) AS n FROM payment p WHERE p.amount_micros != coalesce((SELECT sum(amount_micros)
                    FROM ledger_transfer t WHERE t.cause_type = 'payment' AND t.cause_id = p.id), 0)""",
            "payment transfers without their payment": """
                SELECT count(*) AS n FROM ledger_transfer t WHERE t.cause_type = 'payment'
                   AND NOT EXISTS (SELECT 1 FROM payment p WHERE p.id = t.cause_id)""",
            "grants without their stored first answer (or the reverse)": """
                SELECT (SELECT count(*) FROM ledger_transfer t WHERE t.cause_type = 'grant' AND NOT EXISTS
                          (SELECT 1 FROM idempotency i WHERE i.key = t.cause_id AND i.route LIKE 'POST /v1/wallets/%'))
                     + (SELECT count(*) FROM idempotency i WHERE i.route LIKE 'POST /v1/wallets/%' AND NOT EXISTS
                          (SELECT 1 FROM ledger_transfer t WHERE t.cause_type = 'grant' AND t.cause_id = i.key)) AS n""",
        }
        for name, query in checks.items():
            count = self.scalar(query)
            if count:
                self.fail(f"{count} {name}")
        # The licensee's wallet from the business facts alone, against its balance.
        expected = self.scalar(f"""
            SELECT (SELECT coalesce(sum(amount_micros), 0) FROM ledger_transfer WHERE cause_type = 'grant')
                 + (SELECT coalesce(sum(amount_micros), 0) FROM payment WHERE licensee_id = '{self.licensee}')
                 - (SELECT coalesce(sum(price_micros), 0) FROM license WHERE licensee_id = '{self.licensee}' AND revoked_at IS NULL)
                 - (SELECT coalesce(sum(e.charged_micros), 0) FROM usage_event e WHERE e.status = 'accepted'
                      AND NOT EXISTS (SELECT 1 FROM usage_event r WHERE r.reverses_seq = e.seq)) AS n""")
        balance = self.scalar(f"""SELECT b.balance_micros AS n FROM ledger_account a JOIN ledger_balance b ON b.account_id = a.id
                                   WHERE a.owner = '{self.licensee}' AND a.purpose = 'licensee_wallet'""")
        if balance != expected:
            self.fail(f"the licensee's wallet holds {balance} µ but grants + payments − licenses − usage make {expected} µ")
        self.snapshot["wallet"] = balance

    def check_acknowledged_rows(self):
        snapshot = self.snapshot
        rows = self.sql("SELECT id, title, blob_sha256, byte_count, status FROM asset")
        by_id = {row["id"]: row for row in rows}
        snapshot["asset_by_title"] = {row["title"]: row for row in rows}
        with self.lock:
            assets = dict(self.assets)
            licenses = dict(self.licenses)
            events = dict(self.events)
            grants = dict(self.grants)
            payments = dict(self.payments)
        for asset_id, asset in assets.items():
            row = by_id.get(asset_id)
            if row is None:
                self.fail(f"acknowledged asset {asset_id} ({asset['title']}, cycle {asset['cycle']}) is missing")
            elif (row["blob_sha256"], row["byte_count"]) != (asset["sha256"], asset["size"]):
                self.fail(f"asset {asset_id} has blob {row['blob_sha256']} ({row['byte_count']} bytes); acknowledged {asset['sha256']} ({asset['size']})")
            elif asset["published"] and row["status"] != "published":
                self.fail(f"asset {asset_id} was acknowledged as published and is {row['status']}")
        stored = {row["id"]: row["code"] for row in self.sql("SELECT id, code FROM license")}
        for license_id, license in licenses.items():
            if stored.get(license_id) != license["code"]:
                self.fail(f"acknowledged license {license_id} ({license['code']}, cycle {license['cycle']}) is "
                          + ("missing" if license_id not in stored else f"stored with code {stored[license_id]}"))
        snapshot["idempotent_licenses"] = {row["key"]: row["license"] for row in self.sql(f"""
            SELECT key, json_extract(response, '$.id') AS license FROM idempotency WHERE party_id = '{self.licensee}'""")}
        stored_events = {(row["r"], row["e"]): row["s"] for row in self.sql("SELECT reporter_id AS r, event_id AS e, status AS s FROM usage_event")}
        snapshot["events"] = stored_events
        missing = [key for key in events if key not in stored_events]
        changed = [key for key in events if key in stored_events and stored_events[key] != events[key]["status"]]
        if missing:
            self.fail(f"{len(missing)} acknowledged usage events are missing, e.g. {missing[:3]} (acknowledged in cycle {events[missing[0]]['cycle']})")
        if changed:
            self.fail(f"{len(changed)} usage events changed status, e.g. {changed[0]}: acknowledged {events[changed[0]]['status']}, stored {stored_events[changed[0]]}")
        grant_rows = {row["cause_id"]: row["id"] for row in self.sql("SELECT id, cause_id FROM ledger_transfer WHERE cause_type = 'grant'")}
        snapshot["grants"] = grant_rows
        for key, grant in grants.items():
            if grant_rows.get(key) != grant["transfer_id"]:
                self.fail(f"acknowledged grant {key} (transfer {grant['transfer_id']}) is {'missing' if key not in grant_rows else 'another transfer ' + grant_rows[key]}")
        payment_rows = {row["id"]: row["amount_micros"] for row in self.sql("SELECT id, amount_micros FROM payment")}
        snapshot["payments"] = payment_rows
        for payment_id, amount in payments.items():
            if payment_rows.get(payment_id) != amount:
                self.fail(f"acknowledged payment {payment_id} of {amount} µ is {'missing' if payment_id not in payment_rows else payment_rows[payment_id]}")
        snapshot["upload_rows"] = {row["id"]: row for row in self.sql("SELECT id, owner_id, expires_at FROM upload")}

    def blob_path(self, sha):
        return self.storage / "blobs" / sha[:2] / sha

    def check_files(self):
        """Every asset's file is a whole blob under its content name; open uploads hold the bytes sent."""
        rows = self.sql("""SELECT id, blob_sha256, byte_count, preview_status, preview_sha256, preview_byte_count, waveform_sha256
                           FROM asset""")
        referenced = set()
        for row in rows:
            files = []
            if row["blob_sha256"]:
                files.append(("file", row["blob_sha256"], row["byte_count"]))
            if row["preview_status"] == "ready":
                files.append(("preview", row["preview_sha256"], row["preview_byte_count"]))
                files.append(("waveform", row["waveform_sha256"], None))
            for what, sha, size in files:
                if sha is None:
                    self.fail(f"asset {row['id']} has a ready preview without its {what} blob")
                    continue
                referenced.add(sha)
                path = self.blob_path(sha)
                if not path.is_file():
                    self.fail(f"the {what} of asset {row['id']} names blob {sha}, which is not in blobs/")
                    continue
                if size is not None and path.stat().st_size != size:
                    self.fail(f"the {what} of asset {row['id']}: blob {sha} has {path.stat().st_size} bytes, the row says {size}")
                    continue
                if sha not in self.verified_blobs:
                    actual = file_sha256(path)
                    if actual != sha:
                        self.fail(f"the {what} of asset {row['id']}: blob {sha} holds content with SHA-256 {actual} (a partial or foreign file)")
                        continue
                    self.verified_blobs.add(sha)
        stored_blobs = {path.name for path in (self.storage / "blobs").glob("*/*") if path.is_file()}
        self.snapshot["stored_blobs"] = stored_blobs
        self.counts["unreferenced blobs (max seen)"] = max(self.counts["unreferenced blobs (max seen)"], len(stored_blobs - referenced))
        self.snapshot["unreferenced_blobs"] = stored_blobs - referenced
        temp = list((self.storage / "tmp").iterdir())
        self.snapshot["temp_files"] = [path.name for path in temp]
        self.counts["temp files left by kills"] += len(temp)
        for path in temp:
            if path.name in referenced:
                self.fail(f"temp file {path} carries the name of a referenced blob")
        parts = {path.name[:-len(".part")] for path in (self.storage / "uploads").glob("*.part")}
        self.snapshot["orphan_parts"] = parts - set(self.snapshot["upload_rows"])
        self.counts["upload files without a row at a kill"] += len(self.snapshot["orphan_parts"])
        with self.lock:
            uploads = list(self.uploads.values())
        for upload in uploads:
            if upload.state == "creating":
                continue  # the part file may have become a blob already
            path = self.storage / "uploads" / f"{upload.id}.part"
            if upload.id not in self.snapshot["upload_rows"] or not path.is_file():
                self.fail(f"upload {upload.id}: {upload.acked} bytes acknowledged, but its {'row' if upload.id not in self.snapshot['upload_rows'] else 'file'} is gone")
                continue
            content = path.read_bytes()
            if len(content) < upload.acked or len(content) > upload.sent_upto or content != upload.data[:len(content)]:
                self.fail(f"upload {upload.id}: the file holds {len(content)} bytes "
                          f"({'the bytes sent' if content == upload.data[:len(content)] else 'NOT the bytes sent'}); "
                          f"acknowledged {upload.acked}, at most {upload.sent_upto} sent")

    # ---------------------------------------------------------------- after the restart (server up)

    def restart(self):
        self.restarted_at_ms = int(time.time() * 1000)
        text, seconds = self.server.start()
        self.counts["server starts"] += 1
        self.counts["restarts"] += 1
        self.start_seconds.append(seconds)
        if "First start" in text or re.search(r"syn_[a-z0-9_]{20,}", text):
            self.fail("a restart printed an operator key again (it is shown on the first start only)")
        # The previous process's leftovers must be gone (the new one may have started its own).
        leftovers = [name for name in self.snapshot["temp_files"] if (self.storage / "tmp" / name).exists()]
        if leftovers:
            self.fail(f"{len(leftovers)} temp files left by the kill are still in tmp/ after the restart: {leftovers[:3]}")
        # Blobs filed for rows the kill kept from committing are set aside (moved to orphans/,
        # never deleted) at start, before the server serves (a preview re-rendered at once may
        # file the same bytes again, so the start's own count is what is checked).
        orphans = len(self.snapshot.get("unreferenced_blobs", ()))
        line = next((line for line in text.splitlines() if "set aside blobs no row refers to" in line), "")
        match = re.search(r"count=(\d+)", line)
        swept = int(match.group(1)) if match else 0
        if swept != orphans:
            self.fail(f"{orphans} blobs no row referred to at the kill, but the restart set aside {swept}")
        missing = [name for name in self.snapshot.get("unreferenced_blobs", ()) if not (self.storage / "orphans" / name).exists()]
        if missing:
            self.fail(f"{len(missing)} blobs no row referred to at the kill are neither in blobs/ nor in orphans/: {missing[:3]}")
        self.counts["unreferenced blobs set aside at start"] += swept

    def online(self, what, method, path, token=None, **kwargs):
        try:
            return self.call(method, path, token, **kwargs)
        except Lost as error:
            self.fail(f"{what}: {error} (server {'up' if self.server.alive() else 'gone'})")
            raise AssertionError(str(error))

    def verify_after_restart(self):
        try:
            self.verify_reads()
            self.verify_replays()
            self.retry_in_flight()
            self.settle_uploads()
            self.clean_unknown_uploads()
            self.verify_sweeps()
        except AssertionError:
            pass  # recorded
        except Lost as error:
            self.fail(f"after the restart: {error} (server {'up' if self.server.alive() else 'gone'})")
        self.cycle_new = {"assets": [], "licenses": [], "events": []}

    def sample(self, new, pool, extra):
        chosen = list(dict.fromkeys(new))
        taken = set(chosen)
        rest = [item for item in pool if item not in taken]
        return chosen + self.rng.sample(rest, min(extra, len(rest)))

    def verify_reads(self):
        status, _, body = self.online("health", "GET", "/health")
        self.expect("GET /health", status, body, 200)
        with self.lock:
            assets = dict(self.assets)
            licenses = dict(self.licenses)
        for asset_id in self.sample(self.cycle_new["assets"], list(assets), OLD_SAMPLE_PER_RESTART):
            asset = assets[asset_id]
            token = self.composers[asset["composer"]]["token"]
            status, _, body = self.online("asset", "GET", f"/v1/assets/{asset_id}", token)
            self.expect(f"GET /v1/assets/{asset_id}", status, body, 200)
            shown = json.loads(body)
            if (shown.get("file") or {}).get("sha256") != asset["sha256"] or (asset["published"] and shown["status"] != "published"):
                self.fail(f"asset {asset_id} reads back as {shown.get('file')} / {shown['status']}; acknowledged {asset['sha256']}, published={asset['published']}")
            status, _, data = self.online("original", "GET", f"/v1/assets/{asset_id}/original", token)
            self.expect(f"GET /v1/assets/{asset_id}/original", status, data, 200)
            if sha256_hex(data) != asset["sha256"] or len(data) != asset["size"]:
                self.fail(f"the original of asset {asset_id} downloads as {len(data)} bytes with SHA-256 {sha256_hex(data)}; acknowledged {asset['size']} bytes, {asset['sha256']}")
            self.counts["assets downloaded and hashed after restarts"] += 1
        chosen = self.sample(self.cycle_new["licenses"], list(licenses), OLD_SAMPLE_PER_RESTART)
        for index, license_id in enumerate(chosen):
            license = licenses[license_id]
            first = json.loads(license["answer"])
            status, _, body = self.online("license", "GET", f"/v1/licenses/{license_id}", self.licensee_token)
            self.expect(f"GET /v1/licenses/{license_id}", status, body, 200)
            shown = json.loads(body)
            for field in ("id", "code", "key", "asset_id", "template", "price_micros", "fee_micros", "issued_at"):
                if shown.get(field) != first.get(field):
                    self.fail(f"license {license_id} reads back with {field} {shown.get(field)!r}; acknowledged {first.get(field)!r}")
            self.counts["licenses read back after restarts"] += 1
            if index < VERIFY_KEYS_PER_RESTART:
                status, _, body = self.online("verify key", "POST", "/v1/verify", json_body={"key": license["token"]})
                self.expect(f"POST /v1/verify for {license_id}", status, body, 200)
                verdict = json.loads(body)
                if verdict.get("status") != "valid" or verdict.get("signature_valid") is not True or verdict.get("license_id") != license_id:
                    self.fail(f"the key of license {license_id} verifies as {verdict}")
                self.counts["license keys verified after restarts"] += 1
            if index < VERIFY_CODES_PER_RESTART:
                status, _, body = self.online("verify code", "GET", f"/v1/verify/{license['code']}")
                self.expect(f"GET /v1/verify/{license['code']}", status, body, 200)
                if json.loads(body).get("status") != "valid":
                    self.fail(f"license code {license['code']} verifies as {json.loads(body)}")
        status, _, body = self.online("wallet", "GET", "/v1/wallet", self.licensee_token)
        self.expect("GET /v1/wallet", status, body, 200)
        self.wallet_before = json.loads(body)["balance_micros"]
        if self.wallet_before != self.snapshot["wallet"]:
            self.fail(f"the wallet reads {self.wallet_before} µ after the restart; the database held {self.snapshot['wallet']} µ")
        period = datetime.now(timezone.utc).strftime("%Y-%m")
        for composer in self.composers:
            status, _, body = self.online("statement", "GET", f"/v1/statements?period={period}", composer["token"])
            self.expect("GET /v1/statements", status, body, 200)

    def verify_replays(self):
        """Replays of acknowledged purchases and events: the first answer, nothing charged."""
        with self.lock:
            licenses = list(self.license_list)
        for license_id in self.sample([l for l in self.cycle_new["licenses"]][:PURCHASE_REPLAYS_PER_RESTART], licenses,
                                      max(0, PURCHASE_REPLAYS_PER_RESTART - len(self.cycle_new["licenses"]))):
            try:
                self.replay_purchase(license_id)
            except Lost as error:
                self.fail(f"purchase replay: {error}")
                raise AssertionError(str(error))
        with self.lock:
            new = list(self.cycle_new["events"])
            older = [key for key in self.rng.sample(list(self.events), min(100, len(self.events)))]
        chosen = list(dict.fromkeys(new[:EVENT_REPLAYS_PER_RESTART] + older))
        for reporter, token in ((self.licensee, self.licensee_token), (self.reporter, self.reporter_token)):
            events = [self.events[key]["body"] for key in chosen if key[0] == reporter]
            for start in range(0, len(events), 1000):
                part = events[start:start + 1000]
                try:
                    self.send_usage(reporter, token, part, ["duplicate"] * len(part), ndjson=False)
                except Lost as error:
                    self.fail(f"usage replay: {error}")
                    raise AssertionError(str(error))
        status, _, body = self.online("wallet", "GET", "/v1/wallet", self.licensee_token)
        balance = json.loads(body)["balance_micros"]
        if balance != self.wallet_before:
            self.fail(f"replays moved money: the wallet went from {self.wallet_before} µ to {balance} µ")

    def retry_in_flight(self):
        """What a careful client does after losing an answer: the same request again."""
        with self.lock:
            in_flight, self.in_flight = self.in_flight, []
        snapshot = self.snapshot
        for request in in_flight:
            kind = request["kind"]
            try:
                if kind == "license purchase":
                    committed = snapshot["idempotent_licenses"].get(request["key"])
                    license_id = self.purchase(key=request["key"], request=request["request"])
                    if committed and committed != license_id:
                        self.fail(f"purchase {request['key']} committed license {committed} before the kill; the retry answered {license_id}")
                    self.counts[f"in-flight purchases retried: {'had committed' if committed else 'had not committed'}"] += 1
                elif kind == "usage batch":
                    events = request["events"]
                    stored = [(request["reporter"], event["event_id"]) in snapshot["events"] for event in events]
                    fresh = [i for i, want in enumerate(request["expected"]) if want != "duplicate"]
                    present = {stored[i] for i in fresh}
                    if len(present) > 1:
                        self.fail(f"a usage batch in flight at the kill is half stored: {sum(stored[i] for i in fresh)} of {len(fresh)} new events")
                    expected = ["duplicate" if stored[i] else want for i, want in enumerate(request["expected"])]
                    self.send_usage(request["reporter"], request["token"], events, expected, request["ndjson"], retry_of=True)
                    self.counts[f"in-flight usage batches retried: {'had committed' if present == {True} else 'had not committed'}"] += 1
                elif kind == "grant":
                    committed = snapshot["grants"].get(request["key"])
                    transfer = self.grant(request["amount"], key=request["key"])
                    if committed and committed != transfer:
                        self.fail(f"grant {request['key']} committed transfer {committed} before the kill; the retry answered {transfer}")
                    self.counts[f"in-flight grants retried: {'had committed' if committed else 'had not committed'}"] += 1
                elif kind == "payment webhook":
                    committed = request["payment_id"] in snapshot["payments"]
                    result = self.payment(request["amount"], payment_id=request["payment_id"], retry=True)
                    if result != ("duplicate" if committed else "credited"):
                        self.fail(f"payment {request['payment_id']} (stored before the restart: {committed}) answered {result} on retry")
                    self.counts[f"in-flight payments retried: {'had committed' if committed else 'had not committed'}"] += 1
            except Lost as error:
                self.fail(f"retry of {kind}: {error}")
                raise AssertionError(str(error))

    def settle_uploads(self):
        """Open uploads resume from the server's offset (or are deleted); in-flight asset creations resolve."""
        with self.lock:
            uploads = list(self.uploads.values())
        for upload in uploads:
            token = self.composers[upload.composer]["token"]
            if upload.state == "creating" and upload.title in self.snapshot["asset_by_title"]:
                row = self.snapshot["asset_by_title"][upload.title]
                if row["blob_sha256"] != upload.sha256:
                    self.fail(f"asset {row['id']} made from {upload.id} holds {row['blob_sha256']}, not the uploaded {upload.sha256}")
                self.acknowledge_asset(row["id"], upload)
                self.counts["in-flight asset creations: had committed"] += 1
                continue
            status, headers, body = self.online("HEAD upload", "HEAD", f"/v1/uploads/{upload.id}", token, headers={"Tus-Resumable": TUS})
            row = self.snapshot["upload_rows"].get(upload.id)
            if status == 404 and row and row["expires_at"] <= self.restarted_at_ms:
                with self.lock:
                    self.uploads.pop(upload.id, None)
                    self.counts["open uploads expired before their check"] += 1
                continue
            if status == 404:
                retry, _, answer = self.online("retry asset", "POST", "/v1/assets", token, json_body={
                    "upload_id": upload.id, "kind": "loop", "title": upload.title, "tags": ["crash"], "bpm": 120})
                blob = "its bytes sit unreferenced in blobs/ under " + upload.sha256 if upload.sha256 in self.snapshot["stored_blobs"] else "its bytes are nowhere in blobs/"
                self.fail(f"upload {upload.id} ({upload.state}): {upload.acked} of its {len(upload.data)} bytes were acknowledged"
                          f"{' and POST /v1/assets was in flight at the kill' if upload.state == 'creating' else ''}; after the restart "
                          f"there is no asset titled {upload.title!r} and HEAD /v1/uploads answers 404, so the acknowledged upload "
                          f"can neither be resumed nor turned into an asset (a retry of POST /v1/assets answers {retry} "
                          f"{json.loads(answer).get('detail', '') if answer else ''}; {blob}; upload row still present: {upload.id in self.snapshot['upload_rows']})")
                with self.lock:
                    self.uploads.pop(upload.id, None)
                continue
            self.expect(f"HEAD /v1/uploads/{upload.id}", status, body, 200)
            offset = int(headers["Upload-Offset"])
            low, high = (upload.acked, upload.acked) if upload.state == "abandoned" else (upload.acked, upload.sent_upto)
            if upload.state == "creating":
                low = high = len(upload.data)
            if not low <= offset <= high:
                self.fail(f"upload {upload.id} ({upload.state}) is at offset {offset} after the restart; acknowledged {upload.acked}, at most {high} sent")
                continue
            upload.acked = offset
            if upload.state != "creating" and self.rng.random() < 0.3:
                status, _, body = self.online("DELETE upload", "DELETE", f"/v1/uploads/{upload.id}", token, headers={"Tus-Resumable": TUS})
                self.expect(f"DELETE /v1/uploads/{upload.id}", status, body, 204)
                status, _, body = self.online("HEAD upload", "HEAD", f"/v1/uploads/{upload.id}", token, headers={"Tus-Resumable": TUS})
                self.expect(f"HEAD of deleted upload {upload.id}", status, body, 404)
                with self.lock:
                    self.uploads.pop(upload.id, None)
                    self.counts["open uploads deleted after restarts"] += 1
                continue
            try:
                was_creating = upload.state == "creating"
                if offset < len(upload.data):
                    self.patch(upload, len(upload.data))
                self.create_asset(upload)
            except Lost as error:
                self.fail(f"resuming upload {upload.id}: {error}")
                raise AssertionError(str(error))
            self.counts["in-flight asset creations: retried" if was_creating else "open uploads resumed after restarts"] += 1
        # Publications whose answer was lost: publish again (409 if it had committed).
        for asset_id, asset in list(self.assets.items()):
            if not asset["published"] and asset.get("publish_lost"):
                asset["publish_lost"] = False
                self.publish(asset["composer"], asset_id, retry=True)

    def clean_unknown_uploads(self):
        """Uploads whose creation answer was lost are unknown to the test: delete them so they never
        fill a composer's quota of open uploads (a row without its file cannot be deleted and stays)."""
        with self.lock:
            known = set(self.uploads)
        for upload_id, row in self.snapshot["upload_rows"].items():
            composer = next((c for c in self.composers if c["id"] == row["owner_id"]), None)
            if upload_id in known or composer is None:
                continue
            status, _, body = self.online("DELETE upload", "DELETE", f"/v1/uploads/{upload_id}", composer["token"],
                                          headers={"Tus-Resumable": TUS})
            self.expect(f"DELETE /v1/uploads/{upload_id}", status, body, 204, 404)
            self.counts["unknown uploads (creation answer lost) deleted" if status == 204 else "unknown uploads without their file"] += 1

    def verify_sweeps(self):
        """Upload files left without a row by a kill are removed by the sweep at start."""
        orphans = self.snapshot.get("orphan_parts", set())
        deadline = time.monotonic() + 5
        while orphans and time.monotonic() < deadline:
            orphans = {name for name in orphans if (self.storage / "uploads" / f"{name}.part").exists()}
            time.sleep(0.05)
        if orphans:
            self.fail(f"upload files without a row survived the restart's sweep: {sorted(orphans)[:3]}")

    # ---------------------------------------------------------------- the run

    def run(self):
        started = time.monotonic()
        self.start_seconds = []
        self.phase_seconds = Counter()
        self.say(f"Synclet crash test: {self.args.kills} kills, seed {self.seed}, binary {self.args.binary}, storage {self.storage}")
        try:
            self.setup()
            for cycle in range(1, self.args.kills + 1):
                self.cycle = cycle
                loaded = self.load_and_kill()
                lost = self.counts["lost in flight"]
                marks = [time.monotonic()]
                self.offline_checks()
                marks.append(time.monotonic())
                self.restart()
                marks.append(time.monotonic())
                self.verify_after_restart()
                marks.append(time.monotonic())
                phases = [b - a for a, b in zip(marks, marks[1:])]
                for name, seconds in zip(("offline checks", "restart", "online checks"), phases):
                    self.phase_seconds[name] += seconds
                self.say(f"  kill {cycle:3d}: after {loaded:4.2f} s of load; {lost - getattr(self, '_lost_before', 0):2d} requests in flight; "
                         f"checks {phases[0]:.2f} s down, {phases[1]:.2f} s restart, {phases[2]:.2f} s up; "
                         f"{len(self.assets)} assets, {len(self.licenses)} licenses, {len(self.events)} events acknowledged so far"
                         + ("" if not self.violations else f"; {len(self.violations)} VIOLATIONS"))
                self._lost_before = lost
                if self.violations and not self.args.keep_going:
                    break
            if not self.violations or self.args.keep_going:
                self.server.stop()
                self.offline_checks()
                self.start_without_database()
        except (AssertionError, RuntimeError) as error:
            if not self.violations:
                self.violations.append(f"cycle {self.cycle}: {error}")
        finally:
            if self.server.alive():
                self.server.kill9()
        self.counts["seconds"] = round(time.monotonic() - started, 1)
        return self.report_counts()

    def report_counts(self):
        counts = self.counts
        summary = {
            "seed": self.seed,
            "binary": str(self.args.binary),
            "kills": counts["kills"],
            "second_starts_refused": counts["second starts refused"],
            "starts_without_database_refused": counts["starts without the database refused"],
            "restarts": counts["restarts"],
            "seconds": counts["seconds"],
            "restart_seconds_mean": round(sum(self.start_seconds) / len(self.start_seconds), 3) if self.start_seconds else None,
            "phase_seconds": {name: round(value, 1) for name, value in self.phase_seconds.items()},
            "acknowledged": {
                "assets": counts["acknowledged assets"],
                "publications": counts["acknowledged publications"],
                "upload_creations": counts["acknowledged upload creations"],
                "patches": counts["acknowledged PATCHes"],
                "patch_bytes": counts["acknowledged PATCH bytes"],
                "licenses": counts["acknowledged licenses"],
                "usage_events": counts["acknowledged usage events"],
                "usage_events_accepted": counts["acknowledged usage events: accepted"],
                "usage_events_flagged": counts["acknowledged usage events: flagged"],
                "usage_reversals": counts["acknowledged usage events: reversal"],
                "grants": counts["acknowledged grants"],
                "payments": counts["acknowledged payments"],
            },
            "checked_present_after_every_kill": {
                "assets": len(self.assets), "licenses": len(self.licenses), "usage_events": len(self.events),
                "grants": len(self.grants), "payments": len(self.payments),
            },
            "checked_online": {
                "assets_downloaded_and_hashed": counts["assets downloaded and hashed after restarts"],
                "licenses_read_back": counts["licenses read back after restarts"],
                "license_keys_verified": counts["license keys verified after restarts"],
                "purchase_replays_same_answer": counts["purchase replays answered the first answer"],
                "usage_replays_duplicate": counts["usage replays answered duplicate"],
                "open_uploads_resumed": counts["open uploads resumed after restarts"],
                "open_uploads_deleted": counts["open uploads deleted after restarts"],
                "open_uploads_expired_before_check": counts["open uploads expired before their check"],
                "unknown_uploads_deleted": counts["unknown uploads (creation answer lost) deleted"],
            },
            "in_flight": {
                "lost": counts["lost in flight"],
                **{key[len("lost in flight: "):]: value for key, value in sorted(counts.items()) if key.startswith("lost in flight: ")},
                "refused_after_kill": counts["refused after the kill"],
                **{key: value for key, value in sorted(counts.items()) if key.startswith("in-flight ")},
            },
            "files": {
                "temp_files_left_by_kills_then_swept": counts["temp files left by kills"],
                "upload_files_without_row_then_swept": counts["upload files without a row at a kill"],
                "unreferenced_blobs_max": counts["unreferenced blobs (max seen)"],
                "uploads_abandoned_halfway": counts["uploads abandoned halfway"],
            },
            "requests": counts["requests"],
            "violations": self.violations,
            "storage": str(self.storage),
        }
        if self.args.json:
            print(json.dumps(summary, indent=2))
        else:
            self.say("")
            self.say(f"Counts (seed {self.seed}, {summary['seconds']} s, mean restart {summary['restart_seconds_mean']} s; "
                     + ", ".join(f"{name} {value} s" for name, value in summary["phase_seconds"].items()) + "):")
            for section in ("acknowledged", "checked_present_after_every_kill", "checked_online", "in_flight", "files"):
                self.say(f"  {section.replace('_', ' ')}:")
                for key, value in summary[section].items():
                    self.say(f"    {key.replace('_', ' '):<44} {value}")
            self.say(f"  kills {summary['kills']}, restarts {summary['restarts']}, second starts refused {summary['second_starts_refused']}, requests {summary['requests']}, violations {len(self.violations)}")
            for violation in self.violations:
                self.say(f"  VIOLATION {violation}")
        if self.violations:
            self.say(f"FAILED. The data folder is kept in {self.storage} (server logs in {self.logs}). "
                     f"Reproduce with: python3 Tests/Crash/crash_test.py --binary {self.args.binary} --kills {self.args.kills} --seed {self.seed}")
            return 1
        if not self.args.storage:
            shutil.rmtree(self.work, ignore_errors=True)
        self.say("OK: every acknowledged write survived every kill.")
        return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    default_binary = REPO / ".build/release/synclet"
    if not default_binary.exists():
        default_binary = REPO / ".build/debug/synclet"
    parser.add_argument("--binary", type=Path, default=default_binary, help=f"the synclet executable (default: {default_binary})")
    parser.add_argument("--kills", type=int, default=50, help="how many times to kill -9 the server (default 50)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the load and of the kill moments (default: random)")
    parser.add_argument("--storage", help="data folder to use (must be empty or missing; default: a fresh temp folder)")
    parser.add_argument("--keep-going", action="store_true", help="do not stop at the first cycle with a violation; count them all")
    parser.add_argument("--json", action="store_true", help="print the counts as JSON on stdout (progress goes to stderr)")
    args = parser.parse_args()
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(1, 1 << 31)
    args.binary = args.binary.absolute()
    if not os.access(args.binary, os.X_OK):
        parser.error(f"{args.binary} is not an executable; build it first (swift build, or make release)")
    if shutil.which("sqlite3") is None:
        parser.error("the sqlite3 CLI is needed to check the database while the server is down (make setup installs it)")
    if args.kills < 1:
        parser.error("--kills must be at least 1")
    sys.exit(CrashTest(args).run())


if __name__ == "__main__":
    main()
