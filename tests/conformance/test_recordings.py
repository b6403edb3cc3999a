"""Replays the recorded real Key Vault sessions against azsim.

Each file of ../shared/azure-recordings/dotnet-keyvault-keys/ (azure-protocol.md
10.2) is a session of the .NET keys client against a real vault. Every entry is
sent to azsim as recorded: method, path, query (api-version included), body and
request headers, with the vault host rewritten to an azsim vault and the key
names kept (they are numbers: valid names). The challenge request, recorded
without an Authorization header, is sent without one; the others carry a token.

Then, per entry:
  - the status code is the recorded one;
  - a JSON body has the recorded body's key set, at the top level and nested
    (arrays: the first element), with the same JSON types, and error bodies
    carry the recorded error code and message;
  - every response header NAME the recording has is present, except Date,
    Content-Length and transport-level ones, and except the RBAC-only
    x-ms-keyvault-rbac-* headers when the vault uses access policies;
  - a 401's WWW-Authenticate parses the same way (scheme Bearer, the same
    parameter names, authorization naming the vault's tenant, resource whose
    host the vault host ends with: the SDKs' challenge-resource check).

Each session is replayed twice: on kv-a (access policies, as the brief asks)
and on kv-rbac (RBAC, like the recorded vaults, which answered with
x-ms-keyvault-rbac-* headers).

Substitutions, each where the recording cannot mean the same thing in azsim:
  - kty EC: azsim emulates RSA keys only (400 for EC). Entries that create EC
    keys are sent with kty RSA; their JWKs are compared with RSA members
    (n, e) in place of the EC ones (crv, x, y).
  - Version ids are the service's own: a recorded version in a later URL is
    replaced by the version azsim gave the key.
  - Ciphertext: the recorded unwrap body carries Azure's ciphertext; it is
    replaced by the ciphertext azsim returned for the recorded wrap.
  - Timing: after a DELETE the test does what the .NET test did off the record
    (WaitForDeletedKey: poll GET /deletedkeys/{name} until 200), and a GET that
    follows a DELETE or recover is polled until the recorded final status,
    instead of expecting one answer. azsim's soft_delete_transition_ms window
    must show at least one transitional 404 where the SDK polls.
"""

import glob
import json
import os
import re
import time
import unittest
import urllib.parse

import requests

from azsim import SHARED, TENANT, AzsimTestCase, json_type

RECORDINGS = os.path.join(SHARED, "azure-recordings", "dotnet-keyvault-keys")

# Response headers not compared: volatile or transport-level.
TRANSPORT = {"date", "content-length", "transfer-encoding", "connection", "keep-alive", "server",
             "x-powered-by", "x-aspnet-version"}
# Request headers not replayed as recorded: the token is ours, lengths are recomputed.
REQUEST_SKIP = {"authorization", "content-length", "host"}
EC_MEMBERS = {"crv", "x", "y"}
RSA_MEMBERS = {"n", "e"}


def recording_files():
    return sorted(glob.glob(os.path.join(RECORDINGS, "*", "*.json")))


def key_set_diff(expected, actual, path="$", ec_to_rsa=False):
    """Differences in key sets (both ways) and JSON types, recursively."""
    et, at = json_type(expected), json_type(actual)
    if et != at:
        return ["%s: recorded %s, azsim %s" % (path, et, at)]
    diffs = []
    if et == "object":
        want = set(expected)
        if ec_to_rsa and path.endswith(".key") and want & EC_MEMBERS:
            want = (want - EC_MEMBERS) | RSA_MEMBERS
        have = set(actual)
        if want - have:
            diffs.append("%s: azsim lacks %s" % (path, sorted(want - have)))
        if have - want:
            diffs.append("%s: azsim adds %s" % (path, sorted(have - want)))
        for k in want & have & set(expected):
            diffs.extend(key_set_diff(expected[k], actual[k], "%s.%s" % (path, k), ec_to_rsa))
    elif et == "array" and expected and actual:
        diffs.extend(key_set_diff(expected[0], actual[0], path + "[0]", ec_to_rsa))
    elif et == "array" and bool(expected) != bool(actual):
        diffs.append("%s: recorded %d items, azsim %d" % (path, len(expected), len(actual)))
    return diffs


