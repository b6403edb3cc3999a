"""Conformance: Microsoft's Python SDK (Debian python3-azure: azure-keyvault-keys 4.8.0b3,
azure-identity 1.13.0b2, azure-core 1.26.3) drives azsim as it would drive Azure.

The SDK is not patched: it is pointed at azsim (authority host, vault URL, instance discovery
off) and told to trust azsim's CA, nothing else. Where the SDK has an operation, the SDK does
it; raw HTTP (the harness's kv()) is used only for what the SDK cannot express (a service-side
wrap, explicit page sizes, nextLink following) and to look at the wire.

Every assertion states Azure's behaviour (azure-protocol.md sections 2 and 3, the recordings in
shared/azure-recordings, the official examples, and what the SDK itself expects). Run with
/usr/bin/python3; see tests/pylib/azsim.py for the environment.
"""

import base64
import datetime
import hashlib
import os
import re
import tempfile
import time
import unittest
import uuid
import warnings
from unittest import mock

import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from azure.core.exceptions import (ClientAuthenticationError, HttpResponseError,
                                   ResourceExistsError, ResourceNotFoundError)
from azure.identity import (CertificateCredential, ClientSecretCredential,
                            ManagedIdentityCredential)
from azure.keyvault.keys import (ApiVersion, KeyClient, KeyRotationLifetimeAction,
                                 KeyRotationPolicy, KeyRotationPolicyAction)
from azure.keyvault.keys.crypto import (CryptographyClient, EncryptionAlgorithm,
                                        KeyWrapAlgorithm, SignatureAlgorithm)

from azsim import (MI_CLIENT, PRINCIPALS, TENANT, AzsimTestCase, base_scenario,
                   jwk_from_private_key, make_certificate, unique)

DEFAULT_RSA_OPS = ["decrypt", "encrypt", "sign", "unwrapKey", "verify", "wrapKey"]
DAY = datetime.timedelta(days=1)
VERSION_RE = re.compile(r"^[0-9a-f]{32}$")

# Local RSA keys are slow-ish to generate in Python: make each size once per run.
_LOCAL_KEYS = {}


def local_key(tag="a", bits=2048):
    if (tag, bits) not in _LOCAL_KEYS:
        _LOCAL_KEYS[(tag, bits)] = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return _LOCAL_KEYS[(tag, bits)]


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text):
    """Key Vault answers base64url without padding; accept standard base64 and padding too."""
    text = text.replace("+", "-").replace("/", "_").rstrip("=")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def as_int(raw):
    return int.from_bytes(raw, "big")


def values(items):
    """Plain strings of a list of SDK enums or strings, sorted."""
    return sorted(getattr(i, "value", i) for i in items or [])


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


class SdkTestCase(AzsimTestCase):
    """Shared helpers: SDK clients for any credential, the request log, raw paging."""

    def setUp(self):
        # The SDK clients made per test keep their connection pools until collected.
        warnings.filterwarnings("ignore", message="unclosed", category=ResourceWarning)

    def kid_re(self, vault, name):
        return re.compile(r"^%s/keys/%s/[0-9a-f]{32}$" % (re.escape(self.sim.vault_url(vault)),
                                                         re.escape(name)))

    def client(self, vault, credential, **kwargs):
        return KeyClient(self.sim.vault_url(vault), credential, connection_verify=self.sim.ca_file,
                         **kwargs)

    def crypto(self, key, principal="operator", **kwargs):
        return CryptographyClient(key, self.sim.credential(principal),
                                  connection_verify=self.sim.ca_file, **kwargs)

    def logged(self, vault, method, path_regex, settle=True):
        """Statuses of the requests azsim logged for vault, method and a path matching
        path_regex (full match). azsim logs a request when it has answered it, so give a
        request the client has already seen answered a moment to reach the log."""
        line_re = re.compile(r"\shttps (\d{3}) %s %s\.vault\.[^/\s]+(/\S*)" %
                             (method, re.escape(vault)))
        path_re = re.compile(path_regex)
        deadline = time.time() + (1.0 if settle else 0)
        while True:
            found = []
            for line in self.sim.stderr().splitlines():
                m = line_re.search(line)
                if m and path_re.fullmatch(m.group(2)):
                    found.append(int(m.group(1)))
            if found or time.time() >= deadline:
                return found
            time.sleep(0.05)

    def log_tail(self, lines=30):
        return "\n--- azsim log (tail) ---\n" + "\n".join(self.sim.stderr().splitlines()[-lines:])

    def versions(self, kc, name):
        return {p.version for p in kc.list_properties_of_key_versions(name)}

    def raw_pages(self, vault, path, maxresults, api="7.4"):
        """Follows nextLink verbatim from GET path?maxresults=N; returns the list of page bodies."""
        token = self.sim.token()
        r = self.sim.kv("GET", vault, path, token=token, api=api,
                        params={"maxresults": str(maxresults)})
        self.assertEqual(r.status_code, 200, r.text)
        pages = [r.json()]
        while pages[-1].get("nextLink"):
            link = pages[-1]["nextLink"]
            # Absolute, for this listing (Azure may spell the host differently, e.g. ":443").
            self.assertTrue(link.startswith("https://%s.vault." % vault), link)
            self.assertIn(path + "?", link)
            self.assertLess(len(pages), 100, "nextLink never ends")
            r = requests.get(link, headers={"Authorization": "Bearer " + token},
                             verify=self.sim.ca_file, timeout=60)
            self.assertEqual(r.status_code, 200, r.text)
            pages.append(r.json())
        self.assertIn("nextLink", pages[-1], "the last page must carry \"nextLink\": null")
        self.assertIsNone(pages[-1]["nextLink"])
        return pages


