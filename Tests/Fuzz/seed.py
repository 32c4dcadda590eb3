#!/usr/bin/env python3
"""Seeds a fresh Synclet server for the fuzz run, and checks every answer on the way.

Walks one journey per party kind (composer, licensee, reporter, operator): tus upload,
asset, stem pack, publish, preview, quote, license (and one from a drop), download,
verify, webhook payment, usage, statement in every format, line events, period close,
payouts, the earnings stream. Each response is checked against the API document the
server serves: its status is documented, its content type is the documented one (and
application/problem+json for every 4xx/5xx), and its body and headers conform
(schemathesis' own response validation). Then it writes a schemathesis config whose
dictionaries hold the real ids, so the fuzzer reaches past "404 not found".

Usage: seed.py --base URL --admin-key KEY --webhook-secret SECRET --config OUT.toml --state OUT.json
Exit status 1 when an answer breaks the document.
"""
import argparse
import base64
import datetime
import hashlib
import hmac
import io
import json
import math
import struct
import sys
import time
import uuid
import wave
import zipfile

import requests
import schemathesis

FAILURES = []


def wav_bytes(seconds=2.0, rate=22050, hertz=440.0):
    frames = int(seconds * rate)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(struct.pack("<h", int(12000 * math.sin(2 * math.pi * hertz * i / rate))) for i in range(frames)))
    return buffer.getvalue()