def parse_challenge(header):
    """Parses WWW-Authenticate the way the Python SDK's challenge policy does."""
    scheme, _, rest = header.strip().partition(" ")
    params = {}
    for item in rest.split(","):
        if "=" not in item:
            continue
        name, _, value = item.strip().partition("=")
        params[name.strip()] = value.strip().strip('"')
    return scheme, params


class Session:
    """The state of one replay: version and ciphertext substitutions, timing."""

    def __init__(self, test, recording, vault, principal, rbac):
        self.test = test
        self.sim = test.sim
        self.recording = recording
        self.vault = vault
        self.rbac = rbac
        self.token = test.sim.token(principal)
        self.recorded_base = recording["Variables"]["AZURE_KEYVAULT_URL"].rstrip("/")
        self.versions = {}         # recorded version id -> azsim's
        self.wrapped = {}          # recorded ciphertext -> azsim's
        self.transition = False    # a DELETE or recover happened: GETs may need polling
        self.polled = []           # (entry index, path, statuses seen) of polled GETs
        self.ops_pinned = False    # key_ops were set explicitly (PATCH): compare them

    # -- requests ----------------------------------------------------------------------
    def url_for(self, recorded_uri):
        parts = urllib.parse.urlsplit(recorded_uri)
        path = parts.path
        for old, new in self.versions.items():
            path = path.replace("/" + old, "/" + new)
        return self.sim.vault_url(self.vault) + path + ("?" + parts.query if parts.query else "")

    def body_for(self, entry):
        body = entry["RequestBody"]
        if body is None:
            return None
        body = json.loads(json.dumps(body))
        if body.get("kty") in ("EC", "EC-HSM"):
            body["kty"] = "RSA" if body["kty"] == "EC" else "RSA-HSM"  # RSA only in azsim
            body.pop("crv", None)
        if isinstance(body.get("value"), str) and body["value"] in self.wrapped:
            body["value"] = self.wrapped[body["value"]]
        return body

    def send(self, entry, url=None, method=None, with_body=True):
        headers = {k: v for k, v in entry["RequestHeaders"].items()
                   if k.lower() not in REQUEST_SKIP}
        if "Authorization" in entry["RequestHeaders"]:
            headers["Authorization"] = "Bearer " + self.token
        body = self.body_for(entry) if with_body else None
        data = json.dumps(body) if body is not None else None
        return requests.request(method or entry["RequestMethod"],
                                url or self.url_for(entry["RequestUri"]), data=data,
                                headers=headers, verify=self.sim.ca_file, timeout=60)

    def poll(self, entry, want, url=None, method="GET", timeout=15):
        """Repeats a GET like the SDK's pollers until the status is `want`."""
        seen = []
        deadline = time.time() + timeout
        while True:
            r = self.send(entry, url=url, method=method, with_body=False)
            seen.append(r.status_code)
            if r.status_code == want or time.time() > deadline:
                return r, seen
            time.sleep(0.05)

    # -- one entry ---------------------------------------------------------------------
    def replay(self, index, entry):
        what = "entry %d: %s %s" % (index, entry["RequestMethod"], entry["RequestUri"])
        want = entry["StatusCode"]
        method = entry["RequestMethod"]
        path = urllib.parse.urlsplit(entry["RequestUri"]).path
        if method == "GET" and self.transition:
            r, seen = self.poll(entry, want)
            self.polled.append((index, path, seen))
        else:
            r = self.send(entry)
        self.compare(what, entry, r)
        self.learn(entry, r)
        if method == "DELETE" and re.match(r"^/keys/[^/]+/?$", path) and want == 200:
            self.after_delete(entry, path)
        if method == "POST" and path.endswith("/recover") and want == 200:
            self.transition = True
        return r

    def after_delete(self, entry, path):
        """What the .NET test did off the record: wait for the deleted key (the
        SDK's DeleteKeyOperation polls GET /deletedkeys/{name} until not 404)."""
        name = path.rstrip("/").split("/")[-1]
        url = self.sim.vault_url(self.vault) + "/deletedkeys/%s?%s" % (
            name, urllib.parse.urlsplit(entry["RequestUri"]).query)
        r, seen = self.poll(entry, 200, url=url)
        self.test.assertEqual(r.status_code, 200, "deleted key never appeared: %s" % seen)
        self.test.assertIn(404, seen,
                           "azsim showed no transitional 404 on GET /deletedkeys/%s right "
                           "after DELETE (soft_delete_transition_ms window): %s" % (name, seen))
        self.transition = True

    def learn(self, entry, r):
        """Records the substitutions later entries need."""
        rec = entry["ResponseBody"]
        if not isinstance(rec, dict) or r.status_code != 200:
            return
        got = r.json()
        rec_kid = (rec.get("key") or {}).get("kid") or rec.get("kid")
        kid = (got.get("key") or {}).get("kid") or got.get("kid")
        if rec_kid and kid:
            old, new = rec_kid.rstrip("/").split("/")[-1], kid.rstrip("/").split("/")[-1]
            if re.fullmatch(r"[0-9a-f]{32}", old):
                self.versions[old] = new
        if entry["RequestMethod"] == "POST" and entry["RequestUri"].split("?")[0].lower() \
                .endswith(("/wrapkey", "/encrypt")):
            self.wrapped[rec["value"]] = got["value"]

    # -- comparison --------------------------------------------------------------------
    def compare(self, what, entry, r):
        t = self.test
        t.assertEqual(r.status_code, entry["StatusCode"],
                      "%s: recorded %d, azsim %d: %s"
                      % (what, entry["StatusCode"], r.status_code, r.text[:400]))
        self.compare_headers(what, entry, r)
        rec = entry["ResponseBody"]
        if rec is None:
            t.assertEqual(r.content, b"", "%s: recorded no body, azsim sent %r" % (what, r.text))
            return
        got = r.json()
        ec = (entry["RequestBody"] or {}).get("kty", "").startswith("EC") or \
            json.dumps(rec).find('"kty": "EC"') >= 0
        diffs = key_set_diff(rec, got, ec_to_rsa=ec)
        t.assertFalse(diffs, "%s: body keys differ from the recording:\n  %s\nrecorded: %s\n"
                      "azsim: %s" % (what, "\n  ".join(diffs), json.dumps(rec)[:600],
                                     r.text[:600]))
        if "error" in rec:
            t.assertEqual(got["error"]["code"], rec["error"]["code"], what)
            t.assertEqual(got["error"]["message"], rec["error"]["message"], what)
        if isinstance(rec.get("key"), dict):
            t.assertEqual(got["key"]["kty"], rec["key"]["kty"].replace("EC", "RSA"), what)
            if "key_ops" in (entry["RequestBody"] or {}):
                self.ops_pinned = True
            # An EC key's default operations are sign/verify, an RSA key's all six:
            # after the kty substitution only explicitly set key_ops can match.
            if not ec or self.ops_pinned:
                t.assertEqual(sorted(got["key"]["key_ops"]), sorted(rec["key"]["key_ops"]),
                              what)
        if isinstance(rec.get("attributes"), dict) and "enabled" in rec["attributes"]:
            t.assertEqual(got["attributes"]["enabled"], rec["attributes"]["enabled"], what)

    def compare_headers(self, what, entry, r):
        t = self.test
        for name in entry["ResponseHeaders"]:
            low = name.lower()
            if low in TRANSPORT:
                continue
            if low.startswith("x-ms-keyvault-rbac-") and not self.rbac:
                continue  # RBAC-only: the vault uses access policies
            t.assertIn(name, r.headers, "%s: azsim's response lacks header %s (has %s)"
                       % (what, name, sorted(r.headers)))
        for name in ("x-ms-client-request-id",):
            if name in entry["ResponseHeaders"]:
                t.assertEqual(r.headers[name], entry["RequestHeaders"][name],
                              "%s: %s must echo the client's" % (what, name))
        if "WWW-Authenticate" in entry["ResponseHeaders"]:
            rs, rp = parse_challenge(entry["ResponseHeaders"]["WWW-Authenticate"])
            gs, gp = parse_challenge(r.headers["WWW-Authenticate"])
            t.assertEqual(gs, rs, what)
            t.assertEqual(set(gp), set(rp), "%s: challenge parameters %s vs recorded %s"
                          % (what, gp, rp))
            auth = urllib.parse.urlsplit(gp["authorization"])
            t.assertEqual(auth.scheme, "https", gp)
            t.assertEqual(auth.path.strip("/").split("/")[0], TENANT, gp)
            resource_host = urllib.parse.urlsplit(gp["resource"]).hostname
            vault_host = urllib.parse.urlsplit(self.sim.vault_url(self.vault)).hostname
            t.assertTrue(vault_host.endswith("." + resource_host),
                         "challenge resource %s does not cover %s" % (gp["resource"], vault_host))
            t.assertEqual(gp["resource"], self.sim.vault_resource)
        self_ct = r.headers.get("Content-Type", "")
        if entry["ResponseBody"] is not None:
            t.assertEqual(self_ct, entry["ResponseHeaders"]["Content-Type"], what)