# ---------------------------------------------------------------------------------------------
# Key lifecycle through KeyClient
# ---------------------------------------------------------------------------------------------
class KeyLifecycleTest(SdkTestCase):

    def setUp(self):
        super().setUp()
        self.kc = self.sim.key_client("kv-a")

    # 1 ------------------------------------------------------------------------------------
    def test_create_rsa_keys_and_get_them_back(self):
        name = unique("create")
        nbf = utcnow() - datetime.timedelta(hours=1)
        exp = utcnow() + 365 * DAY
        key = self.kc.create_rsa_key(name, size=2048, hardware_protected=True,
                                     key_operations=["wrapKey", "unwrapKey"],
                                     tags={"purpose": "tde", "owner": "dba"}, enabled=False,
                                     not_before=nbf, expires_on=exp)
        self.assertRegex(key.id, self.kid_re("kv-a", name))
        self.assertEqual(key.name, name)
        self.assertRegex(key.properties.version, VERSION_RE)
        self.assertEqual(key.key_type, "RSA-HSM")
        self.assertEqual(values(key.key_operations), ["unwrapKey", "wrapKey"])
        self.assertEqual(len(key.key.n), 256)
        self.assertEqual(as_int(key.key.e), 65537)
        for private in ("d", "p", "q", "dp", "dq", "qi"):
            self.assertIsNone(getattr(key.key, private), "Key Vault never returns private parts")
        props = key.properties
        self.assertFalse(props.enabled)
        self.assertEqual(props.not_before, nbf)
        self.assertEqual(props.expires_on, exp)
        self.assertEqual(props.tags, {"purpose": "tde", "owner": "dba"})
        self.assertEqual(props.recovery_level, "Recoverable")  # 90 days + purge protection
        self.assertEqual(props.recoverable_days, 90)
        self.assertLess(abs((props.created_on - utcnow()).total_seconds()), 300)
        self.assertEqual(props.created_on, props.updated_on)
        self.assertIs(props.managed, None)

        latest = self.kc.get_key(name)
        self.assertEqual(latest.id, key.id)
        self.assertEqual(latest.key.n, key.key.n)
        self.assertEqual(latest.key_type, "RSA-HSM")
        self.assertEqual(values(latest.key_operations), ["unwrapKey", "wrapKey"])
        self.assertEqual((latest.properties.enabled, latest.properties.not_before,
                          latest.properties.expires_on, latest.properties.tags),
                         (False, nbf, exp, {"purpose": "tde", "owner": "dba"}))
        by_version = self.kc.get_key(name, key.properties.version)
        self.assertEqual((by_version.id, by_version.key.n), (key.id, key.key.n))
        # Key names are case-insensitive in the service.
        self.assertEqual(self.kc.get_key(name.upper()).key.n, key.key.n)

        # 3072 bits, default operations (all six for RSA), enabled by default.
        big_name = unique("create3k")
        big = self.kc.create_rsa_key(big_name, size=3072, hardware_protected=True)
        self.assertEqual((big.key_type, len(big.key.n)), ("RSA-HSM", 384))
        self.assertEqual(values(big.key_operations), DEFAULT_RSA_OPS)
        self.assertTrue(big.properties.enabled)
        self.assertIsNone(big.properties.expires_on)
        self.assertIsNone(big.properties.not_before)
        self.assertEqual(len(self.kc.get_key(big_name, big.properties.version).key.n), 384)

        # Software-protected key; creating again under the same name adds a version.
        soft_name = unique("soft")
        soft1 = self.kc.create_rsa_key(soft_name, size=2048)
        self.assertEqual(soft1.key_type, "RSA")
        soft2 = self.kc.create_rsa_key(soft_name, size=2048)
        self.assertNotEqual(soft1.properties.version, soft2.properties.version)
        self.assertNotEqual(soft1.key.n, soft2.key.n)
        self.assertEqual(self.kc.get_key(soft_name).id, soft2.id)
        self.assertEqual(self.kc.get_key(soft_name, soft1.properties.version).key.n, soft1.key.n)
        self.assertEqual(self.versions(self.kc, soft_name),
                         {soft1.properties.version, soft2.properties.version})

    def test_create_with_unsupported_size_is_bad_parameter(self):
        with self.assertRaises(HttpResponseError) as cm:
            self.kc.create_rsa_key(unique("tiny"), size=1024)
        self.assertSdkError(cm.exception, 400, "BadParameter")

    def test_get_missing_key_and_version_is_key_not_found(self):
        with self.assertRaises(ResourceNotFoundError) as cm:
            self.kc.get_key(unique("missing"))
        error = self.assertSdkError(cm.exception, 404, "KeyNotFound")
        self.assertIn("was not found in this key vault", error["message"])
        name = unique("onever")
        self.kc.create_rsa_key(name)
        with self.assertRaises(ResourceNotFoundError) as cm:
            self.kc.get_key(name, "0" * 32)
        self.assertSdkError(cm.exception, 404, "KeyNotFound")

    # 2 ------------------------------------------------------------------------------------
    def test_import_key_from_local_private_key(self):
        priv = local_key("import")
        pub = priv.public_key().public_numbers()
        name = unique("import")
        first = self.kc.import_key(name, jwk_from_private_key(priv), hardware_protected=True,
                                   tags={"origin": "local"})
        self.assertRegex(first.id, self.kid_re("kv-a", name))
        self.assertEqual(first.key_type, "RSA-HSM")
        self.assertEqual(as_int(first.key.n), pub.n)
        self.assertEqual(as_int(first.key.e), pub.e)
        self.assertIsNone(first.key.d)
        self.assertIsNone(first.key.p)
        # ImportKey-example.json: no key_ops in the JWK gives all six operations.
        self.assertEqual(values(first.key_operations), DEFAULT_RSA_OPS)
        self.assertEqual(first.properties.tags, {"origin": "local"})
        self.assertTrue(first.properties.enabled)

        got = self.kc.get_key(name)
        self.assertEqual((got.id, as_int(got.key.n)), (first.id, pub.n))

        second = self.kc.import_key(name, jwk_from_private_key(priv, key_ops=["wrapKey",
                                                                              "unwrapKey"]))
        self.assertNotEqual(second.properties.version, first.properties.version)
        self.assertEqual(second.key_type, "RSA")  # not hardware-protected this time
        self.assertEqual(values(second.key_operations), ["unwrapKey", "wrapKey"])
        self.assertEqual(as_int(second.key.n), pub.n)
        self.assertEqual(self.kc.get_key(name).id, second.id)
        self.assertEqual(self.versions(self.kc, name),
                         {first.properties.version, second.properties.version})

    def test_import_of_inconsistent_key_is_bad_parameter(self):
        jwk = jwk_from_private_key(local_key("import"))
        jwk.n = jwk_from_private_key(local_key("other")).n  # modulus of another key
        with self.assertRaises(HttpResponseError) as cm:
            self.kc.import_key(unique("badimport"), jwk)
        self.assertSdkError(cm.exception, 400, "BadParameter")

    # 3 ------------------------------------------------------------------------------------
    def test_paged_version_listing(self):
        name = unique("paged")
        jwk = jwk_from_private_key(local_key("paged"))
        made = [self.kc.import_key(name, jwk).properties.version for _ in range(30)]
        self.assertEqual(len(set(made)), 30)

        # The SDK's own paging (max_page_size is sent as maxresults; it follows nextLink).
        pages = list(self.kc.list_properties_of_key_versions(name, max_page_size=5).by_page())
        page_items = [list(p) for p in pages]
        listed = [item for page in page_items for item in page]
        self.assertEqual(sorted(p.version for p in listed), sorted(made))
        self.assertGreaterEqual(len(page_items), 6)
        for page in page_items:
            self.assertLessEqual(len(page), 5)
        for props in listed:
            self.assertEqual(props.name, name)
            self.assertEqual(props.id, "%s/keys/%s/%s" % (self.sim.vault_url("kv-a"), name,
                                                          props.version))
            self.assertTrue(props.enabled)
        # Without a page size the SDK still gets all 30 (25 per page at most).
        self.assertEqual(self.versions(self.kc, name), set(made))

        # On the wire: maxresults=5, nextLink followed verbatim, the last one null.
        raw = self.raw_pages("kv-a", "/keys/%s/versions" % name, 5)
        kids = [item["kid"] for page in raw for item in page["value"]]
        self.assertEqual(len(kids), 30)
        self.assertEqual(sorted(k.rsplit("/", 1)[1] for k in kids), sorted(made))
        for page in raw:
            self.assertLessEqual(len(page["value"]), 5)
            for item in page["value"]:
                self.assertNotIn("key", item, "list items carry no key material")
                self.assertIn("attributes", item)

        # maxresults must be 1..25.
        r = self.sim.kv("GET", "kv-a", "/keys/%s/versions" % name, params={"maxresults": "26"})
        self.assertKvError(r, 400, "BadParameter")
        # Versions of a key that does not exist: Key Vault answers 200 with an empty list.
        self.assertEqual(list(self.kc.list_properties_of_key_versions(unique("none"))), [])

    def test_list_keys(self):
        names = sorted(unique("listed") for _ in range(4))
        created = {n: self.kc.create_rsa_key(n, tags={"n": n}) for n in names}
        pages = [list(p) for p in self.kc.list_properties_of_keys(max_page_size=3).by_page()]
        for page in pages:
            self.assertLessEqual(len(page), 3)
        listed = {p.name: p for page in pages for p in page}
        for n in names:
            self.assertIn(n, listed)
            props = listed[n]
            # /keys items name the key without a version.
            self.assertEqual(props.id, "%s/keys/%s" % (self.sim.vault_url("kv-a"), n))
            self.assertIsNone(props.version)
            self.assertEqual(props.tags, {"n": n})
            self.assertEqual(props.created_on, created[n].properties.created_on)
        self.assertIn("tde", listed)  # the scenario's key
        raw = self.raw_pages("kv-a", "/keys", 2)
        raw_kids = [item["kid"] for page in raw for item in page["value"]]
        self.assertEqual(len(raw_kids), len(set(raw_kids)))
        self.assertEqual(set(raw_kids), {p.id for p in listed.values()})

    # 4 ------------------------------------------------------------------------------------
    def test_update_key_properties(self):
        name = unique("update")
        v1 = self.kc.create_rsa_key(name, tags={"a": "1"})
        v2 = self.kc.create_rsa_key(name, tags={"a": "1"})
        nbf = utcnow() - DAY
        exp = utcnow() + 30 * DAY
        updated = self.kc.update_key_properties(
            name, enabled=False, not_before=nbf, expires_on=exp, tags={"b": "2"},
            key_operations=["wrapKey", "unwrapKey", "encrypt"])
        self.assertEqual(updated.id, v2.id, "no version given: the latest is updated")
        self.assertFalse(updated.properties.enabled)
        self.assertEqual(updated.properties.not_before, nbf)
        self.assertEqual(updated.properties.expires_on, exp)
        self.assertEqual(updated.properties.tags, {"b": "2"}, "tags are replaced, not merged")
        self.assertEqual(values(updated.key_operations), ["encrypt", "unwrapKey", "wrapKey"])
        self.assertEqual(updated.key.n, v2.key.n)
        self.assertGreaterEqual(updated.properties.updated_on, v2.properties.updated_on)
        self.assertEqual(updated.properties.created_on, v2.properties.created_on)

        got = self.kc.get_key(name)
        self.assertEqual((got.properties.enabled, got.properties.not_before,
                          got.properties.expires_on, got.properties.tags,
                          values(got.key_operations)),
                         (False, nbf, exp, {"b": "2"}, ["encrypt", "unwrapKey", "wrapKey"]))
        # The other version is untouched.
        old = self.kc.get_key(name, v1.properties.version)
        self.assertTrue(old.properties.enabled)
        self.assertEqual(old.properties.tags, {"a": "1"})
        self.assertEqual(values(old.key_operations), DEFAULT_RSA_OPS)

        # Update a given version; omitted fields stay as they are.
        again = self.kc.update_key_properties(name, v1.properties.version, enabled=False)
        self.assertEqual(again.id, v1.id)
        self.assertFalse(again.properties.enabled)
        self.assertEqual(again.properties.tags, {"a": "1"})
        back = self.kc.update_key_properties(name, enabled=True)
        self.assertTrue(back.properties.enabled)
        self.assertEqual(back.properties.tags, {"b": "2"})
        self.assertEqual(back.properties.expires_on, exp)

        with self.assertRaises(ResourceNotFoundError) as cm:
            self.kc.update_key_properties(unique("nokey"), enabled=False)
        self.assertSdkError(cm.exception, 404, "KeyNotFound")

    # 5 ------------------------------------------------------------------------------------
    def test_soft_delete_and_recover_with_sdk_pollers(self):
        name = unique("softdel")
        v1 = self.kc.create_rsa_key(name)
        v2 = self.kc.create_rsa_key(name)
        before = self.versions(self.kc, name)

        poller = self.kc.begin_delete_key(name)
        deleted = poller.result()
        self.assertEqual(deleted.recovery_id,
                         "%s/deletedkeys/%s" % (self.sim.vault_url("kv-a"), name))
        self.assertEqual(deleted.id, v2.id)
        self.assertEqual(deleted.key.n, v2.key.n)
        self.assertEqual(deleted.scheduled_purge_date - deleted.deleted_date, 90 * DAY)
        self.assertLess(abs((deleted.deleted_date - utcnow()).total_seconds()), 300)
        poller.wait()
        self.assertTrue(poller.done())

        got = self.kc.get_deleted_key(name)
        self.assertEqual((got.id, got.recovery_id, got.deleted_date, got.scheduled_purge_date),
                         (v2.id, deleted.recovery_id, deleted.deleted_date,
                          deleted.scheduled_purge_date))
        self.assertEqual(got.properties.recovery_level, "Recoverable")
        listed = {d.name: d for d in self.kc.list_deleted_keys()}
        self.assertIn(name, listed)
        self.assertEqual(listed[name].recovery_id, deleted.recovery_id)
        self.assertEqual(listed[name].scheduled_purge_date, deleted.scheduled_purge_date)
        self.assertNotIn(name, {p.name for p in self.kc.list_properties_of_keys()})

        with self.assertRaises(ResourceNotFoundError) as cm:
            self.kc.get_key(name)
        self.assertSdkError(cm.exception, 404, "KeyNotFound")
        with self.assertRaises(ResourceExistsError) as cm:
            self.kc.create_rsa_key(name)
        self.assertSdkError(cm.exception, 409, "Conflict", "ObjectIsDeletedButRecoverable")
        with self.assertRaises(ResourceExistsError) as cm:
            self.kc.import_key(name, jwk_from_private_key(local_key("import")))
        self.assertSdkError(cm.exception, 409, "Conflict", "ObjectIsDeletedButRecoverable")
        # kv-a has purge protection.
        with self.assertRaises(HttpResponseError) as cm:
            self.kc.purge_deleted_key(name)
        error = self.assertSdkError(cm.exception, 403, "Forbidden")
        self.assertIn("purge protection", error["message"])

        recover = self.kc.begin_recover_deleted_key(name)
        recovered = recover.result()
        self.assertEqual(recovered.id, v2.id)
        recover.wait()
        self.assertTrue(recover.done())
        again = self.kc.get_key(name)
        self.assertEqual((again.id, again.key.n), (v2.id, v2.key.n))
        self.assertEqual(self.kc.get_key(name, v1.properties.version).key.n, v1.key.n)
        self.assertEqual(self.versions(self.kc, name), before)
        with self.assertRaises(ResourceNotFoundError) as cm:
            self.kc.get_deleted_key(name)  # a live key is not a deleted one
        self.assertSdkError(cm.exception, 404, "KeyNotFound")
        self.assertNotIn(name, {d.name for d in self.kc.list_deleted_keys()})
        with self.assertRaises(ResourceNotFoundError) as cm:
            self.kc.begin_recover_deleted_key(name)
        self.assertSdkError(cm.exception, 404, "KeyNotFound")
        with self.assertRaises(ResourceNotFoundError) as cm:
            self.kc.begin_delete_key(unique("nodelete"))
        self.assertSdkError(cm.exception, 404, "KeyNotFound")
        # The recovered key is fully usable: it rotates and takes updates.
        rotated = self.kc.rotate_key(name)
        self.assertNotIn(rotated.properties.version, before)
        self.assertFalse(self.kc.update_key_properties(name, enabled=False).properties.enabled)

    def test_conflict_while_delete_is_in_progress(self):
        name = unique("deleting")
        self.kc.create_rsa_key(name)
        poller = self.kc.begin_delete_key(name)
        try:
            with self.assertRaises(ResourceExistsError) as cm:
                self.kc.create_rsa_key(name)
            error = self.assertSdkError(cm.exception, 409, "Conflict")
            self.assertIn(error.get("innererror", {}).get("code"),
                          ("ObjectIsBeingDeleted", "ObjectIsDeletedButRecoverable"))
        finally:
            poller.wait()

    def test_purge_on_vault_without_purge_protection(self):
        kc = self.sim.key_client("kv-loose")
        name = unique("purge")
        kc.create_rsa_key(name)
        poller = kc.begin_delete_key(name)
        deleted = poller.result()
        self.assertEqual(deleted.properties.recovery_level, "CustomizedRecoverable+Purgeable")
        self.assertEqual(deleted.properties.recoverable_days, 7)
        self.assertEqual(deleted.scheduled_purge_date - deleted.deleted_date, 7 * DAY)
        poller.wait()
        self.assertIsNone(kc.purge_deleted_key(name))  # the SDK accepts only 204 here
        self.assertEqual(self.logged("kv-loose", "DELETE", "/deletedkeys/%s" % name), [204],
                         self.log_tail())
        with self.assertRaises(ResourceNotFoundError) as cm:
            kc.get_deleted_key(name)
        self.assertSdkError(cm.exception, 404, "KeyNotFound")
        fresh = kc.create_rsa_key(name)
        self.assertEqual(self.versions(kc, name), {fresh.properties.version})

    # 6 ------------------------------------------------------------------------------------
    def test_backup_and_restore(self):
        name = unique("backup")
        nbf = utcnow() - DAY
        v1 = self.kc.create_rsa_key(name, tags={"gen": "1"})
        v2 = self.kc.create_rsa_key(name, tags={"gen": "2"}, not_before=nbf, enabled=False)
        blob = self.kc.backup_key(name)
        self.assertIsInstance(blob, bytes)
        self.assertGreater(len(blob), 256)
        self.assertNotIn(name.encode(), blob, "the backup blob is opaque")

        kb = self.sim.key_client("kv-b")  # same subscription, same geography
        restored = kb.restore_key_backup(blob)
        self.assertEqual(restored.id, "%s/keys/%s/%s" % (self.sim.vault_url("kv-b"), name,
                                                         v2.properties.version))
        self.assertEqual(restored.key.n, v2.key.n)
        self.assertEqual(restored.key.e, v2.key.e)
        self.assertEqual(restored.properties.tags, {"gen": "2"})
        self.assertFalse(restored.properties.enabled)
        self.assertEqual(restored.properties.not_before, nbf)
        self.assertEqual(restored.properties.created_on, v2.properties.created_on)
        self.assertEqual(self.versions(kb, name), self.versions(self.kc, name))
        old = kb.get_key(name, v1.properties.version)
        self.assertEqual((old.key.n, old.properties.tags), (v1.key.n, {"gen": "1"}))

        # Another geography cannot open the blob.
        with self.assertRaises(HttpResponseError) as cm:
            self.sim.key_client("kv-eu").restore_key_backup(blob)
        error = self.assertSdkError(cm.exception, 400, "BadParameter")
        self.assertEqual(error["message"], "Cannot decrypt backup blob.")
        # Another subscription (same geography) refuses it.
        with self.assertRaises(HttpResponseError) as cm:
            self.sim.key_client("kv-sub2").restore_key_backup(blob)
        self.assertSdkError(cm.exception, 400, "BadParameter")
        # The name exists (live) in the source vault and now in kv-b.
        for vault in ("kv-a", "kv-b"):
            with self.assertRaises(ResourceExistsError) as cm:
                self.sim.key_client(vault).restore_key_backup(blob)
            self.assertSdkError(cm.exception, 409, "Conflict")
        # The name is soft-deleted in kv-b.
        kb.begin_delete_key(name).wait()
        with self.assertRaises(ResourceExistsError) as cm:
            kb.restore_key_backup(blob)
        self.assertSdkError(cm.exception, 409, "Conflict")
        # A tampered blob is refused.
        tampered = bytearray(blob)
        tampered[len(tampered) // 2] ^= 0x55
        with self.assertRaises(HttpResponseError) as cm:
            self.sim.key_client("kv-b").restore_key_backup(bytes(tampered))
        self.assertEqual(cm.exception.status_code, 400, cm.exception.response.text())

    # 7 ------------------------------------------------------------------------------------
    def test_rotate_key(self):
        name = unique("rotate")
        first = self.kc.create_rsa_key(name, hardware_protected=True,
                                       key_operations=["wrapKey", "unwrapKey"])
        rotated = self.kc.rotate_key(name)
        self.assertRegex(rotated.id, self.kid_re("kv-a", name))
        self.assertNotEqual(rotated.properties.version, first.properties.version)
        self.assertNotEqual(rotated.key.n, first.key.n)
        self.assertEqual(len(rotated.key.n), len(first.key.n))
        self.assertEqual(rotated.key_type, "RSA-HSM")
        self.assertEqual(values(rotated.key_operations), ["unwrapKey", "wrapKey"])
        self.assertEqual(self.kc.get_key(name).id, rotated.id)
        self.assertEqual(self.kc.get_key(name, first.properties.version).key.n, first.key.n)
        self.assertEqual(self.versions(self.kc, name),
                         {first.properties.version, rotated.properties.version})
        self.assertIsNone(rotated.properties.expires_on, "no policy expiry: no exp")

        # With a policy that has an expiry, the new version expires that long after now.
        self.kc.update_key_rotation_policy(
            name, KeyRotationPolicy(), expires_in="P90D",
            lifetime_actions=[KeyRotationLifetimeAction(KeyRotationPolicyAction.rotate,
                                                        time_after_create="P60D")])
        third = self.kc.rotate_key(name)
        self.assertNotIn(third.properties.version,
                         (first.properties.version, rotated.properties.version))
        self.assertIsNotNone(third.properties.expires_on)
        self.assertLess(abs((third.properties.expires_on - (utcnow() + 90 * DAY))
                            .total_seconds()), 120)
        self.assertEqual(len(self.versions(self.kc, name)), 3)

        with self.assertRaises(HttpResponseError) as cm:
            self.kc.rotate_key(unique("norotate"))
        self.assertSdkError(cm.exception, 404, "KeyNotFound")

    # 8 ------------------------------------------------------------------------------------
    def test_rotation_policy(self):
        name = unique("policy")
        self.kc.create_rsa_key(name)
        # A key that never had a policy: the service default (recording
        # GetKeyRotationPolicyReturnsDefault: one Notify 30 days before expiry, no id,
        # "attributes": null).
        default = self.kc.get_key_rotation_policy(name)
        self.assertIsNone(default.id)
        self.assertIsNone(default.expires_in)
        self.assertIsNone(default.created_on)
        self.assertIsNone(default.updated_on)
        self.assertEqual(len(default.lifetime_actions), 1)
        action = default.lifetime_actions[0]
        self.assertEqual(action.action, KeyRotationPolicyAction.notify)
        self.assertEqual(action.time_before_expiry, "P30D")
        self.assertIsNone(action.time_after_create)

        actions = [KeyRotationLifetimeAction(KeyRotationPolicyAction.rotate,
                                             time_after_create="P90D"),
                   KeyRotationLifetimeAction(KeyRotationPolicyAction.notify,
                                             time_before_expiry="P30D")]
        set_policy = self.kc.update_key_rotation_policy(name, KeyRotationPolicy(),
                                                        lifetime_actions=actions,
                                                        expires_in="P2Y")

        def shape(policy):
            return (policy.expires_in,
                    sorted((getattr(a.action, "value", a.action), a.time_after_create,
                            a.time_before_expiry) for a in policy.lifetime_actions))

        want = ("P2Y", [("Notify", None, "P30D"), ("Rotate", "P90D", None)])
        self.assertEqual(shape(set_policy), want)
        self.assertEqual(set_policy.id, "%s/keys/%s/rotationpolicy" % (self.sim.vault_url("kv-a"),
                                                                       name))
        self.assertIsNotNone(set_policy.created_on)
        self.assertIsNotNone(set_policy.updated_on)
        self.assertLess(abs((set_policy.updated_on - utcnow()).total_seconds()), 300)
        got = self.kc.get_key_rotation_policy(name)
        self.assertEqual(shape(got), want)
        self.assertEqual((got.id, got.created_on, got.updated_on),
                         (set_policy.id, set_policy.created_on, set_policy.updated_on))

        # Invalid policies: 400 BadParameter, and the policy stays as it was.
        for bad in ({"expires_in": "P10D", "lifetime_actions": actions[:1]},
                    {"expires_in": "P2Y", "lifetime_actions": [KeyRotationLifetimeAction(
                        KeyRotationPolicyAction.rotate, time_after_create="P1D")]}):
            with self.assertRaises(HttpResponseError) as cm:
                self.kc.update_key_rotation_policy(name, KeyRotationPolicy(), **bad)
            self.assertSdkError(cm.exception, 400, "BadParameter")
        self.assertEqual(shape(self.kc.get_key_rotation_policy(name)), want)

        # Reading needs getrotationpolicy (reader has it), writing setrotationpolicy (not).
        reader = self.sim.key_client("kv-a", "reader")
        self.assertEqual(shape(reader.get_key_rotation_policy(name)), want)
        with self.assertRaises(HttpResponseError) as cm:
            reader.update_key_rotation_policy(name, KeyRotationPolicy(), expires_in="P1Y",
                                              lifetime_actions=actions[:1])
        self.assertSdkError(cm.exception, 403, "Forbidden", "AccessDenied")

    # 12 -----------------------------------------------------------------------------------
    def test_every_sdk_api_version(self):
        versions = [v.value for v in ApiVersion]
        self.assertIn("7.4-preview.1", versions)
        want = self.kc.get_key("tde")
        self.assertTrue(want.id.endswith("/keys/tde/0123456789abcdef0123456789abcdef"))
        for version in versions:
            with self.subTest(api_version=version):
                kc = self.sim.key_client("kv-a", api_version=version)
                sent = []
                key = kc.get_key("tde", raw_request_hook=lambda r: sent.append(r.http_request.url))
                self.assertTrue(sent and all("api-version=%s" % version in u for u in sent), sent)
                self.assertEqual((key.id, key.key.n, key.key_type), (want.id, want.key.n, "RSA"))
                self.assertTrue(key.properties.enabled)
                self.assertEqual(key.properties.expires_on, want.properties.expires_on)
                self.assertEqual(key.properties.recovery_level, "Recoverable")
                self.assertIn("tde", {p.name for p in kc.list_properties_of_keys()})


# ---------------------------------------------------------------------------------------------
# CryptographyClient, and crypto checked against a local private key
# ---------------------------------------------------------------------------------------------
WRAP_ALGORITHMS = [
    (KeyWrapAlgorithm.rsa_oaep, lambda: padding.OAEP(padding.MGF1(hashes.SHA1()), hashes.SHA1(),
                                                     None)),
    (KeyWrapAlgorithm.rsa_oaep_256,
     lambda: padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), None)),
    (KeyWrapAlgorithm.rsa1_5, padding.PKCS1v15),
]
SIGN_ALGORITHMS = [
    (SignatureAlgorithm.rs256, hashes.SHA256, False),
    (SignatureAlgorithm.rs384, hashes.SHA384, False),
    (SignatureAlgorithm.rs512, hashes.SHA512, False),
    (SignatureAlgorithm.ps256, hashes.SHA256, True),
    (SignatureAlgorithm.ps384, hashes.SHA384, True),
    (SignatureAlgorithm.ps512, hashes.SHA512, True),
]


