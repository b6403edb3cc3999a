"""Every fault kind has a test that shows a client sees it as it would see it from Azure.

Network kinds (refused, blackhole, latency, tls, reset, slow) as a TCP/TLS/HTTP
client sees them; service kinds (throttle, error, malformed, truncated,
oversized) in the shape of the service that would send them; state kinds
(key-disable, key-expire, key-delete, vault-delete, revoke, rbac-flip,
pe-state, read-only) through the data plane, ARM and the managed-instance
model. Then the fault machinery itself: target scoping, expiry, clearing,
refusal of bad specs, the admin token, and the `azsim fault|clock|model` CLI.

One azsim serves the class; every test clears all faults when it ends.
"""

import base64
import json
import os
import signal
import socket
import ssl
import subprocess
import threading
import time
import unittest
import warnings

import requests

from azsim import AZSIM, SQL_RG_A, SUB, Azsim, AzsimTestCase

KV_A_VERSION = "0123456789abcdef0123456789abcdef"  # kv-a/tde in the base scenario
TDE = "/keys/tde/" + KV_A_VERSION
NETWORK_ERRORS = (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError)


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def poll(predicate, timeout=3.0, interval=0.05):
    """Calls predicate until it returns something true or timeout (s) passes; returns it."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


class FaultTestCase(AzsimTestCase):
    def setUp(self):
        warnings.filterwarnings("ignore", message="unclosed", category=ResourceWarning)
        self.tok = self.sim.token()
        self.addCleanup(self.sim.clear_fault)

    # -- helpers ----------------------------------------------------------------------------
    def get_key(self, vault="kv-a", path=TDE, timeout=10, principal=None, **kwargs):
        token = self.sim.token(principal) if principal else self.tok
        return requests.get(self.sim.vault_url(vault) + path, params={"api-version": "7.4"},
                            headers={"Authorization": "Bearer " + token},
                            verify=self.sim.ca_file, timeout=timeout, **kwargs)

    def kv(self, method, path, vault="kv-a", body=None, principal=None):
        token = self.sim.token(principal) if principal else self.tok
        return self.sim.kv(method, vault, path, token=token, body=body)

    def ctl_raw(self, method, path, body=None, token=None, raw=None):
        """A control-interface request with the right token (None), another one, or none
        (False); returns the requests.Response."""
        headers = {}
        if token is not False:
            headers["Authorization"] = "Bearer " + (
                self.sim.info["control_token"] if token is None else token)
        return requests.request(method, "http://127.0.0.1:%d%s" % (
            self.sim.info["control_port"], path), json=body, data=raw, headers=headers,
            timeout=30)

    def faults(self):
        return self.sim.control("GET", "/faults")["value"]

    def assertServiceError(self, r, status, code=None):
        """ARM's and Key Vault's error shape: {"error": {"code", "message"}}."""
        self.assertEqual(r.status_code, status, r.text)
        error = r.json()["error"]
        self.assertIsInstance(error.get("code"), str, r.text)
        self.assertTrue(error.get("message"), r.text)
        if code:
            self.assertEqual(error["code"], code, r.text)
        return error

    def connect(self, port):
        """True when a new TCP connection to 127.0.0.1:port is accepted."""
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
            return True
        except ConnectionRefusedError:
            return False

    def tls_verifies(self):
        """True when a fresh TLS handshake with azsim's https listener verifies against its
        CA; False on a verification failure."""
        ctx = ssl.create_default_context(cafile=self.sim.ca_file)
        host = "kv-a.vault." + self.sim.info["dns_suffix"]
        try:
            with socket.create_connection(("127.0.0.1", self.sim.info["port"]), timeout=2) as s:
                with ctx.wrap_socket(s, server_hostname=host):
                    return True
        except ssl.SSLCertVerificationError:
            return False
        except (ConnectionError, ssl.SSLError, OSError):
            return None  # the listener is between two states

    def arm_path(self):
        return "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Sql/managedInstances/mi-a" \
            % (SUB, SQL_RG_A)


class NetworkFaultTest(FaultTestCase):
    def test_refused_listener_refuses_new_connections_until_cleared(self):
        for listener, port in (("https", self.sim.info["port"]),
                               ("imds", self.sim.info["imds_port"])):
            with self.subTest(listener=listener):
                self.assertTrue(self.connect(port))
                fid = self.sim.fault("refused", "listener:" + listener)
                # The listeners are reconciled about once a second.
                self.assertTrue(poll(lambda: not self.connect(port), timeout=3),
                                "listener %s still accepts connections" % listener)
                self.sim.clear_fault(fid)
                self.assertTrue(poll(lambda: self.connect(port), timeout=3),
                                "listener %s did not reopen on the same port" % listener)
        self.assertEqual(self.get_key().status_code, 200)

    def test_refused_vault_for_the_console_closes_without_an_answer(self):
        self.sim.fault("refused", "vault:kv-a@console")
        with self.assertRaises(requests.exceptions.ConnectionError) as cm:
            self.get_key()
        self.assertIn("without response", str(cm.exception))
        # Only that vault: its neighbour and ARM answer.
        self.assertEqual(self.get_key("kv-b", "/keys").status_code, 200)
        self.assertEqual(self.sim.arm("GET", self.arm_path()).status_code, 200)
        self.sim.clear_fault()
        self.assertEqual(self.get_key().status_code, 200)

    def test_blackhole_times_the_client_out_and_clearing_ends_held_connections(self):
        self.sim.fault("blackhole", "vault:kv-a")
        start = time.monotonic()
        with self.assertRaises(requests.exceptions.ReadTimeout):
            self.get_key(timeout=(2, 2))
        self.assertGreaterEqual(time.monotonic() - start, 1.9)
        # A client with patience is held until the fault is cleared, then dropped.
        outcome = {}

        def patient():
            try:
                outcome["status"] = self.get_key(timeout=(5, 30)).status_code
            except Exception as e:  # noqa: BLE001 - the exception is the result
                outcome["error"] = e
            outcome["ended"] = time.monotonic()

        t = threading.Thread(target=patient)
        t.start()
        time.sleep(0.5)
        self.assertNotIn("ended", outcome)
        cleared = time.monotonic()
        self.sim.clear_fault()
        t.join(10)
        self.assertFalse(t.is_alive(), "the held connection was not released")
        self.assertLess(outcome["ended"] - cleared, 2.0)
        self.assertIsInstance(outcome.get("error"), requests.exceptions.ConnectionError, outcome)
        self.assertEqual(self.get_key().status_code, 200)

    def test_latency_delays_the_answer(self):
        s = requests.Session()
        self.addCleanup(s.close)
        url = self.sim.vault_url("kv-a") + TDE
        kw = dict(params={"api-version": "7.4"}, headers={"Authorization": "Bearer " + self.tok},
                  verify=self.sim.ca_file, timeout=10)
        self.assertEqual(s.get(url, **kw).status_code, 200)  # connection set up, kept alive
        self.sim.fault("latency", "vault:kv-a", ms=800, jitter_ms=100)
        for _ in range(2):
            start = time.monotonic()
            r = s.get(url, **kw)
            elapsed = time.monotonic() - start
            self.assertEqual(r.status_code, 200)
            self.assertGreaterEqual(elapsed, 0.69)
            self.assertLess(elapsed, 1.15)  # 0.9 s at most, plus handling (ASan, a busy host)
        self.sim.clear_fault()
        start = time.monotonic()
        self.assertEqual(s.get(url, **kw).status_code, 200)
        self.assertLess(time.monotonic() - start, 0.5)

    def test_reset_breaks_the_response(self):
        self.sim.fault("reset", "vault:kv-a")
        try:
            r = self.get_key()
        except NETWORK_ERRORS:
            pass  # the connection broke mid-answer
        else:
            # A short read: fewer bytes than announced, and not a JSON document.
            self.assertLess(len(r.content), int(r.headers["Content-Length"]))
            with self.assertRaises(ValueError):
                json.loads(r.content)
        self.sim.clear_fault()
        self.assertEqual(self.get_key().status_code, 200)

    def test_slow_sends_the_body_at_the_given_rate(self):
        self.sim.fault("slow", "vault:kv-a", bytes_per_second=200)
        start = time.monotonic()
        r = self.get_key(timeout=(5, 5))
        elapsed = time.monotonic() - start
        self.assertEqual(r.status_code, 200)
        size = len(r.content)
        self.assertGreater(size, 500)
        self.assertEqual(r.json()["key"]["kid"].rsplit("/", 1)[1], KV_A_VERSION)  # intact
        self.assertGreaterEqual(elapsed, 0.8 * size / 200)
        self.assertLess(elapsed, 1.5 * size / 200 + 1)


class TlsFaultTest(FaultTestCase):
    """Its own azsim: the listener is rebuilt with another certificate."""

    def test_tls_fault_serves_a_certificate_the_client_does_not_trust(self):
        self.assertTrue(self.tls_verifies())
        self.sim.fault("tls", "listener:https")
        self.assertIs(poll(lambda: self.tls_verifies() is False, timeout=3), True,
                      "the certificate still verifies")
        with self.assertRaises(requests.exceptions.SSLError):
            self.get_key()
        self.sim.clear_fault()
        self.assertIs(poll(lambda: self.tls_verifies() is True, timeout=3), True,
                      "the trusted certificate did not come back")
        self.assertEqual(self.get_key().status_code, 200)


class ServiceFaultTest(FaultTestCase):
    def test_throttle_answers_429_in_each_services_shape(self):
        self.sim.fault("throttle", "vault:kv-a", rate=1, retry_after=2)
        r = self.get_key()
        error = self.assertServiceError(r, 429, "Throttled")
        self.assertEqual(r.headers.get("Retry-After"), "2")
        self.assertNotIn("innererror", error)
        self.sim.clear_fault()
        self.sim.fault("throttle", "arm", rate=1)
        r = self.sim.arm("GET", self.arm_path())
        self.assertServiceError(r, 429)
        self.assertEqual(r.headers.get("Retry-After"), "1")
        # The vault is not concerned by an ARM fault.
        self.assertEqual(self.get_key().status_code, 200)

    def test_the_sdk_retries_a_throttle_and_succeeds_once_cleared(self):
        kc = self.sim.key_client("kv-a")
        self.assertEqual(kc.get_key("tde").properties.version, KV_A_VERSION)
        self.sim.fault("throttle", "vault:kv-a", rate=1, retry_after=1)
        timer = threading.Timer(1.5, self.sim.clear_fault)
        timer.start()
        self.addCleanup(timer.cancel)
        start = time.monotonic()
        key = kc.get_key("tde")
        self.assertEqual(key.properties.version, KV_A_VERSION)
        self.assertGreaterEqual(time.monotonic() - start, 1.0)  # it waited for Retry-After

    def test_error_answers_the_status_with_the_services_error_body(self):
        self.sim.fault("error", "vault:kv-a", status=503)
        r = self.get_key()
        self.assertServiceError(r, 503, "ServiceUnavailable")
        self.assertTrue(r.headers.get("Retry-After"))
        self.sim.clear_fault()
        self.sim.fault("error", "arm", status=500)
        r = self.sim.arm("GET", self.arm_path())
        self.assertServiceError(r, 500, "InternalServerError")
        self.sim.clear_fault()
        # Entra ID's OAuth error shape for the login service.
        self.sim.fault("error", "login", status=503)
        r = requests.post("%s/%s/oauth2/v2.0/token" % (self.sim.authority, "organizations"),
                          data={"grant_type": "client_credentials"}, verify=self.sim.ca_file,
                          timeout=10)
        self.assertEqual(r.status_code, 503)
        self.assertEqual(r.json()["error"], "server_error")
        self.assertTrue(r.json()["error_description"])

    def test_malformed_body_is_not_json(self):
        self.sim.fault("malformed", "vault:kv-a")
        r = self.get_key()
        self.assertEqual(r.status_code, 200)
        with self.assertRaises(ValueError):
            json.loads(r.content)
        self.sim.clear_fault()
        self.sim.fault("malformed", "arm")
        r = self.sim.arm("GET", self.arm_path())
        with self.assertRaises(ValueError):
            json.loads(r.content)

    def test_truncated_body_does_not_parse(self):
        full = self.get_key().content
        self.sim.fault("truncated", "vault:kv-a")
        r = self.get_key()
        self.assertEqual(r.status_code, 200)
        self.assertLess(len(r.content), len(full))
        self.assertTrue(full.startswith(r.content))
        with self.assertRaises(ValueError):
            json.loads(r.content)

    def test_oversized_body_has_the_given_size(self):
        self.sim.fault("oversized", "vault:kv-a", bytes=5_000_000)
        r = self.get_key(timeout=30)
        self.assertEqual(r.status_code, 200)
        self.assertEqual(len(r.content), 5_000_000)
        self.assertEqual(int(r.headers["Content-Length"]), 5_000_000)
        # Still the same document: only a client's size cap protects it.
        self.assertEqual(r.json()["key"]["kid"].rsplit("/", 1)[1], KV_A_VERSION)


class StateFaultTest(FaultTestCase):
    def wrap(self):
        r = self.kv("POST", TDE + "/wrapkey", body={"alg": "RSA-OAEP", "value": b64url(b"k" * 32)})
        self.assertEqual(r.status_code, 200, r.text)
        return r.json()["value"]

    def unwrap(self, wrapped):
        return self.kv("POST", TDE + "/unwrapkey", body={"alg": "RSA-OAEP", "value": wrapped})

    def test_key_disable_refuses_unwrap(self):
        wrapped = self.wrap()
        self.sim.fault("key-disable", vault="kv-a", key="tde")
        self.assertKvError(self.unwrap(wrapped), 403, "Forbidden", "KeyDisabled")
        r = self.kv("GET", TDE)
        self.assertEqual(r.status_code, 200)
        self.assertFalse(r.json()["attributes"]["enabled"])
        self.sim.clear_fault()
        r = self.unwrap(wrapped)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertTrue(self.kv("GET", TDE).json()["attributes"]["enabled"])

    def test_key_expire_refuses_new_work_but_still_unwraps(self):
        """Outside its nbf/exp window a key refuses wrap/encrypt/sign (403 KeyExpired)
        but still unwraps: Key Vault's date-time controlled operations."""
        wrapped = self.wrap()
        exp = self.kv("GET", TDE).json()["attributes"]["exp"]
        self.sim.fault("key-expire", vault="kv-a", key="tde")
        self.assertEqual(self.unwrap(wrapped).status_code, 200)
        r = self.kv("POST", TDE + "/wrapkey", body={"alg": "RSA-OAEP", "value": "AAAA"})
        self.assertKvError(r, 403, "Forbidden", "KeyExpired")
        now = self.sim.control("GET", "/clock")["now"]
        self.assertLess(self.kv("GET", TDE).json()["attributes"]["exp"], now)
        self.sim.clear_fault()
        self.assertEqual(self.kv("GET", TDE).json()["attributes"]["exp"], exp)

    def test_key_delete_moves_the_key_to_deleted_keys(self):
        self.sim.fault("key-delete", vault="kv-a", key="tde")
        self.assertKvError(self.kv("GET", "/keys/tde"), 404, "KeyNotFound")
        r = self.kv("GET", "/deletedkeys/tde")
        self.assertEqual(r.status_code, 200, r.text)
        self.assertTrue(r.json()["recoveryId"].endswith("/deletedkeys/tde"))
        self.sim.clear_fault()
        self.assertEqual(self.kv("GET", "/keys/tde").status_code, 200)
        self.assertEqual(self.kv("GET", "/deletedkeys/tde").status_code, 404)

    def test_vault_delete_drops_connections_to_the_vault(self):
        self.sim.fault("vault-delete", vault="kv-a")
        with self.assertRaises(requests.exceptions.ConnectionError):
            self.get_key()
        self.assertEqual(self.get_key("kv-b", "/keys").status_code, 200)
        self.sim.clear_fault()
        self.assertEqual(self.get_key().status_code, 200)

    def test_vault_delete_arm_get_answers_404(self):
        path = ("/subscriptions/%s/resourceGroups/rg-test/providers/Microsoft.KeyVault/vaults/%%s"
                % SUB)
        if self.sim.arm("GET", path % "kv-b", api="2023-07-01").status_code != 200:
            self.skipTest("Microsoft.KeyVault control plane (sim/armkv.c) does not serve "
                          "GET vault yet")
        self.assertEqual(self.sim.arm("GET", path % "kv-a", api="2023-07-01").status_code, 200)
        self.sim.fault("vault-delete", vault="kv-a")
        r = self.sim.arm("GET", path % "kv-a", api="2023-07-01")
        self.assertServiceError(r, 404, "ResourceNotFound")
        self.sim.clear_fault()
        self.assertEqual(self.sim.arm("GET", path % "kv-a", api="2023-07-01").status_code, 200)

    def test_revoke_denies_that_principal_only(self):
        self.assertEqual(self.kv("GET", TDE, principal="reader").status_code, 200)
        self.sim.fault("revoke", vault="kv-a", principal="reader")
        self.assertKvError(self.kv("GET", TDE, principal="reader"), 403, "Forbidden",
                           "AccessDenied")
        self.assertEqual(self.kv("GET", TDE).status_code, 200)  # the operator keeps access
        self.sim.clear_fault()
        self.assertEqual(self.kv("GET", TDE, principal="reader").status_code, 200)

    def test_rbac_flip_forbids_callers_without_a_role(self):
        self.sim.fault("rbac-flip", vault="kv-a")
        self.assertKvError(self.kv("GET", TDE), 403, "Forbidden", "ForbiddenByRbac")
        self.sim.clear_fault()
        self.assertEqual(self.kv("GET", TDE).status_code, 200)

    def test_pe_state_is_an_outage_for_that_region_only(self):
        self.sim.control("POST", "/model/check")
        self.sim.fault("pe-state", pe="pe-kv-sql-a-eastus2", status="Disconnected")
        self.sim.advance(600)
        self.assertEqual(self.sim.model("mi-a")["access"], "secondary")
        self.assertEqual(self.sim.model("mi-b")["access"], "ok")
        # The console's path does not go through the endpoint.
        self.assertEqual(self.get_key("kv-sql-a", "/keys/tde").status_code, 200)
        self.sim.clear_fault()
        self.sim.advance(600)
        self.assertEqual(self.sim.model("mi-a")["access"], "ok")

    def test_read_only_refuses_writes_and_serves_reads(self):
        self.sim.fault("read-only", vault="kv-a")
        r = self.kv("POST", "/keys/ro-test/create", body={"kty": "RSA", "key_size": 2048})
        self.assertKvError(r, 503, "ServiceUnavailable")
        self.assertTrue(r.headers.get("Retry-After"))
        self.assertEqual(self.kv("GET", TDE).status_code, 200)
        self.assertEqual(self.kv("GET", "/keys/ro-test").status_code, 404)
        self.sim.clear_fault()
        r = self.kv("POST", "/keys/ro-test/create", body={"kty": "RSA", "key_size": 2048})
        self.assertEqual(r.status_code, 200, r.text)