class Recordings(AzsimTestCase):
    VAULTS = (("kv-a", "operator", False), ("kv-rbac", "rbac-officer", True))

    def replay_file(self, path):
        with open(path) as f:
            recording = json.load(f)
        self.assertTrue(recording["Entries"], path)
        for vault, principal, rbac in self.VAULTS:
            with self.subTest(vault=vault):
                session = Session(self, recording, vault, principal, rbac)
                responses = [session.replay(i, e) for i, e in enumerate(recording["Entries"])]
                self.extra_checks(os.path.basename(path), recording, session, responses)

    def extra_checks(self, name, recording, session, responses):
        entries = recording["Entries"]
        if name == "RecoverDeletedKey.json":
            # The recording shows GET /keys/{name}/ at 404 (deleted) and, after the
            # recover, at 200: the SDK's RecoverDeletedKeyOperation polls that URL.
            # azsim, asked right after the recover, must still be in transition.
            recover = next(i for i, e in enumerate(entries) if e["RequestMethod"] == "POST"
                           and e["RequestUri"].split("?")[0].endswith("/recover"))
            after = [seen for i, path, seen in session.polled
                     if i > recover and path.startswith("/keys/")]
            self.assertTrue(after, session.polled)
            self.assertIn(404, after[0],
                          "no transitional 404 on GET /keys/{name}/ right after recover: %s"
                          % after[0])
            self.assertEqual(after[0][-1], 200)
        if name.startswith("WrapUnwrapRoundTrip"):
            wrap = next(e for e in entries if e["RequestUri"].split("?")[0].endswith("/wrapKey"))
            unwrapped = responses[-1].json()["value"]
            self.assertEqual(unwrapped.rstrip("="), wrap["RequestBody"]["value"].rstrip("="),
                             "unwrap did not give back what was wrapped")
        if name == "UpdateEnabled.json":
            self.assertFalse(responses[-1].json()["attributes"]["enabled"])
        if name == "GetKeyRotationPolicyReturnsDefault.json":
            self.assertEqual(responses[-1].json(), entries[-1]["ResponseBody"])
        if name == "UpdateKeyRotationPolicy.json":
            got, rec = responses[-1].json(), entries[-1]["ResponseBody"]
            self.assertEqual(got["lifetimeActions"], rec["lifetimeActions"])
            self.assertEqual(got["attributes"]["expiryTime"], rec["attributes"]["expiryTime"])
            self.assertTrue(got["id"].endswith(urllib.parse.urlsplit(rec["id"]).path), got["id"])