def sign_padding(hash_cls, pss):
    if pss:  # RFC 7518: salt as long as the hash
        return padding.PSS(mgf=padding.MGF1(hash_cls()), salt_length=hash_cls.digest_size)
    return padding.PKCS1v15()


class CryptoTest(SdkTestCase):

    def setUp(self):
        super().setUp()
        self.kc = self.sim.key_client("kv-a")

    def service(self, op, key, body):
        """A crypto operation done by azsim (raw POST .../{version}/{op})."""
        return self.sim.kv("POST", "kv-a", "/keys/%s/%s/%s" % (key.name, key.properties.version,
                                                              op), body=body)

    # 9a -----------------------------------------------------------------------------------
    def test_sdk_wraps_locally_and_azsim_unwraps(self):
        name = unique("wrapsdk")
        key = self.kc.create_rsa_key(name)
        # Built from the key id, the client GETs the key once and then wraps locally.
        cc = self.crypto(self.kc.get_key(name).id)
        for alg, _ in WRAP_ALGORITHMS:
            with self.subTest(alg=alg.value):
                cek = os.urandom(32)
                wrapped = cc.wrap_key(alg, cek)
                self.assertEqual(wrapped.key_id, key.id)
                self.assertEqual(len(wrapped.encrypted_key), 256)
                self.assertEqual(cc.unwrap_key(alg, wrapped.encrypted_key).key, cek)
        version = key.properties.version
        path = "/keys/%s/%s/%%s" % (name, version)
        self.assertEqual(self.logged("kv-a", "POST", path % "unwrapkey"), [200] * 3,
                         self.log_tail())
        self.assertEqual(self.logged("kv-a", "POST", path % "wrapkey", settle=False), [],
                         "the SDK wraps RSA keys locally" + self.log_tail())
        self.assertIn(200, self.logged("kv-a", "GET", "/keys/%s/%s" % (name, version)),
                      self.log_tail())

        # The same round trip for an RSA-HSM key from a KeyVaultKey (no GET needed).
        hsm = self.kc.create_rsa_key(unique("wraphsm"), hardware_protected=True)
        cc = self.crypto(hsm)
        cek = os.urandom(32)
        wrapped = cc.wrap_key(KeyWrapAlgorithm.rsa_oaep_256, cek)
        self.assertEqual(cc.unwrap_key(KeyWrapAlgorithm.rsa_oaep_256, wrapped.encrypted_key).key,
                         cek)

    # 9b -----------------------------------------------------------------------------------
    def test_azsim_wraps_and_local_private_key_unwraps(self):
        priv = local_key("wrap")
        key = self.kc.import_key(unique("wraplocal"), jwk_from_private_key(priv),
                                 hardware_protected=True)
        for alg, pad in WRAP_ALGORITHMS:
            with self.subTest(alg=alg.value):
                cek = os.urandom(32)
                r = self.service("wrapkey", key, {"alg": alg.value, "value": b64url(cek)})
                self.assertEqual(r.status_code, 200, r.text)
                self.assertEqual(r.json()["kid"], key.id)
                wrapped = b64url_decode(r.json()["value"])
                self.assertEqual(len(wrapped), 256)
                self.assertEqual(priv.decrypt(wrapped, pad()), cek)
                # And azsim unwraps what the local key wrapped, through the SDK.
                local = priv.public_key().encrypt(cek, pad())
                self.assertEqual(self.crypto(key).unwrap_key(alg, local).key, cek)

    # 9c -----------------------------------------------------------------------------------
    def test_encrypt_decrypt_both_directions(self):
        priv = local_key("encrypt")
        key = self.kc.import_key(unique("encrypt"), jwk_from_private_key(priv))
        cc = self.crypto(key)
        for alg, pad in [(EncryptionAlgorithm.rsa_oaep, WRAP_ALGORITHMS[0][1]),
                         (EncryptionAlgorithm.rsa_oaep_256, WRAP_ALGORITHMS[1][1]),
                         (EncryptionAlgorithm.rsa1_5, WRAP_ALGORITHMS[2][1])]:
            with self.subTest(alg=alg.value):
                plain = os.urandom(48)
                # SDK (local public key) -> azsim decrypt.
                sealed = cc.encrypt(alg, plain)
                self.assertEqual(sealed.key_id, key.id)
                self.assertEqual(cc.decrypt(alg, sealed.ciphertext).plaintext, plain)
                # azsim encrypt -> local private key.
                r = self.service("encrypt", key, {"alg": alg.value, "value": b64url(plain)})
                self.assertEqual(r.status_code, 200, r.text)
                self.assertEqual(r.json()["kid"], key.id)
                self.assertEqual(priv.decrypt(b64url_decode(r.json()["value"]), pad()), plain)
                # local public key -> azsim decrypt through the SDK.
                local = priv.public_key().encrypt(plain, pad())
                self.assertEqual(cc.decrypt(alg, local).plaintext, plain)

    # 9d -----------------------------------------------------------------------------------
    def test_sign_at_azsim_verify_locally_and_with_sdk(self):
        priv = local_key("sign")
        pub = priv.public_key()
        key = self.kc.import_key(unique("sign"), jwk_from_private_key(priv))
        cc = self.crypto(key)
        for alg, hash_cls, pss in SIGN_ALGORITHMS:
            with self.subTest(alg=alg.value):
                digest = hashlib.new(hash_cls.name, os.urandom(100)).digest()
                signed = cc.sign(alg, digest)  # a private-key operation: done by azsim
                self.assertEqual(signed.key_id, key.id)
                self.assertEqual(len(signed.signature), 256)
                pub.verify(signed.signature, digest, sign_padding(hash_cls, pss),
                           Prehashed(hash_cls()))  # raises InvalidSignature if wrong
                self.assertTrue(cc.verify(alg, digest, signed.signature).is_valid)
                bad = bytes([signed.signature[0] ^ 1]) + signed.signature[1:]
                self.assertFalse(cc.verify(alg, digest, bad).is_valid)
                # Service-side verify of a locally made signature.
                local = priv.sign(digest, sign_padding(hash_cls, pss), Prehashed(hash_cls()))
                r = self.service("verify", key, {"alg": alg.value, "digest": b64url(digest),
                                                 "value": b64url(local)})
                self.assertEqual(r.status_code, 200, r.text)
                self.assertIs(r.json()["value"], True)
                r = self.service("verify", key, {"alg": alg.value, "digest": b64url(digest),
                                                 "value": b64url(bad)})
                self.assertEqual(r.status_code, 200, r.text)
                self.assertIs(r.json()["value"], False)
        self.assertEqual(len(self.logged("kv-a", "POST", "/keys/%s/%s/sign" %
                                         (key.name, key.properties.version))),
                         len(SIGN_ALGORITHMS), self.log_tail())

    # 4 (crypto side) ----------------------------------------------------------------------
    def test_disabled_key_refuses_private_key_operations(self):
        key = self.kc.create_rsa_key(unique("disabled"))
        cc = self.crypto(key)
        cek = os.urandom(32)
        wrapped = cc.wrap_key(KeyWrapAlgorithm.rsa_oaep, cek).encrypted_key
        sealed = cc.encrypt(EncryptionAlgorithm.rsa_oaep, cek).ciphertext
        digest = hashlib.sha256(b"x").digest()
        signature = cc.sign(SignatureAlgorithm.rs256, digest).signature

        self.kc.update_key_properties(key.name, enabled=False)
        cc = self.crypto(key.id)
        for what, call in (("unwrapKey", lambda: cc.unwrap_key(KeyWrapAlgorithm.rsa_oaep,
                                                               wrapped)),
                           ("decrypt", lambda: cc.decrypt(EncryptionAlgorithm.rsa_oaep, sealed)),
                           ("sign", lambda: cc.sign(SignatureAlgorithm.rs256, digest))):
            with self.subTest(operation=what):
                with self.assertRaises(HttpResponseError) as cm:
                    call()
                error = self.assertSdkError(cm.exception, 403, "Forbidden", "KeyDisabled")
                self.assertEqual(error["message"],
                                 "Operation %s is not allowed on a disabled key." % what)
        # Public-key operations still work at the service on a disabled key.
        r = self.service("wrapkey", key, {"alg": "RSA-OAEP", "value": b64url(cek)})
        self.assertEqual(r.status_code, 200, r.text)
        service_wrapped = b64url_decode(r.json()["value"])
        r = self.service("encrypt", key, {"alg": "RSA-OAEP", "value": b64url(cek)})
        self.assertEqual(r.status_code, 200, r.text)
        r = self.service("verify", key, {"alg": "RS256", "digest": b64url(digest),
                                         "value": b64url(signature)})
        self.assertEqual((r.status_code, r.json().get("value")), (200, True), r.text)
        # GET still answers, showing enabled false.
        self.assertFalse(self.kc.get_key(key.name).properties.enabled)
        # Enabled again, the service-wrapped key unwraps.
        self.kc.update_key_properties(key.name, enabled=True)
        self.assertEqual(self.crypto(key.id).unwrap_key(KeyWrapAlgorithm.rsa_oaep,
                                                        service_wrapped).key, cek)

    def test_expired_and_not_yet_valid_keys_refuse_new_work_only(self):
        """Key Vault's date-time controlled operations: outside its nbf/exp window a key
        still unwraps, decrypts and verifies (data made while it was valid stays
        recoverable) but refuses to wrap, encrypt or sign anything new (403 with
        innererror KeyExpired / KeyNotYetValid). The SDK enforces the same window
        locally for the operations it does itself."""
        cek = os.urandom(32)
        for inner, change in (("KeyExpired", {"expires_on": utcnow() - DAY}),
                              ("KeyNotYetValid", {"not_before": utcnow() + DAY})):
            with self.subTest(inner=inner):
                key = self.kc.create_rsa_key(unique("window"))
                wrapped = self.crypto(key).wrap_key(KeyWrapAlgorithm.rsa_oaep_256,
                                                    cek).encrypted_key
                digest = hashlib.sha256(b"y").digest()
                signature = self.crypto(key).sign(SignatureAlgorithm.rs256, digest).signature
                changed = self.kc.update_key_properties(key.name, **change)
                for attr, value in change.items():
                    self.assertEqual(getattr(changed.properties, attr), value)
                cc = self.crypto(changed)
                # Old work keeps working at the service.
                self.assertEqual(cc.unwrap_key(KeyWrapAlgorithm.rsa_oaep_256, wrapped).key, cek)
                r = self.service("verify", changed, {"alg": "RS256", "digest": b64url(digest),
                                                     "value": b64url(signature)})
                self.assertEqual((r.status_code, r.json().get("value")), (200, True), r.text)
                # New work is refused.
                with self.assertRaises(HttpResponseError) as cm:
                    cc.sign(SignatureAlgorithm.rs256, digest)
                self.assertSdkError(cm.exception, 403, "Forbidden", inner)
                for op in ("wrapkey", "encrypt"):
                    r = self.service(op, changed, {"alg": "RSA-OAEP-256", "value": b64url(cek)})
                    self.assertKvError(r, 403, "Forbidden", inner)
                # The SDK itself refuses a local wrap outside the window, reading the
                # window from azsim's attributes.
                with self.assertRaises(ValueError):
                    cc.wrap_key(KeyWrapAlgorithm.rsa_oaep_256, cek)

    def test_operation_outside_key_ops_is_forbidden(self):
        key = self.kc.create_rsa_key(unique("wraponly"), key_operations=["wrapKey", "unwrapKey"])
        cc = self.crypto(key)
        with self.assertRaises(HttpResponseError) as cm:
            cc.sign(SignatureAlgorithm.rs256, hashlib.sha256(b"z").digest())
        error = self.assertSdkError(cm.exception, 403, "Forbidden", "KeyOperationForbidden")
        self.assertEqual(error["message"], "Operation sign is not permitted on this key.")
        with self.assertRaises(HttpResponseError) as cm:
            cc.decrypt(EncryptionAlgorithm.rsa_oaep, b"\0" * 256)
        self.assertSdkError(cm.exception, 403, "Forbidden", "KeyOperationForbidden")
        cek = os.urandom(16)
        wrapped = cc.wrap_key(KeyWrapAlgorithm.rsa_oaep, cek).encrypted_key
        self.assertEqual(cc.unwrap_key(KeyWrapAlgorithm.rsa_oaep, wrapped).key, cek)

    def test_crypto_on_every_sdk_api_version(self):
        key = self.kc.create_rsa_key(unique("apiver"))
        for version in [v.value for v in ApiVersion]:
            with self.subTest(api_version=version):
                cc = self.crypto(key.id, api_version=version)
                cek = os.urandom(32)
                wrapped = cc.wrap_key(KeyWrapAlgorithm.rsa_oaep, cek)
                self.assertEqual(cc.unwrap_key(KeyWrapAlgorithm.rsa_oaep,
                                               wrapped.encrypted_key).key, cek)