class FaultMachineryTest(FaultTestCase):
    def test_console_view_affects_http_clients_not_the_model(self):
        self.sim.control("POST", "/model/check")
        self.sim.fault("refused", "vault:kv-sql-a@console")
        with self.assertRaises(requests.exceptions.ConnectionError):
            self.get_key("kv-sql-a", "/keys/tde")
        self.sim.advance(600)
        self.assertEqual(self.sim.model("mi-a")["access"], "ok")

    def test_region_view_affects_the_model_not_http_clients(self):
        self.sim.control("POST", "/model/check")
        self.sim.fault("refused", "vault:kv-sql-a@eastus2")
        self.assertEqual(self.get_key("kv-sql-a", "/keys/tde").status_code, 200)
        self.sim.advance(600)
        self.assertEqual(self.sim.model("mi-a")["access"], "secondary")
        self.assertEqual(self.sim.model("mi-b")["access"], "ok")
        self.sim.clear_fault()
        self.sim.advance(600)
        self.assertEqual(self.sim.model("mi-a")["access"], "ok")

    def test_faults_with_a_duration_expire_on_their_own(self):
        net = self.sim.fault("refused", "vault:kv-a@console", duration_seconds=1)
        state = self.sim.fault("key-disable", vault="kv-a", key="tde", duration_seconds=1)
        listed = {f["id"]: f for f in self.faults()}
        for fid in (net, state):
            self.assertIn(fid, listed)
            self.assertGreater(listed[fid]["expires_in_seconds"], 0)
            self.assertLessEqual(listed[fid]["expires_in_seconds"], 1)
        self.assertTrue(poll(lambda: self.faults() == [], timeout=4), self.faults())
        # Both undone: the vault answers and the key is enabled again.
        self.assertTrue(self.kv("GET", TDE).json()["attributes"]["enabled"])

    def test_clearing_all_faults_undoes_everything(self):
        self.sim.fault("latency", "arm", ms=10)
        self.sim.fault("refused", "vault:kv-a@console")
        self.sim.fault("revoke", vault="kv-b", principal="operator")
        self.assertEqual(len(self.faults()), 3)
        r = self.ctl_raw("DELETE", "/faults")
        self.assertEqual(r.status_code, 204)
        self.assertEqual(self.faults(), [])
        self.assertEqual(self.get_key().status_code, 200)
        self.assertEqual(self.get_key("kv-b", "/keys").status_code, 200)
        # Clearing one that is gone answers 404.
        r = self.ctl_raw("DELETE", "/faults/f999999")
        self.assertEqual(r.status_code, 404)

    def test_bad_fault_specs_are_refused_with_a_message(self):
        cases = [
            ({"kind": "nope", "target": "arm"}, "unknown fault kind"),
            ({"target": "arm"}, "unknown fault kind"),
            ({"kind": "latency"}, "needs a target"),
            ({"kind": "latency", "target": "vault:"}, "target must be"),
            ({"kind": "latency", "target": "listener:ftp"}, "target must be"),
            ({"kind": "latency", "target": "nowhere"}, "target must be"),
            ({"kind": "latency", "target": "arm", "ms": -1}, "out of range"),
            ({"kind": "error", "target": "arm", "status": 200}, "out of range"),
            ({"kind": "throttle", "target": "arm", "rate": 2}, "out of range"),
            ({"kind": "slow", "target": "arm", "bytes_per_second": 0}, "out of range"),
            ({"kind": "tls", "target": "vault:kv-a"}, "listener"),
            ({"kind": "latency", "target": "arm", "duration_seconds": -5}, "duration_seconds"),
            ({"kind": "key-disable", "vault": "kv-a"}, '"key"'),
            ({"kind": "key-disable", "key": "tde"}, '"vault"'),
            ({"kind": "key-disable", "vault": "nope", "key": "tde"}, "no vault"),
            ({"kind": "key-disable", "vault": "kv-a", "key": "nope"}, "no key version"),
            ({"kind": "key-delete", "vault": "kv-a", "key": "nope"}, "no live key"),
            ({"kind": "revoke", "vault": "kv-a"}, '"principal"'),
            ({"kind": "revoke", "vault": "kv-a", "principal": "ghost"}, "no principal"),
            ({"kind": "pe-state", "pe": "pe-kv-sql-a-eastus2", "status": "Approved"},
             "status must be"),
            ({"kind": "pe-state", "pe": "nope", "status": "Disconnected"},
             "no private endpoint"),
            ({"kind": "rbac-flip"}, '"vault"'),
        ]
        for spec, needle in cases:
            with self.subTest(spec=spec):
                r = self.ctl_raw("POST", "/faults", body=spec)
                self.assertEqual(r.status_code, 400, r.text)
                error = r.json()["error"]
                self.assertEqual(error["code"], "BadRequest")
                self.assertIn(needle, error["message"])
        for raw in ("not json", "[1, 2]", ""):
            with self.subTest(raw=raw):
                r = self.ctl_raw("POST", "/faults", raw=raw)
                self.assertEqual(r.status_code, 400, r.text)
                self.assertTrue(r.json()["error"]["message"])
        self.assertEqual(self.faults(), [])  # none of them was added

    def test_a_second_state_fault_on_the_same_thing_is_refused(self):
        first = self.sim.fault("revoke", vault="kv-b", principal="reader")
        for spec in ({"kind": "rbac-flip", "vault": "kv-b"},
                     {"kind": "revoke", "vault": "kv-b", "principal": "operator"},
                     {"kind": "vault-delete", "vault": "kv-b"}):
            with self.subTest(spec=spec):
                r = self.ctl_raw("POST", "/faults", body=spec)
                self.assertEqual(r.status_code, 400, r.text)
                self.assertIn(first, r.json()["error"]["message"])
        # Another vault is another thing.
        self.sim.fault("rbac-flip", vault="kv-eu")
        self.sim.clear_fault(first)
        self.sim.fault("rbac-flip", vault="kv-b")
        self.assertEqual(len(self.faults()), 2)

    def test_mistyped_fault_parameters_are_refused(self):
        # A parameter of the wrong type, a misspelt parameter or a view that is neither
        # "console" nor a region of the scenario would otherwise silently inject something
        # else than asked (the default 1000 ms, or nothing at all).
        cases = [
            ({"kind": "latency", "target": "arm", "ms": "800"}, "ms"),
            ({"kind": "latency", "target": "arm", "msec": 800}, "msec"),
            ({"kind": "refused", "target": "vault:kv-a@mars"}, "mars"),
        ]
        for spec, needle in cases:
            with self.subTest(spec=spec):
                r = self.ctl_raw("POST", "/faults", body=spec)
                self.assertEqual(r.status_code, 400, "accepted %s: %s" % (spec, r.text))
                self.assertIn(needle, r.json()["error"]["message"])

    def test_wrong_admin_token_is_refused(self):
        for token in ("wrong", "", False, self.sim.info["control_token"] + "x"):
            with self.subTest(token=token):
                r = self.ctl_raw("POST", "/faults", body={"kind": "refused", "target": "arm"},
                                 token=token)
                self.assertEqual(r.status_code, 401, r.text)
                self.assertEqual(r.json()["error"]["code"], "Unauthorized")
                r = self.ctl_raw("GET", "/model", token=token)
                self.assertEqual(r.status_code, 401)
        self.assertEqual(self.faults(), [])