class KeySetDiffSelfTest(unittest.TestCase):
    def test_catches_missing_and_extra(self):
        d = key_set_diff({"a": 1, "b": {"c": 1}}, {"a": 1, "b": {"d": 1}, "e": 2})
        self.assertEqual(len(d), 3, d)

    def test_ec_to_rsa(self):
        rec = {"key": {"kid": "k", "kty": "EC", "crv": "P-256", "x": "a", "y": "b"}}
        got = {"key": {"kid": "k", "kty": "RSA", "n": "a", "e": "b"}}
        self.assertFalse(key_set_diff(rec, got, ec_to_rsa=True))
        self.assertTrue(key_set_diff(rec, got))

    def test_challenge_parse(self):
        s, p = parse_challenge('Bearer authorization="https://login.windows.net/t", '
                               'resource="https://vault.azure.net"')
        self.assertEqual((s, p), ("Bearer", {"authorization": "https://login.windows.net/t",
                                             "resource": "https://vault.azure.net"}))


def _add_tests():
    files = recording_files()
    if not files:
        def test_recordings_present(self):
            self.fail("no recordings under %s" % RECORDINGS)
        Recordings.test_recordings_present = test_recordings_present
    for path in files:
        stem = os.path.splitext(os.path.basename(path))[0]
        name = "test_" + re.sub(r"[^0-9A-Za-z]+", "_", stem).strip("_")

        def test(self, path=path):
            self.replay_file(path)
        test.__name__ = name
        test.__doc__ = os.path.relpath(path, RECORDINGS)
        setattr(Recordings, name, test)


_add_tests()

if __name__ == "__main__":
    unittest.main()