def now_rfc3339(offset_seconds=0):
    moment = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=offset_seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (moment.microsecond // 1000)


class Client:
    """Sends requests and checks each answer against the document."""

    def __init__(self, base, schema):
        self.base = base.rstrip("/")
        self.schema = schema
        self.session = requests.Session()
        self.count = 0

    def call(self, key, method, path, template=None, expect=None, stream=False, **kwargs):
        headers = dict(kwargs.pop("headers", {}))
        if key:
            headers["Authorization"] = "Bearer " + key
        response = self.session.request(method, self.base + path, headers=headers, stream=stream, timeout=30, **kwargs)
        self.count += 1
        label = "%s %s" % (method, path)
        if expect is not None and response.status_code != expect:
            FAILURES.append("%s: expected %d, got %d: %s" % (label, expect, response.status_code, response.text[:300]))
        if not stream:
            self.check(template or path, method, response, label)
        return response

    def check(self, template, method, response, label):
        operation = self.schema[template][method.upper()]
        status = str(response.status_code)
        documented = operation.definition.raw.get("responses", {})
        if status not in documented and "default" not in documented:
            FAILURES.append("%s: status %s is not documented (%s)" % (label, status, response.text[:300]))
            return
        media = (response.headers.get("content-type") or "").split(";")[0].strip()
        if response.status_code >= 400 and media != "application/problem+json":
            FAILURES.append("%s: %s answered with %r, not application/problem+json" % (label, status, media))
        spec = documented.get(status, {})
        if "$ref" in spec:
            spec = self.schema.raw_schema["components"]["responses"][spec["$ref"].rsplit("/", 1)[1]]
        declared = list(spec.get("content", {}).keys())
        if declared and method.upper() != "HEAD" and response.status_code not in (204, 304):
            if not any(media == d or (d.endswith("/*") and media.startswith(d[:-1])) for d in declared):
                FAILURES.append("%s: content type %r is not among %s" % (label, media, declared))
        if response.status_code == 206 or method.upper() == "HEAD":
            return  # a byte range, or no body: nothing to parse
        try:
            operation.validate_response(response)
        except Exception as error:  # schemathesis raises a group of failures
            FAILURES.append("%s: %s breaks the document: %s" % (label, status, str(error)[:1500]))


def lint(document):
    """The document's own conventions: every operation has a unique operationId, a
    summary, tags and an explicit security requirement; every 4xx/5xx answer is a shared
    problem response."""
    seen = set()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "put", "post", "patch", "delete", "head", "options"):
                continue
            label = "%s %s" % (method.upper(), path)
            for member in ("operationId", "summary", "tags", "security"):
                if member not in operation:
                    FAILURES.append("document: %s has no %s" % (label, member))
            if operation.get("operationId") in seen:
                FAILURES.append("document: %s repeats operationId %s" % (label, operation.get("operationId")))
            seen.add(operation.get("operationId"))
            for status, response in operation.get("responses", {}).items():
                if status[0] in "45" and not response.get("$ref", "").startswith("#/components/responses/"):
                    FAILURES.append("document: %s answers %s without a shared problem response" % (label, status))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--admin-key", required=True)
    parser.add_argument("--webhook-secret", required=True)
    parser.add_argument("--config", required=True, help="schemathesis config to write")
    parser.add_argument("--state", required=True, help="JSON file to write the seeded keys and ids to (for probes.py)")
    parser.add_argument("--schema", help="API document to check against (default: the server's /openapi.json)")
    args = parser.parse_args()
    base = args.base.rstrip("/")
    schema = schemathesis.openapi.from_path(args.schema) if args.schema else schemathesis.openapi.from_url(base + "/openapi.json")
    lint(schema.raw_schema)
    c = Client(base, schema)
    admin = args.admin_key
    started = time.monotonic()

    # Meta and public routes.
    c.call(None, "GET", "/health", expect=200)
    c.call(None, "GET", "/openapi.json", expect=200)
    c.call(None, "GET", "/.well-known/synclet/keys", expect=200)
    c.call(None, "GET", "/v1/license-templates", expect=200)
    c.call(None, "OPTIONS", "/v1/uploads", expect=204)
    c.call(None, "GET", "/v1/me", expect=401)
    c.call("syn_not_a_key", "GET", "/health", expect=401)
    c.call(admin, "GET", "/v1/me", expect=200)

    # Parties and keys.
    def party(kind, name):
        made = c.call(admin, "POST", "/v1/parties", json={"kind": kind, "display_name": name}, expect=201).json()
        issued = c.call(admin, "POST", "/v1/parties/{id}/keys".replace("{id}", made["id"]), "/v1/parties/{id}/keys",
                        json={"label": "fuzz"}, expect=201).json()
        return made["id"], issued["token"], issued["key"]["id"]

    composer, composer_key, composer_key_id = party("composer", "Fuzz Composer")
    cowriter, _, _ = party("composer", "Fuzz Co-writer")
    licensee, licensee_key, _ = party("licensee", "Fuzz Licensee")
    reporter, reporter_key, _ = party("reporter", "Fuzz Reporter")
    spare, _, spare_key_id = party("licensee", "Fuzz Spare")
    c.call(admin, "GET", "/v1/parties?limit=2", "/v1/parties", expect=200)
    c.call(admin, "GET", "/v1/parties/" + composer, "/v1/parties/{id}", expect=200)
    c.call(admin, "GET", "/v1/parties/" + composer + "/keys", "/v1/parties/{id}/keys", expect=200)
    c.call(composer_key, "GET", "/v1/parties", expect=403)
    c.call(composer_key, "GET", "/v1/parties/" + licensee, "/v1/parties/{id}", expect=404)
    c.call(admin, "DELETE", "/v1/keys/" + spare_key_id, "/v1/keys/{id}", expect=200)

    # A tus upload, an asset from it, its splits, publish.
    tus = {"Tus-Resumable": "1.0.0"}

    def upload(data, filename, chunks=2):
        created = c.call(composer_key, "POST", "/v1/uploads", expect=201, headers=dict(tus, **{
            "Upload-Length": str(len(data)),
            "Upload-Metadata": "filename " + base64.b64encode(filename.encode()).decode()}))
        location = created.headers["Location"]
        upload_id = location.rsplit("/", 1)[1]
        offset = 0
        step = max(1, len(data) // chunks)
        while offset < len(data):
            part = data[offset:offset + step]
            c.call(composer_key, "PATCH", location, "/v1/uploads/{id}", data=part, expect=204, headers=dict(tus, **{
                "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"}))
            offset += len(part)
            c.call(composer_key, "HEAD", location, "/v1/uploads/{id}", expect=200, headers=tus)
        return upload_id

    audio = wav_bytes()
    track_upload = upload(audio, "night-drive.wav")
    asset = c.call(composer_key, "POST", "/v1/assets", expect=201, json={
        "upload_id": track_upload, "kind": "track", "title": "Night Drive", "bpm": 120, "key": "Am",
        "tags": ["synthwave"], "moods": ["dark"], "genres": ["electronic"], "instruments": ["synth"], "vocals": False,
        "splits": [{"party_id": composer, "basis_points": 7000}, {"party_id": cowriter, "basis_points": 3000}],
        "preview_duration_seconds": 1}).json()
    asset_id = asset["id"]
    stem_upload = upload(wav_bytes(1.0, hertz=220.0), "bass.wav", chunks=1)
    stem = c.call(composer_key, "POST", "/v1/assets", expect=201, json={
        "upload_id": stem_upload, "kind": "stem", "title": "Bass", "track_id": asset_id}).json()
    c.call(composer_key, "PATCH", "/v1/assets/" + asset_id, "/v1/assets/{id}", expect=200,
           json={"tags": ["synthwave", "retro"], "isrc": "US-S1Z-99-00001"})
    c.call(composer_key, "PUT", "/v1/assets/" + asset_id + "/splits", "/v1/assets/{id}/splits", expect=201,
           json={"splits": [{"party_id": composer, "basis_points": 6000}, {"party_id": cowriter, "basis_points": 4000}]})
    c.call(composer_key, "GET", "/v1/assets/" + asset_id + "/splits", "/v1/assets/{id}/splits", expect=200)
    c.call(composer_key, "POST", "/v1/assets/" + asset_id + "/publish", "/v1/assets/{id}/publish", expect=200)
    c.call(composer_key, "POST", "/v1/assets/" + stem["id"] + "/publish", "/v1/assets/{id}/publish", expect=200)
    c.call(composer_key, "POST", "/v1/assets/" + asset_id + "/publish", "/v1/assets/{id}/publish")
    c.call(composer_key, "GET", "/v1/assets?mine=true&status=published", "/v1/assets", expect=200)
    c.call(licensee_key, "GET", "/v1/assets?q=night&limit=1", "/v1/assets", expect=200)
    c.call(licensee_key, "GET", "/v1/assets?compatible_with=8A&sort=duration", "/v1/assets", expect=200)
    c.call(None, "GET", "/v1/assets/" + asset_id, "/v1/assets/{id}", expect=200)
    c.call(composer_key, "GET", "/v1/assets/" + asset_id, "/v1/assets/{id}", expect=200)

    # Files: original with ranges and validators, bundle.
    original = "/v1/assets/" + asset_id + "/original"
    whole = c.call(composer_key, "GET", original, "/v1/assets/{id}/original", expect=200)
    etag = whole.headers.get("ETag", "")
    c.call(composer_key, "GET", original, "/v1/assets/{id}/original", expect=206, headers={"Range": "bytes=0-99"})
    c.call(composer_key, "GET", original, "/v1/assets/{id}/original", expect=304, headers={"If-None-Match": etag})
    c.call(composer_key, "GET", original, "/v1/assets/{id}/original", expect=416, headers={"Range": "bytes=999999999-"})
    c.call(licensee_key, "GET", original, "/v1/assets/{id}/original", expect=403)
    c.call(composer_key, "GET", "/v1/assets/" + asset_id + "/bundle", "/v1/assets/{id}/bundle", expect=200)
    c.call(composer_key, "GET", "/v1/assets/" + stem["id"] + "/bundle", "/v1/assets/{id}/bundle", expect=422)

    # A stem pack in a zip.
    pack = io.BytesIO()
    with zipfile.ZipFile(pack, "w") as archive:
        archive.writestr("Pack/full-mix.wav", wav_bytes(1.0, hertz=330.0))
        archive.writestr("Pack/drums.wav", wav_bytes(1.0, hertz=110.0))
        archive.writestr("Pack/README.txt", "Fuzz pack\n")
    pack_upload = upload(pack.getvalue(), "pack.zip", chunks=1)
    c.call(composer_key, "POST", "/v1/packs", expect=201, json={"upload_id": pack_upload, "title": "Fuzz Pack", "tags": ["pack"]})

    # Previews render in the background.
    preview = "/v1/assets/" + asset_id + "/preview"
    deadline = time.monotonic() + 60
    while True:
        state = c.call(None, "GET", "/v1/assets/" + asset_id, "/v1/assets/{id}").json()["preview"]["status"]
        if state != "pending" or time.monotonic() > deadline:
            break
        c.call(None, "GET", preview, "/v1/assets/{id}/preview", expect=409)
        time.sleep(0.5)
    if state == "ready":
        got = c.call(None, "GET", preview, "/v1/assets/{id}/preview", expect=200)
        c.call(None, "GET", preview, "/v1/assets/{id}/preview", expect=206, headers={"Range": "bytes=-10"})
        c.call(None, "GET", preview, "/v1/assets/{id}/preview", expect=304, headers={"If-None-Match": got.headers.get("ETag", "")})
        c.call(None, "GET", "/v1/assets/" + asset_id + "/waveform", "/v1/assets/{id}/waveform", expect=200)
    else:
        FAILURES.append("the preview of %s did not render: %s" % (asset_id, state))

    # Licensing: credit, quote, license, one from a drop, revoke one.
    grant = "/v1/wallets/" + licensee + "/grants"
    idem = str(uuid.uuid4())
    c.call(admin, "POST", grant, "/v1/wallets/{party}/grants", expect=201, headers={"Idempotency-Key": idem},
           json={"amount_micros": 500_000_000, "note": "fuzz"})
    c.call(admin, "POST", grant, "/v1/wallets/{party}/grants", expect=201, headers={"Idempotency-Key": idem},
           json={"amount_micros": 500_000_000, "note": "fuzz"})
    c.call(admin, "POST", grant, "/v1/wallets/{party}/grants", expect=422, headers={"Idempotency-Key": idem},
           json={"amount_micros": 7})
    use = {"platform": "youtube", "media": "short_form", "clip_seconds": 30, "expected_views": 50000,
           "term_days": 365, "territory": "US", "monetized": True, "paid_ads": False}
    quote = c.call(licensee_key, "POST", "/v1/quotes", expect=200, json={"asset_id": asset_id, "use": use}).json()
    template = next(option["template"] for option in quote["options"] if option["covers"])
    c.call(licensee_key, "POST", "/v1/quotes", expect=200, json={"asset_id": asset_id, "use": dict(use, paid_ads=True, media="ad")})
    issue = {"asset_id": asset_id, "template": template, "use": use, "channels": [{"platform": "youtube", "channel_id": "UCfuzz"}]}
    license_ = c.call(licensee_key, "POST", "/v1/licenses", expect=201, headers={"Idempotency-Key": str(uuid.uuid4())}, json=issue).json()
    c.call(licensee_key, "POST", "/v1/licenses", expect=422, headers={"Idempotency-Key": str(uuid.uuid4())},
           json=dict(issue, use=dict(use, paid_ads=True)))
    c.call(licensee_key, "POST", "/v1/licenses", expect=400, json=issue)
    other = c.call(licensee_key, "POST", "/v1/licenses", expect=201, headers={"Idempotency-Key": str(uuid.uuid4())},
                   json={"asset_id": asset_id, "template": template, "use": use}).json()
    c.call(admin, "POST", "/v1/licenses/" + other["id"] + "/revoke", "/v1/licenses/{id}/revoke", expect=200, json={"reason": "fuzz refund"})
    c.call(admin, "POST", "/v1/licenses/" + other["id"] + "/revoke", "/v1/licenses/{id}/revoke", expect=409, json={"reason": "again"})
    drop = c.call(admin, "POST", "/v1/drops", expect=201, json={
        "asset_id": asset_id, "template": template, "quantity": 3, "starts_at": now_rfc3339(-60), "ends_at": now_rfc3339(86_400)}).json()
    c.call(licensee_key, "GET", "/v1/drops/" + drop["id"], "/v1/drops/{id}", expect=200)
    c.call(licensee_key, "POST", "/v1/licenses", expect=201, headers={"Idempotency-Key": str(uuid.uuid4())},
           json={"asset_id": asset_id, "template": template, "use": use, "drop_id": drop["id"]})
    # A license priced per view, so that fuzzed usage reaches the pricing arithmetic.
    ad_use = dict(use, media="ad", paid_ads=True)
    per_view = c.call(licensee_key, "POST", "/v1/licenses", expect=201, headers={"Idempotency-Key": str(uuid.uuid4())},
                      json={"asset_id": asset_id, "template": "commercial-ads", "use": ad_use}).json()
    c.call(licensee_key, "GET", "/v1/licenses?limit=1", "/v1/licenses", expect=200)
    c.call(admin, "GET", "/v1/licenses", expect=200)
    c.call(licensee_key, "GET", "/v1/licenses/" + license_["id"], "/v1/licenses/{id}", expect=200)
    c.call(licensee_key, "GET", "/v1/licenses/" + license_["id"] + "/download", "/v1/licenses/{id}/download", expect=200)
    c.call(licensee_key, "GET", "/v1/licenses/" + other["id"] + "/download", "/v1/licenses/{id}/download", expect=403)
    c.call(admin, "GET", "/v1/clearances?platform=YouTube", "/v1/clearances", expect=200)
    c.call(licensee_key, "GET", "/v1/wallet", expect=200)
    c.call(admin, "GET", "/v1/wallets/" + licensee, "/v1/wallets/{party}", expect=200)
    c.call(admin, "PUT", "/v1/wallets/" + licensee + "/cap", "/v1/wallets/{party}/cap", expect=200, json={"monthly_cap_micros": 900_000_000})

    # Public verification.
    c.call(None, "GET", "/v1/verify/" + license_["code"], "/v1/verify/{code}", expect=200)
    c.call(None, "GET", "/v1/verify/" + other["code"].lower().replace("-", ""), "/v1/verify/{code}", expect=200)
    c.call(None, "GET", "/v1/verify/SYN-0000-0000-0000", "/v1/verify/{code}", expect=200)
    c.call(None, "GET", "/v1/verify/not-a-code", "/v1/verify/{code}", expect=400)
    c.call(None, "POST", "/v1/verify", expect=200, json={"key": license_["key"]})
    c.call(None, "POST", "/v1/verify", expect=422, json={"key": license_["key"][:-4] + "AAAA"})

    # The payment provider's webhook, signed.
    notice = json.dumps({"payment_id": "pay_fuzz_1", "licensee_id": licensee, "amount_micros": 1_000_000}).encode()
    stamp = str(int(time.time()))
    signature = hmac.new(args.webhook_secret.encode(), stamp.encode() + b"." + notice, hashlib.sha256).hexdigest()
    signed = {"Synclet-Signature": "t=%s,v1=%s" % (stamp, signature), "Content-Type": "application/json"}
    c.call(None, "POST", "/v1/webhooks/payments", expect=200, data=notice, headers=signed)
    c.call(None, "POST", "/v1/webhooks/payments", expect=200, data=notice, headers=signed)
    c.call(None, "POST", "/v1/webhooks/payments", expect=401, data=notice, headers={"Synclet-Signature": "t=1,v1=00"})

    # Usage: a JSON batch from the licensee, NDJSON from a reporter, a replay, a flagged and a bad event.
    c.call(admin, "PUT", "/v1/reporters/" + reporter + "/platforms", "/v1/reporters/{id}/platforms", expect=200,
           json={"platforms": ["YouTube", "tiktok"]})
    events = [
        {"event_id": "fz-1", "license": license_["id"], "kind": "view", "quantity": 1500, "platform": "youtube",
         "channel_id": "UCfuzz", "video_id": "v1", "country": "US", "occurred_at": now_rfc3339(-5)},
        {"event_id": "fz-2", "license": license_["code"], "kind": "view", "quantity": 10, "platform": "tiktok", "occurred_at": now_rfc3339(-4)},
        {"event_id": "fz-3", "license": license_["key"], "kind": "use", "quantity": 1, "platform": "youtube", "occurred_at": now_rfc3339(-3)},
        {"event_id": "fz-4", "license": "lic_nope", "kind": "view", "quantity": 1, "platform": "youtube", "occurred_at": now_rfc3339(-2)},
        {"event_id": "fz-5", "kind": "view"},
    ]
    c.call(licensee_key, "POST", "/v1/usage", expect=200, json=events)
    c.call(licensee_key, "POST", "/v1/usage", expect=200, json=events[:1])
    ndjson = "\n".join(json.dumps(dict(e, event_id="nd-" + e["event_id"])) for e in events[:3]) + "\nnot json\n"
    c.call(reporter_key, "POST", "/v1/usage", expect=200, data=ndjson.encode(), headers={"Content-Type": "application/x-ndjson"})
    c.call(reporter_key, "POST", "/v1/usage", expect=200, json=[dict(events[0], event_id="rev-1", reverses="nd-fz-1", quantity=1500)])
    c.call(composer_key, "POST", "/v1/usage", expect=403, json=events[:1])
    c.call(licensee_key, "POST", "/v1/usage", expect=400, json={"not": "a batch"})
    c.call(licensee_key, "GET", "/v1/wallet/spend", expect=200)

    # Statements, line events, the live stream, a period close and its payouts.
    period = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m")
    for fmt in ["json", "csv", "tsv", "html"]:
        c.call(composer_key, "GET", "/v1/statements?period=%s&format=%s" % (period, fmt), "/v1/statements", expect=200)
    c.call(admin, "GET", "/v1/statements?period=%s&party=%s" % (period, cowriter), "/v1/statements", expect=200)
    c.call(composer_key, "GET", "/v1/statements?period=2026-13", "/v1/statements", expect=400)
    c.call(composer_key, "GET", "/v1/statements/lines/1/events?period=" + period, "/v1/statements/lines/{n}/events", expect=200)
    c.call(composer_key, "GET", "/v1/statements/lines/99/events?period=" + period, "/v1/statements/lines/{n}/events", expect=404)
    stream = c.call(composer_key, "GET", "/v1/earnings/stream", stream=True, expect=200)
    first = b""
    for chunk in stream.iter_content(chunk_size=None):
        first += chunk
        if b"\n\n" in first:
            break
    stream.close()
    if stream.headers.get("content-type", "").split(";")[0] != "text/event-stream":
        FAILURES.append("GET /v1/earnings/stream: content type %r" % stream.headers.get("content-type"))
    data = [line[5:].strip() for line in first.decode().splitlines() if line.startswith("data:")]
    if not data:
        FAILURES.append("GET /v1/earnings/stream: no first event: %r" % first[:200])
    else:
        update_schema = schema.raw_schema["components"]["schemas"]["EarningsUpdate"]
        for field in update_schema["required"]:
            if field not in json.loads(data[0]):
                FAILURES.append("earnings event lacks %s: %s" % (field, data[0]))
    c.call(admin, "POST", "/v1/periods/2020-01/close", "/v1/periods/{period}/close", expect=200)
    c.call(admin, "POST", "/v1/periods/2020-01/close", "/v1/periods/{period}/close", expect=409)
    c.call(admin, "POST", "/v1/periods/%s/close" % period, "/v1/periods/{period}/close", expect=409)
    c.call(admin, "GET", "/v1/periods/2020-01/payouts", "/v1/periods/{period}/payouts", expect=200)
    c.call(admin, "GET", "/v1/periods/2020-02/payouts", "/v1/periods/{period}/payouts", expect=404)
    c.call(admin, "POST", "/v1/signing-keys", expect=201)

    # A spare asset and an unfinished upload for the fuzzer to play with.
    draft = c.call(composer_key, "POST", "/v1/assets", expect=201, json={
        "upload_id": upload(wav_bytes(1.0), "draft.wav", chunks=1), "kind": "loop", "title": "Fuzz Loop"}).json()
    open_upload = c.call(composer_key, "POST", "/v1/uploads", expect=201,
                         headers=dict(tus, **{"Upload-Length": "1000"})).headers["Location"].rsplit("/", 1)[1]

    write_config(args.config, {
        "parties": [composer, cowriter, licensee, reporter, spare],
        "licensees": [licensee, spare],
        "reporters": [reporter],
        "composers": [composer, cowriter],
        "assets": [asset_id, stem["id"], draft["id"]],
        "licenses": [license_["id"], other["id"], per_view["id"]],
        "codes": [license_["code"], other["code"]],
        "keys": [license_["key"]],
        "drops": [drop["id"]],
        "uploads": [open_upload],
        "templates": [template, "social-clip", "creator-standard"],
        "periods": [period, "2020-01", "2019-12"],
    })
    with open(args.state, "w") as out:
        json.dump({"admin_key": admin, "composer": composer, "composer_key": composer_key, "licensee": licensee,
                   "licensee_key": licensee_key, "reporter_key": reporter_key, "asset": asset_id, "stem": stem["id"],
                   "license": license_["id"], "per_view_license": per_view["id"], "template": template,
                   "use": use, "ad_use": ad_use, "period": period}, out, indent=1)
    print("seed: %d requests in %.1f s, %d problems" % (c.count, time.monotonic() - started, len(FAILURES)))
    for failure in FAILURES:
        print("SEED FAILURE: " + failure)
    return 1 if FAILURES else 0


# Which dictionary feeds which parameter of which operation. A probability below 1 keeps
# some generated values, so unknown and malformed ids are still tried.
BINDINGS = {
    "getParty": {"path.id": "parties"}, "issueKey": {"path.id": "parties"}, "listKeys": {"path.id": "parties"},
    "getAsset": {"path.id": "assets"}, "updateAsset": {"path.id": "assets"}, "downloadOriginal": {"path.id": "assets"},
    "publishAsset": {"path.id": "assets"}, "withdrawAsset": {"path.id": "assets"}, "splitVersions": {"path.id": "assets"},
    "replaceSplits": {"path.id": "assets", "body.splits[*].party_id": "composers"},
    "preview": {"path.id": "assets"}, "waveform": {"path.id": "assets"}, "bundle": {"path.id": "assets"},
    "createAsset": {"body.upload_id": "uploads", "body.track_id": "assets", "body.splits[*].party_id": "composers"},
    "createPack": {"body.upload_id": "uploads", "body.track_id": "assets"},
    "uploadOffset": {"path.id": "uploads"}, "appendUpload": {"path.id": "uploads"}, "deleteUpload": {"path.id": "uploads"},
    "quote": {"body.asset_id": "assets"},
    "issueLicense": {"body.asset_id": "assets", "body.template": "templates", "body.drop_id": "drops"},
    "getLicense": {"path.id": "licenses"}, "revokeLicense": {"path.id": "licenses"}, "downloadLicensed": {"path.id": "licenses"},
    "licenseeWallet": {"path.party": "licensees"}, "grantCredit": {"path.party": "licensees"},
    "setSpendingCap": {"path.party": "licensees"}, "setReporterPlatforms": {"path.id": "reporters"},
    "verifyCode": {"path.code": "codes"}, "verifyKey": {"body.key": "keys"},
    "createDrop": {"body.asset_id": "assets", "body.template": "templates"}, "getDrop": {"path.id": "drops"},
    "statement": {"query.period": "periods", "query.party": "composers"},
    "statementLineEvents": {"query.period": "periods", "query.party": "composers"},
    "closePeriod": {"path.period": "periods"}, "payoutBatch": {"path.period": "periods"},
    "walletSpend": {"query.period": "periods"},
    "reportUsage": {"body.[*].license": "licenses"},
}


def write_config(path, dictionaries):
    lines = ["# Written by Tests/Fuzz/seed.py for one fuzz run: real ids of the seeded server.", ""]
    for name, values in dictionaries.items():
        lines.append("[dictionaries.%s]" % name)
        lines.append("values = %s" % json.dumps(values))
        lines.append("")
    for operation, bindings in BINDINGS.items():
        lines.append("[[operations]]")
        lines.append('include-operation-id = "%s"' % operation)
        lines.append("[operations.parameters]")
        for key, name in bindings.items():
            lines.append('"%s" = { dictionary = "%s", probability = 0.8 }' % (key, name))
        lines.append("")
    with open(path, "w") as out:
        out.write("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