# ---------------------------------------------------------------------------------------------
# Identity (Entra ID client credentials, certificates, managed identity) and access checks
# ---------------------------------------------------------------------------------------------
CERT_CLIENT = "88888888-8888-4888-8888-888888888888"
CERT_OBJECT = "a8888888-8888-4888-8888-888888888888"


class PinnedTenantCredential:
    """A caller-written TokenCredential that always signs in to its own tenant, whatever
    tenant the vault's challenge names (so the vault, not the SDK, judges the token)."""

    def __init__(self, inner):
        self.inner = inner

    def get_token(self, *scopes, **kwargs):
        kwargs.pop("tenant_id", None)
        return self.inner.get_token(*scopes, **kwargs)


class IdentityAndAccessTest(SdkTestCase):

    @classmethod
    def setUpClass(cls):
        cls.cert_pem, cls.key_pem = make_certificate("azsim-sdk-cert-app")
        cls.other_cert_pem, cls.other_key_pem = make_certificate("azsim-sdk-impostor")
        scenario = base_scenario()
        scenario["principals"].append({"name": "certapp", "kind": "app", "tenant": TENANT,
                                       "client_id": CERT_CLIENT, "object_id": CERT_OBJECT,
                                       "certificate": cls.cert_pem})
        kv_a = next(v for v in scenario["vaults"] if v["name"] == "kv-a")
        kv_a["access_policies"].append({"principal": "certapp", "keys": ["get", "list"]})
        cls.scenario = scenario
        cls.files = tempfile.TemporaryDirectory(prefix="azsim-sdk-certs-")
        cls.cert_path = os.path.join(cls.files.name, "certapp.pem")
        with open(cls.cert_path, "w") as f:
            f.write(cls.key_pem + cls.cert_pem)
        cls.impostor_path = os.path.join(cls.files.name, "impostor.pem")
        with open(cls.impostor_path, "w") as f:
            f.write(cls.other_key_pem + cls.other_cert_pem)
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.files.cleanup()

    def cert_credential(self, path, **kwargs):
        return CertificateCredential(TENANT, CERT_CLIENT, certificate_path=path,
                                     authority=self.sim.authority, instance_discovery=False,
                                     connection_verify=self.sim.ca_file, **kwargs)

    # 10 -----------------------------------------------------------------------------------
    # AZURE BEHAVIOUR: Entra ID accepts MSAL Python's client assertions, whose x5t header is
    # base64url WITH '=' padding (msal/oauth2cli/assertion.py: urlsafe_b64encode of the SHA-1
    # thumbprint). azsim (sim/jwt.c check_thumbprint) compares x5t as a string with its own
    # unpadded base64url and so refuses every CertificateCredential with AADSTS700027.
    def test_certificate_credential(self):
        for chain in (False, True):
            with self.subTest(send_certificate_chain=chain):
                kc = self.client("kv-a", self.cert_credential(self.cert_path,
                                                              send_certificate_chain=chain))
                key = kc.get_key("tde")
                self.assertEqual(key.id, "%s/keys/tde/0123456789abcdef0123456789abcdef"
                                 % self.sim.vault_url("kv-a"))
                self.assertIn("tde", {p.name for p in kc.list_properties_of_keys()})
                # The principal has get and list only.
                with self.assertRaises(HttpResponseError) as cm:
                    kc.create_rsa_key(unique("certcreate"))
                self.assertSdkError(cm.exception, 403, "Forbidden", "AccessDenied")

    def client_assertion(self, key_pem, cert_pem, pad_x5t):
        """A client assertion as MSAL builds it (RS256, x5t = SHA-1 thumbprint)."""
        import jwt  # PyJWT, MSAL's dependency
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization
        der = x509.load_pem_x509_certificate(cert_pem.encode()).public_bytes(
            serialization.Encoding.DER)
        x5t = base64.urlsafe_b64encode(hashlib.sha1(der).digest()).decode()
        if not pad_x5t:
            x5t = x5t.rstrip("=")
        now = int(time.time())
        endpoint = "%s/%s/oauth2/v2.0/token" % (self.sim.authority, TENANT)
        claims = {"aud": endpoint, "iss": CERT_CLIENT, "sub": CERT_CLIENT, "iat": now,
                  "exp": now + 600, "jti": str(uuid.uuid4())}
        token = jwt.encode(claims, key_pem, algorithm="RS256", headers={"x5t": x5t})
        return endpoint, token if isinstance(token, str) else token.decode()

    def test_client_assertion_x5t_with_and_without_padding(self):
        # See test_certificate_credential: the thumbprint is a base64url value, padded by MSAL
        # Python; Entra ID accepts it either way.
        for pad in (False, True):
            with self.subTest(padded_x5t=pad):
                endpoint, assertion = self.client_assertion(self.key_pem, self.cert_pem, pad)
                r = requests.post(endpoint, verify=self.sim.ca_file, timeout=60, data={
                    "grant_type": "client_credentials", "client_id": CERT_CLIENT,
                    "client_assertion_type":
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    "client_assertion": assertion,
                    "scope": self.sim.vault_resource + "/.default"})
                self.assertEqual(r.status_code, 200, r.text)
                self.assertEqual(r.json()["token_type"], "Bearer")
        # Signed by another key: refused.
        endpoint, assertion = self.client_assertion(self.other_key_pem, self.cert_pem, False)
        r = requests.post(endpoint, verify=self.sim.ca_file, timeout=60, data={
            "grant_type": "client_credentials", "client_id": CERT_CLIENT,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion, "scope": self.sim.vault_resource + "/.default"})
        self.assertEqual(r.status_code, 401, r.text)
        self.assertEqual(r.json()["error"], "invalid_client")
        self.assertIn(700027, r.json()["error_codes"])

    def test_certificate_credential_with_another_certificate_fails(self):
        kc = self.client("kv-a", self.cert_credential(self.impostor_path))
        with self.assertRaises(ClientAuthenticationError) as cm:
            kc.get_key("tde")
        self.assertIn("AADSTS700027", str(cm.exception))

    def test_wrong_secret_is_client_authentication_error(self):
        cid = PRINCIPALS["operator"][0]
        cred = ClientSecretCredential(TENANT, cid, "not-the-secret", authority=self.sim.authority,
                                      instance_discovery=False, connection_verify=self.sim.ca_file)
        with self.assertRaises(ClientAuthenticationError) as cm:
            self.client("kv-a", cred).get_key("tde")
        self.assertIn("AADSTS7000215", str(cm.exception))
        # An unknown application in the tenant is refused too.
        cred = ClientSecretCredential(TENANT, "99999999-9999-4999-8999-999999999999", "x",
                                      authority=self.sim.authority, instance_discovery=False,
                                      connection_verify=self.sim.ca_file)
        with self.assertRaises(ClientAuthenticationError):
            self.client("kv-a", cred).get_key("tde")

    def imds_environment(self):
        env = {k: v for k, v in os.environ.items()
               if k not in ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IDENTITY_SERVER_THUMBPRINT",
                            "IMDS_ENDPOINT", "MSI_ENDPOINT", "MSI_SECRET", "AZURE_CLIENT_ID",
                            "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE")}
        env["AZURE_POD_IDENTITY_AUTHORITY_HOST"] = self.sim.imds_url
        return mock.patch.dict(os.environ, env, clear=True)

    def test_managed_identity_through_imds(self):
        with self.imds_environment():
            for kwargs in ({}, {"client_id": MI_CLIENT}):
                with self.subTest(**kwargs):
                    cred = ManagedIdentityCredential(**kwargs)
                    kc = self.client("kv-a", cred)
                    key = kc.get_key("tde")
                    self.assertTrue(key.id.endswith("/keys/tde/0123456789abcdef0123456789abcdef"))
                    # The identity has get/list/wrapKey/unwrapKey: a TDE protector's rights.
                    cc = CryptographyClient(key, cred, connection_verify=self.sim.ca_file)
                    cek = os.urandom(32)
                    wrapped = cc.wrap_key(KeyWrapAlgorithm.rsa_oaep, cek).encrypted_key
                    self.assertEqual(cc.unwrap_key(KeyWrapAlgorithm.rsa_oaep, wrapped).key, cek)
                    with self.assertRaises(HttpResponseError) as cm:
                        kc.create_rsa_key(unique("micreate"))
                    self.assertSdkError(cm.exception, 403, "Forbidden", "AccessDenied")
            self.assertTrue(self.logged("kv-a", "POST", r"/keys/tde/[0-9a-f]{32}/unwrapkey"))
            # A user-assigned identity that is not on this machine.
            cred = ManagedIdentityCredential(client_id="12121212-1212-4212-8212-121212121212")
            with self.assertRaises(ClientAuthenticationError):
                self.client("kv-a", cred).get_key("tde")

    # 11 -----------------------------------------------------------------------------------
    def test_access_policy_denies(self):
        reader = self.sim.key_client("kv-a", "reader")
        self.assertTrue(reader.get_key("tde").id.endswith("/keys/tde/"
                                                          "0123456789abcdef0123456789abcdef"))
        with self.assertRaises(HttpResponseError) as cm:
            reader.create_rsa_key(unique("denied"))
        error = self.assertSdkError(cm.exception, 403, "Forbidden", "AccessDenied")
        self.assertIn("does not have keys create permission", error["message"])
        self.assertIn(PRINCIPALS["reader"][1], error["message"])
        self.assertEqual(cm.exception.error.code, "Forbidden")  # the SDK's parsed error
        with self.assertRaises(HttpResponseError) as cm:
            self.sim.crypto_client(reader.get_key("tde"), "reader").unwrap_key(
                KeyWrapAlgorithm.rsa_oaep, b"\0" * 256)
        self.assertSdkError(cm.exception, 403, "Forbidden", "AccessDenied")
        nobody = self.sim.key_client("kv-a", "nobody")
        with self.assertRaises(HttpResponseError) as cm:
            nobody.get_key("tde")
        self.assertSdkError(cm.exception, 403, "Forbidden", "AccessDenied")

    def test_rbac_denies_reader_and_admits_officer(self):
        officer = self.sim.key_client("kv-rbac", "rbac-officer")
        name = unique("rbac")
        key = officer.create_rsa_key(name)
        self.assertRegex(key.id, self.kid_re("kv-rbac", name))
        self.assertEqual(officer.rotate_key(name).name, name)
        rbac_reader = self.sim.key_client("kv-rbac", "rbac-reader")
        self.assertEqual(rbac_reader.get_key(name).key.n, officer.get_key(name).key.n)
        with self.assertRaises(HttpResponseError) as cm:
            rbac_reader.create_rsa_key(unique("rbacdenied"))
        error = self.assertSdkError(cm.exception, 403, "Forbidden", "ForbiddenByRbac")
        self.assertIn("Microsoft.KeyVault/vaults/keys/create/action", error["message"])
        # Access policies do not count in an RBAC vault.
        with self.assertRaises(HttpResponseError) as cm:
            self.sim.key_client("kv-rbac", "operator").get_key(name)
        self.assertSdkError(cm.exception, 403, "Forbidden", "ForbiddenByRbac")

    def test_firewall_denies(self):
        with self.assertRaises(HttpResponseError) as cm:
            self.sim.key_client("kv-fw").get_key("anything")
        error = self.assertSdkError(cm.exception, 403, "Forbidden", "ForbiddenByFirewall")
        self.assertIn("Client address is not authorized", error["message"])

    def test_foreign_tenant_principal(self):
        # The SDK's own credential refuses to sign in to the vault's tenant (the challenge names
        # kv-a's tenant, the credential is in another one): no request with a token is sent.
        with self.assertRaises(ClientAuthenticationError) as cm:
            self.sim.key_client("kv-a", "foreign").get_key("tde")
        self.assertIn(TENANT, str(cm.exception))
        # A credential that insists on its own tenant: the vault refuses the token, 401
        # AKV10032 (invalid issuer), and the SDK raises ClientAuthenticationError.
        cred = PinnedTenantCredential(self.sim.credential("foreign"))
        with self.assertRaises(ClientAuthenticationError) as cm:
            self.client("kv-a", cred).get_key("tde")
        error = self.assertSdkError(cm.exception, 401, "Unauthorized")
        self.assertTrue(error["message"].startswith("AKV10032"), error["message"])
        challenge = cm.exception.response.headers.get("WWW-Authenticate", "")
        self.assertIn(TENANT, challenge)
        # In its own tenant's vault the same principal works.
        foreign = self.sim.key_client("kv-foreign", "foreign")
        name = unique("foreign")
        self.assertRegex(foreign.create_rsa_key(name).id, self.kid_re("kv-foreign", name))


if __name__ == "__main__":
    unittest.main()