class CliTest(FaultTestCase):
    def cli(self, *args, ready=True):
        cmd = [AZSIM, *args]
        if ready:
            cmd += ["--ready-file", os.path.join(self.sim.tmp.name, "ready.json")]
        env = {k: v for k, v in os.environ.items() if not k.startswith("AZSIM_")}
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)

    def test_fault_clock_and_model_commands(self):
        r = self.cli("fault", "add", "latency", "vault:kv-a", "ms=100")
        self.assertEqual(r.returncode, 0, r.stderr)
        added = json.loads(r.stdout)
        self.assertEqual((added["kind"], added["target"], added["ms"]),
                         ("latency", "vault:kv-a", 100))
        self.assertTrue(added["id"])
        r = self.cli("fault", "add", "revoke", "vault=kv-b", "principal=reader")
        self.assertEqual(r.returncode, 0, r.stderr)
        second = json.loads(r.stdout)["id"]

        r = self.cli("fault", "list")
        self.assertEqual(r.returncode, 0, r.stderr)
        ids = [f["id"] for f in json.loads(r.stdout)["value"]]
        self.assertEqual(sorted(ids), sorted([added["id"], second]))
        self.assertEqual(sorted(f["id"] for f in self.faults()), sorted(ids))

        r = self.cli("fault", "clear", second)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([f["id"] for f in self.faults()], [added["id"]])
        r = self.cli("fault", "clear", "--all")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.faults(), [])

        before = self.sim.control("GET", "/clock")["now"]
        r = self.cli("clock", "advance", "10m")
        self.assertEqual(r.returncode, 0, r.stderr)
        after = json.loads(r.stdout)["now"]
        self.assertGreaterEqual(after - before, 600)
        self.assertLess(after - before, 660)

        r = self.cli("model")
        self.assertEqual(r.returncode, 0, r.stderr)
        names = sorted(mi["name"] for mi in json.loads(r.stdout)["instances"])
        self.assertEqual(names, ["mi-a", "mi-b"])

    def test_cli_failures_exit_nonzero(self):
        r = self.cli("fault", "add", "nope", "arm")
        self.assertEqual(r.returncode, 1)
        self.assertIn("unknown fault kind", r.stdout + r.stderr)
        r = self.cli("fault", "clear", "f999999")
        self.assertEqual(r.returncode, 1)
        r = self.cli("clock", "advance", "ten minutes")
        self.assertEqual(r.returncode, 2)
        self.assertIn("usage", r.stderr)
        r = self.cli("fault")
        self.assertEqual(r.returncode, 2)
        r = self.cli("model", ready=False)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--ready-file", r.stderr)
        r = self.cli("model", "--control", "http://127.0.0.1:%d" % self.sim.info["control_port"],
                     "--token", "wrong", ready=False)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(self.faults(), [])


class LifecycleTest(unittest.TestCase):
    """Faults and the process: stopping with faults still active."""

    def setUp(self):
        warnings.filterwarnings("ignore", message="unclosed", category=ResourceWarning)

    def test_stops_promptly_while_a_blackhole_holds_a_connection(self):
        sim = Azsim().start()
        self.addCleanup(sim.tmp.cleanup)
        try:
            sim.fault("blackhole", "vault:kv-a")
            with self.assertRaises(requests.exceptions.ReadTimeout):
                requests.get(sim.vault_url("kv-a") + "/keys", params={"api-version": "7.4"},
                             verify=sim.ca_file, timeout=(2, 1))
            sim.proc.send_signal(signal.SIGTERM)
            try:
                rc = sim.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.fail("azsim did not stop within 10 s of SIGTERM while a blackholed "
                          "connection was held (it holds it up to 120 s)")
            self.assertEqual(rc, 0, sim.stderr()[-3000:])
        finally:
            if sim.proc.poll() is None:
                sim.proc.kill()
                sim.proc.wait()
            sim.proc = None

    def test_state_faults_do_not_outlive_the_process(self):
        import shutil
        import tempfile
        state = tempfile.mkdtemp(prefix="azsim-fault-state-")
        self.addCleanup(shutil.rmtree, state, True)
        with Azsim(state_dir=state) as sim:
            sim.fault("key-disable", vault="kv-a", key="tde")
            self.assertFalse(sim.key_client("kv-a").get_key("tde").properties.enabled)
        with Azsim(state_dir=state) as sim:
            # Faults live in memory only; a restarted azsim has none, and so none of their
            # changes either (otherwise nothing can ever clear them).
            self.assertEqual(sim.control("GET", "/faults")["value"], [])
            self.assertTrue(sim.key_client("kv-a").get_key("tde").properties.enabled,
                            "the key-disable fault's change outlived the fault")


if __name__ == "__main__":
    unittest.main()
