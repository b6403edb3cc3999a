"""azsim's Microsoft.Sql ARM surface as Microsoft's own SDK and a raw ARM client see it.

The managed-instance estate of base_scenario (tests/pylib/azsim.py): mi-a (eastus2,
rg-sql-a, protector kv-sql-a/tde) and mi-b (centralus, rg-sql-b, protector kv-sql-b/tde) in
failover group fog-ab (primary mi-a); kv-sql-a and kv-sql-b hold the same key material
"tde" (version TDE_VERSION), both registered on both instances.

Wherever azure-mgmt-sql 4.0.0b6 (Debian python3-azure) has the operation, the test goes
through it, pollers included: the SDK must not be able to tell azsim from Azure. Raw
requests (sim.arm) are used for what the SDK hides or lacks: headers, api-versions, the
validate-key action, the LRO wire protocol, paging with $top.

Azure's behaviour is what the tests assert; where they cite error codes, the source is
reference/tde-domain-rules.md section D and reference/azure-protocol.md sections 1, 4, 7.

One azsim per class: each class's tests may change state (protectors, roles, faults,
simulated time) but never depend on another test's leftovers.
"""

import re
import time
import unittest
import urllib.parse
import warnings

import requests
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.mgmt.sql import models

from azsim import (SQL_IDENTITIES, SQL_RG_A, SQL_RG_B, SUB, TDE_VERSION, AzsimTestCase,
                   base_scenario, unique)

THUMBPRINT = re.compile(r"^[0-9A-F]{40}$")
UNKNOWN_SUB = "deadbeef-0000-4000-8000-00000000beef"


def mi_path(rg, mi, sub=SUB):
    return "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Sql/managedInstances/%s" % (
        sub, rg, mi)


mi_id = mi_path  # an instance's resource id is its path


def fog_path(location, name=None, rg=SQL_RG_A):
    p = "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Sql/locations/%s/" \
        "instanceFailoverGroups" % (SUB, rg, location)
    return p + "/" + name if name else p


def server_key_name(vault, key, version):
    return "%s_%s_%s" % (vault, key, version)


TDE_A = server_key_name("kv-sql-a", "tde", TDE_VERSION)
TDE_B = server_key_name("kv-sql-b", "tde", TDE_VERSION)
WHERE = {"mi-a": SQL_RG_A, "mi-b": SQL_RG_B}


class SqlCase(AzsimTestCase):
    """Helpers shared by the classes below."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sql = cls.sim.sql_client()

    def setUp(self):
        # The SDK clients made per test keep their connection pools until collected.
        warnings.filterwarnings("ignore", message="unclosed", category=ResourceWarning)

    # -- errors -----------------------------------------------------------------------------
    def assertArmError(self, response, status, code):
        """A raw requests.Response carrying ARM's error shape with this status and code."""
        self.assertEqual(response.status_code, status, response.text)
        try:
            error = response.json()["error"]
        except (ValueError, KeyError):
            self.fail("not an ARM error body: %r" % response.text)
        self.assertEqual(error.get("code"), code, response.text)
        self.assertIsInstance(error.get("message"), str, response.text)
        self.assertTrue(error["message"], response.text)
        return error

    def assertLroFailed(self, exc, code):
        """The SDK poller raised because the operation ended Failed with this error code."""
        self.assertIsInstance(exc, HttpResponseError)
        text = exc.response.text() if exc.response is not None else ""
        self.assertIsNotNone(exc.error, "no ARM error in the poller's exception: %r %s"
                             % (exc, text))
        self.assertEqual(exc.error.code, code, text)
        self.assertTrue(exc.error.message, text)

    # -- data plane -------------------------------------------------------------------------
    def new_key(self, vault="kv-sql-a", copy_to=None, **kwargs):
        """Creates an RSA key in vault (and restores a copy into copy_to: same material,
        same version). Returns the KeyVaultKey of the original."""
        kc = self.sim.key_client(vault)
        key = kc.create_rsa_key(unique("tde"), size=kwargs.pop("size", 2048), **kwargs)
        if copy_to:
            blob = kc.backup_key(key.name)
            copy = self.sim.key_client(copy_to).restore_key_backup(blob)
            self.assertEqual(copy.properties.version, key.properties.version)
            self.assertEqual(copy.key.n, key.key.n)
        return key

    def uri(self, vault, key):
        return "%s/keys/%s/%s" % (self.sim.vault_url(vault), key.name, key.properties.version)

    # -- SDK operations ---------------------------------------------------------------------
    def register(self, mi, vault, key):
        """Registers vault's copy of key on mi through the SDK poller; returns the name."""
        name = server_key_name(vault, key.name, key.properties.version)
        result = self.sql.managed_instance_keys.begin_create_or_update(
            WHERE[mi], mi, name,
            models.ManagedInstanceKey(server_key_type="AzureKeyVault",
                                      uri=self.uri(vault, key))).result()
        self.assertEqual(result.name, name)
        return name

    def begin_register(self, mi, name, uri):
        return self.sql.managed_instance_keys.begin_create_or_update(
            WHERE[mi], mi, name, models.ManagedInstanceKey(server_key_type="AzureKeyVault",
                                                           uri=uri))

    def begin_protector(self, mi, name, auto_rotation=False):
        return self.sql.managed_instance_encryption_protectors.begin_create_or_update(
            WHERE[mi], mi, "current",
            models.ManagedInstanceEncryptionProtector(server_key_type="AzureKeyVault",
                                                      server_key_name=name,
                                                      auto_rotation_enabled=auto_rotation))

    def protector(self, mi):
        return self.sql.managed_instance_encryption_protectors.get(WHERE[mi], mi, "current")

    # -- raw LROs ---------------------------------------------------------------------------
    def wait_raw(self, response, timeout=20):
        """Follows a raw 201/202's Azure-AsyncOperation until the status is terminal; returns
        the last status body. A 200 is already done."""
        if response.status_code == 200:
            return {"status": "Succeeded"}
        self.assertIn(response.status_code, (201, 202), response.text)
        url = response.headers["Azure-AsyncOperation"]
        tok = self.sim.token("operator", self.sim.management_url)
        deadline = time.time() + timeout
        while True:
            r = requests.get(url, headers={"Authorization": "Bearer " + tok},
                             verify=self.sim.ca_file, timeout=30)
            self.assertEqual(r.status_code, 200, r.text)
            body = r.json()
            if body["status"].lower() not in ("inprogress", "accepted", "running"):
                return body
            self.assertLess(time.time(), deadline, "operation still running: %s" % r.text)
            time.sleep(0.1)


# =========================================================================================
class ReadEverything(SqlCase):
    """Listing and reading every Microsoft.Sql resource of the estate through the SDK."""

    def test_instances_list_and_get(self):
        all_mis = {mi.name: mi for mi in self.sql.managed_instances.list()}
        self.assertEqual(set(all_mis), {"mi-a", "mi-b"})
        in_a = [mi.name for mi in self.sql.managed_instances.list_by_resource_group(SQL_RG_A)]
        in_b = [mi.name for mi in self.sql.managed_instances.list_by_resource_group(SQL_RG_B)]
        self.assertEqual(in_a, ["mi-a"])
        self.assertEqual(in_b, ["mi-b"])
        for name, region, ident in (("mi-a", "eastus2", "mi-a-id"),
                                    ("mi-b", "centralus", "mi-b-id")):
            mi = self.sql.managed_instances.get(WHERE[name], name)
            self.assertEqual(mi.name, name)
            self.assertEqual(mi.id, mi_id(WHERE[name], name))
            self.assertEqual(mi.type, "Microsoft.Sql/managedInstances")
            self.assertEqual(mi.location, region)
            self.assertEqual(mi.state, "Ready")
            self.assertEqual(mi.provisioning_state, "Succeeded")
            self.assertEqual(mi.identity.type, "SystemAssigned")
            # The identity SQL uses against Key Vault is the instance's own.
            self.assertEqual(mi.identity.principal_id, SQL_IDENTITIES[ident][1])
            self.assertTrue(mi.fully_qualified_domain_name.startswith(name + "."))
            self.assertEqual(mi.sku.name, "GP_Gen5")
            self.assertEqual(all_mis[name].identity.principal_id, mi.identity.principal_id)

    def test_keys(self):
        for mi in ("mi-a", "mi-b"):
            keys = {k.name: k for k in self.sql.managed_instance_keys.list_by_instance(
                WHERE[mi], mi)}
            self.assertEqual(set(keys), {TDE_A, TDE_B})
            for vault, name in (("kv-sql-a", TDE_A), ("kv-sql-b", TDE_B)):
                k = self.sql.managed_instance_keys.get(WHERE[mi], mi, name)
                self.assertEqual(k.name, name)
                self.assertEqual(k.id, "%s/keys/%s" % (mi_id(WHERE[mi], mi), name))
                self.assertEqual(k.type, "Microsoft.Sql/managedInstances/keys")
                self.assertEqual(k.kind, "azurekeyvault")
                self.assertEqual(k.server_key_type, "AzureKeyVault")
                self.assertEqual(k.uri, "%s/keys/tde/%s" % (self.sim.vault_url(vault),
                                                            TDE_VERSION))
                self.assertRegex(k.thumbprint, THUMBPRINT)
                self.assertIsNotNone(k.creation_date)
                self.assertEqual(k.thumbprint, keys[name].thumbprint)
            # Two copies of one material: one thumbprint.
            self.assertEqual(keys[TDE_A].thumbprint, keys[TDE_B].thumbprint)

    def test_key_not_found(self):
        with self.assertRaises(ResourceNotFoundError):
            self.sql.managed_instance_keys.get(SQL_RG_A, "mi-a",
                                               server_key_name("kv-sql-a", "nope", "0" * 32))

    def test_encryption_protectors(self):
        for mi, name, vault in (("mi-a", TDE_A, "kv-sql-a"), ("mi-b", TDE_B, "kv-sql-b")):
            p = self.protector(mi)
            self.assertEqual(p.name, "current")
            self.assertEqual(p.id, mi_id(WHERE[mi], mi) + "/encryptionProtector/current")
            self.assertEqual(p.type, "Microsoft.Sql/managedInstances/encryptionProtector")
            self.assertEqual(p.kind, "azurekeyvault")
            self.assertEqual(p.server_key_type, "AzureKeyVault")
            self.assertEqual(p.server_key_name, name)
            self.assertEqual(p.uri, "%s/keys/tde/%s" % (self.sim.vault_url(vault), TDE_VERSION))
            self.assertFalse(p.auto_rotation_enabled)
            listed = list(self.sql.managed_instance_encryption_protectors.list_by_instance(
                WHERE[mi], mi))
            self.assertEqual([x.server_key_name for x in listed], [name])
            self.assertEqual(listed[0].id, p.id)

    def test_databases(self):
        for mi in ("mi-a", "mi-b"):
            dbs = {d.name: d for d in self.sql.managed_databases.list_by_instance(WHERE[mi], mi)}
            self.assertEqual(set(dbs), {"sales", "orders"})
            for name in dbs:
                db = self.sql.managed_databases.get(WHERE[mi], mi, name)
                self.assertEqual(db.status, "Online")
                self.assertEqual(db.id, "%s/databases/%s" % (mi_id(WHERE[mi], mi), name))
                self.assertEqual(dbs[name].status, "Online")
        with self.assertRaises(ResourceNotFoundError):
            self.sql.managed_databases.get(SQL_RG_A, "mi-a", "no-such-db")

    def test_failover_group_both_locations(self):
        fogs = self.sql.instance_failover_groups
        east = list(fogs.list_by_location(SQL_RG_A, "eastus2"))
        central = list(fogs.list_by_location(SQL_RG_A, "centralus"))
        self.assertEqual([f.name for f in east], ["fog-ab"])
        self.assertEqual([f.name for f in central], ["fog-ab"])
        self.assertEqual(east[0].replication_role, "Primary")
        self.assertEqual(central[0].replication_role, "Secondary")
        for loc, role, partner, partner_role in (("eastus2", "Primary", "centralus", "Secondary"),
                                                 ("centralus", "Secondary", "eastus2",
                                                  "Primary")):
            g = fogs.get(SQL_RG_A, loc, "fog-ab")
            self.assertEqual(g.name, "fog-ab")
            self.assertEqual(g.type, "Microsoft.Sql/locations/instanceFailoverGroups")
            self.assertEqual(g.replication_role, role)
            self.assertEqual([(r.location, r.replication_role) for r in g.partner_regions],
                             [(partner, partner_role)])
            self.assertEqual(len(g.managed_instance_pairs), 1)
            pair = g.managed_instance_pairs[0]
            self.assertEqual(pair.primary_managed_instance_id.lower(),
                             mi_id(SQL_RG_A, "mi-a").lower())
            self.assertEqual(pair.partner_managed_instance_id.lower(),
                             mi_id(SQL_RG_B, "mi-b").lower())
            self.assertEqual(g.read_write_endpoint.failover_policy, "Automatic")
            self.assertEqual(g.read_write_endpoint.failover_with_data_loss_grace_period_minutes,
                             60)
        # A location that holds neither instance has no view of the group.
        self.assertEqual(list(fogs.list_by_location(SQL_RG_A, "westeurope")), [])
        with self.assertRaises(ResourceNotFoundError):
            fogs.get(SQL_RG_A, "westeurope", "fog-ab")

    def test_model_agrees(self):
        for mi in ("mi-a", "mi-b"):
            m = self.sim.model(mi)
            self.assertEqual(m["access"], "ok", m)
            self.assertEqual(m["protector"], TDE_A if mi == "mi-a" else TDE_B)


# =========================================================================================
class KeyRotation(SqlCase):
    """The rotation of DOMAIN.md: new material into both vaults, registered on the secondary
    then the primary, protectors set secondary first. And the wrong order."""

    def test_rotation_in_order(self):
        key = self.new_key("kv-sql-a", copy_to="kv-sql-b", hardware_protected=True)
        before_a, before_b = self.protector("mi-a"), self.protector("mi-b")
        # Step 2: both copies on MI-S (mi-b), then on MI-P (mi-a).
        names = {}
        for mi in ("mi-b", "mi-a"):
            for vault in ("kv-sql-b", "kv-sql-a"):
                names[vault] = self.register(mi, vault, key)
        prints = set()
        for mi in ("mi-a", "mi-b"):
            for vault, name in names.items():
                k = self.sql.managed_instance_keys.get(WHERE[mi], mi, name)
                self.assertEqual(k.uri, self.uri(vault, key))
                self.assertRegex(k.thumbprint, THUMBPRINT)
                prints.add(k.thumbprint)
        self.assertEqual(len(prints), 1, "one material, one thumbprint: %s" % prints)
        new_print = prints.pop()
        old_print = self.sql.managed_instance_keys.get(SQL_RG_A, "mi-a", TDE_A).thumbprint
        self.assertNotEqual(new_print, old_print)
        # Step 3: protector on MI-S (its own-region copy), then on MI-P.
        p_b = self.begin_protector("mi-b", names["kv-sql-b"]).result()
        self.assertEqual(p_b.server_key_name, names["kv-sql-b"])
        p_a = self.begin_protector("mi-a", names["kv-sql-a"]).result()
        self.assertEqual(p_a.server_key_name, names["kv-sql-a"])
        for mi, vault in (("mi-a", "kv-sql-a"), ("mi-b", "kv-sql-b")):
            p = self.protector(mi)
            self.assertEqual(p.server_key_name, names[vault])
            self.assertEqual(p.uri, self.uri(vault, key))
            self.assertEqual(p.server_key_type, "AzureKeyVault")
        self.assertNotEqual(before_a.server_key_name, self.protector("mi-a").server_key_name)
        self.assertNotEqual(before_b.server_key_name, self.protector("mi-b").server_key_name)
        # The old keys stay registered (backups still need them).
        for mi in ("mi-a", "mi-b"):
            registered = {k.name for k in self.sql.managed_instance_keys.list_by_instance(
                WHERE[mi], mi)}
            self.assertTrue({TDE_A, TDE_B, names["kv-sql-a"], names["kv-sql-b"]} <= registered)
        # The instances can use what they were given.
        self.sim.control("POST", "/model/check")
        for mi, vault in (("mi-a", "kv-sql-a"), ("mi-b", "kv-sql-b")):
            m = self.sim.model(mi)
            self.assertEqual(m["access"], "ok", m)
            self.assertEqual(m["protector"], names[vault], m)
            self.assertTrue(all(d["status"] == "Online" for d in m["databases"]), m)

    def test_wrong_order_is_refused_atomically(self):
        key = self.new_key("kv-sql-a", copy_to="kv-sql-b")
        name = self.register("mi-a", "kv-sql-a", key)  # only on the primary
        before = self.protector("mi-a")
        with self.assertRaises(HttpResponseError) as cm:
            self.begin_protector("mi-a", name).result()
        # tde-domain-rules D1: the partner lacks a key with that material.
        self.assertLroFailed(cm.exception, "SameKeyMaterialNotFoundOnRemoteServer")
        after = self.protector("mi-a")
        self.assertEqual(after.server_key_name, before.server_key_name)
        self.assertEqual(after.uri, before.uri)
        self.assertEqual(self.sim.model("mi-a")["protector"], before.server_key_name)
        # The registration itself stays (it was a separate, successful step).
        self.assertEqual(self.sql.managed_instance_keys.get(SQL_RG_A, "mi-a", name).name, name)


# =========================================================================================
def refusal_scenario():
    """base_scenario, with mi-a's identity granted on kv-loose (no purge protection), so the
    only thing wrong with a kv-loose key is the vault's recovery level."""
    s = base_scenario()
    for v in s["vaults"]:
        if v["name"] == "kv-loose":
            v["access_policies"].append({"principal": "mi-a-id",
                                         "keys": ["get", "wrapKey", "unwrapKey"]})
    return s


class Refusals(SqlCase):
    """What SQL refuses, with Azure's codes (tde-domain-rules D; azure-protocol 4.2, 4.3)."""

    scenario = refusal_scenario()

    def assertSyncError(self, cm, status, code):
        exc = cm.exception
        self.assertEqual(exc.status_code, status, exc.response.text() if exc.response else exc)
        self.assertIsNotNone(exc.error, str(exc))
        self.assertEqual(exc.error.code, code, str(exc))
        self.assertTrue(exc.error.message)

    def test_protector_with_unregistered_key(self):
        before = self.protector("mi-a")
        with self.assertRaises(ResourceNotFoundError) as cm:
            self.begin_protector("mi-a", server_key_name("kv-sql-a", "never", "1" * 32))
        self.assertSyncError(cm, 404, "ServerKeyNotFound")  # D11
        self.assertEqual(self.protector("mi-a").server_key_name, before.server_key_name)

    def test_delete_protector_key_registration(self):
        current = self.protector("mi-a").server_key_name
        with self.assertRaises(ResourceExistsError) as cm:
            self.sql.managed_instance_keys.begin_delete(SQL_RG_A, "mi-a", current)
        self.assertSyncError(cm, 409, "AzureKeyVaultKeyInUse")  # D17
        self.assertEqual(self.sql.managed_instance_keys.get(SQL_RG_A, "mi-a", current).name,
                         current)

    def test_delete_other_key_registration(self):
        key = self.new_key("kv-sql-a")
        name = self.register("mi-a", "kv-sql-a", key)
        self.sql.managed_instance_keys.begin_delete(SQL_RG_A, "mi-a", name).result()
        with self.assertRaises(ResourceNotFoundError):
            self.sql.managed_instance_keys.get(SQL_RG_A, "mi-a", name)

    def test_key_name_must_match_uri(self):
        key = self.new_key("kv-sql-a")
        wrong = server_key_name("kv-sql-a", key.name + "x", key.properties.version)
        with self.assertRaises(HttpResponseError) as cm:
            self.begin_register("mi-a", wrong, self.uri("kv-sql-a", key))
        self.assertSyncError(cm, 400, "InvalidKeyName")  # D19
        with self.assertRaises(ResourceNotFoundError):
            self.sql.managed_instance_keys.get(SQL_RG_A, "mi-a", wrong)

    def test_bad_uri(self):
        for uri in ("https://kv-sql-a.example.com/keys/tde/" + TDE_VERSION,
                    "not a uri",
                    "%s/secrets/tde/%s" % (self.sim.vault_url("kv-sql-a"), TDE_VERSION)):
            with self.assertRaises(HttpResponseError, msg=uri) as cm:
                self.begin_register("mi-a", TDE_A, uri)
            self.assertSyncError(cm, 400, "AzureKeyVaultInvalidUri")  # D19

    def test_vault_without_purge_protection(self):
        key = self.new_key("kv-loose")
        name = server_key_name("kv-loose", key.name, key.properties.version)
        with self.assertRaises(HttpResponseError) as cm:
            self.begin_register("mi-a", name, self.uri("kv-loose", key)).result()
        self.assertLroFailed(cm.exception, "SecurityInvalidAzureKeyVaultRecoveryLevel")  # D4
        with self.assertRaises(ResourceNotFoundError):
            self.sql.managed_instance_keys.get(SQL_RG_A, "mi-a", name)

    def test_rsa_4096_not_supported(self):
        key = self.new_key("kv-sql-a", size=4096)
        name = server_key_name("kv-sql-a", key.name, key.properties.version)
        with self.assertRaises(HttpResponseError) as cm:
            self.begin_register("mi-a", name, self.uri("kv-sql-a", key)).result()
        self.assertLroFailed(cm.exception, "AzureKeyVaultRsaKeyNotSupported")  # D15

    def test_disabled_key(self):
        key = self.new_key("kv-sql-a")
        self.sim.key_client("kv-sql-a").update_key_properties(key.name, enabled=False)
        name = server_key_name("kv-sql-a", key.name, key.properties.version)
        with self.assertRaises(HttpResponseError) as cm:
            self.begin_register("mi-a", name, self.uri("kv-sql-a", key)).result()
        self.assertLroFailed(cm.exception, "AzureKeyVaultKeyDisabled")  # D13

    def test_old_version_as_protector(self):
        old = self.new_key("kv-sql-a", copy_to="kv-sql-b")
        kc = self.sim.key_client("kv-sql-a")
        newer = kc.create_rsa_key(old.name, size=2048)
        self.assertNotEqual(newer.properties.version, old.properties.version)
        # The old version is registered on both instances, so nothing but its age is wrong.
        name = self.register("mi-b", "kv-sql-a", old)
        self.register("mi-a", "kv-sql-a", old)
        before = self.protector("mi-a")
        with self.assertRaises(HttpResponseError) as cm:
            self.begin_protector("mi-a", name).result()
        self.assertLroFailed(cm.exception, "OldGenerationOfAKVKeyBeingUsedError")
        self.assertEqual(self.protector("mi-a").server_key_name, before.server_key_name)

    # -- validateAzureKeyVaultEncryptionKey (not in azure-mgmt-sql 4.0.0b6: raw ARM) ---------
    def validate(self, body):
        return self.sim.arm("POST", mi_path(SQL_RG_A, "mi-a") +
                            "/validateAzureKeyVaultEncryptionKey", body=body)

    def test_validate_good_key(self):
        uri = "%s/keys/tde/%s" % (self.sim.vault_url("kv-sql-a"), TDE_VERSION)
        # The spec's body is {"tdeKeyUri"}; the official example sends {"uri"} (a known
        # example defect, azure-protocol 10.1) and azsim accepts both.
        for body in ({"tdeKeyUri": uri}, {"uri": uri}):
            r = self.validate(body)
            self.assertIn(r.status_code, (200, 202), r.text)
            if r.status_code == 202:
                for h in ("Location", "Azure-AsyncOperation"):
                    self.assertIn(h, r.headers)
            self.assertEqual(self.wait_raw(r)["status"], "Succeeded")

    def test_validate_disabled_key(self):
        key = self.new_key("kv-sql-a")
        self.sim.key_client("kv-sql-a").update_key_properties(key.name, enabled=False)
        r = self.validate({"tdeKeyUri": self.uri("kv-sql-a", key)})
        if r.status_code == 202:
            status = self.wait_raw(r)
            self.assertEqual(status["status"], "Failed", status)
            self.assertEqual(status["error"]["code"], "AzureKeyVaultKeyDisabled", status)
            self.assertTrue(status["error"]["message"])
        else:
            self.assertArmError(r, 401, "AzureKeyVaultKeyDisabled")

    def test_validate_bad_uri(self):
        r = self.validate({"tdeKeyUri": "https://nowhere.example.com/keys/x"})
        self.assertArmError(r, 400, "AzureKeyVaultInvalidUri")


# =========================================================================================
class RevalidateAndInaccessible(SqlCase):
    """Revalidate through the SDK poller; loss of both vaults; Inaccessible databases."""

    def dbs(self, mi):
        return {d.name: d.status for d in self.sql.managed_databases.list_by_instance(
            WHERE[mi], mi)}

    def test_revalidate_lost_access_and_back(self):
        ops = self.sql.managed_instance_encryption_protectors
        self.assertIsNone(ops.begin_revalidate(SQL_RG_A, "mi-a", "current").result())
        self.assertEqual(set(self.dbs("mi-a").values()), {"Online"})
        # Both vaults unreachable from mi-a's region (its private endpoints and the public
        # path): an outage, so no fallback can help.
        faults = [self.sim.fault("refused", "vault:%s@eastus2" % v)
                  for v in ("kv-sql-a", "kv-sql-b")]
        try:
            # The first failed check comes within one check interval (10 min), the databases
            # turn Inaccessible 10 min after it; 21 min is past both and inside the 30-min
            # auto-heal window.
            self.sim.advance(21 * 60)
            m = self.sim.model("mi-a")
            self.assertEqual(m["access"], "lost", m)
            self.assertEqual(m["last_error"], "AzureKeyVaultConnectionFailed", m)
            self.assertEqual(set(self.dbs("mi-a").values()), {"Inaccessible"})
            self.assertEqual(self.sql.managed_databases.get(SQL_RG_A, "mi-a", "sales").status,
                             "Inaccessible")
            self.assertEqual(set(self.dbs("mi-b").values()), {"Online"})  # other region
            with self.assertRaises(HttpResponseError) as cm:
                ops.begin_revalidate(SQL_RG_A, "mi-a", "current").result()
            self.assertLroFailed(cm.exception, "AzureKeyVaultConnectionFailed")  # D9
            # No protector change while databases are Inaccessible.
            current = self.protector("mi-a").server_key_name
            with self.assertRaises(ResourceExistsError) as cm:
                self.begin_protector("mi-a", TDE_A)
            self.assertEqual(cm.exception.status_code, 409)
            self.assertEqual(cm.exception.error.code,
                             "ManagedInstanceContainsInaccessibleDatabases")
            self.assertEqual(self.protector("mi-a").server_key_name, current)
        finally:
            for f in faults:
                self.sim.clear_fault(f)
        ops.begin_revalidate(SQL_RG_A, "mi-a", "current").result()
        self.assertEqual(set(self.dbs("mi-a").values()), {"Online"})
        m = self.sim.model("mi-a")
        self.assertEqual(m["access"], "ok", m)
        # Access came back inside the auto-heal window: the group survives.
        self.assertEqual([f.name for f in self.sql.instance_failover_groups.list_by_location(
            SQL_RG_A, "eastus2")], ["fog-ab"])


def group_body(grace, primary="mi-a", partner_region="centralus"):
    other = "mi-b" if primary == "mi-a" else "mi-a"
    return models.InstanceFailoverGroup(
        read_write_endpoint=models.InstanceFailoverGroupReadWriteEndpoint(
            failover_policy="Automatic", failover_with_data_loss_grace_period_minutes=grace),
        read_only_endpoint=models.InstanceFailoverGroupReadOnlyEndpoint(
            failover_policy="Disabled"),
        partner_regions=[models.PartnerRegionInfo(location=partner_region)],
        managed_instance_pairs=[models.ManagedInstancePairInfo(
            primary_managed_instance_id=mi_id(WHERE[primary], primary),
            partner_managed_instance_id=mi_id(WHERE[other], other))])


# =========================================================================================
class FailoverGroupRoles(SqlCase):
    """Failover goes to the secondary's location; roles swap; updates go to the primary's."""

    def roles(self):
        fogs = self.sql.instance_failover_groups
        return {loc: fogs.get(SQL_RG_A, loc, "fog-ab").replication_role
                for loc in ("eastus2", "centralus")}

    def test_failover_and_force_failover(self):
        fogs = self.sql.instance_failover_groups
        self.assertEqual(self.roles(), {"eastus2": "Primary", "centralus": "Secondary"})
        # Sent to the primary's location: refused, for both kinds.
        for begin in (fogs.begin_failover, fogs.begin_force_failover_allow_data_loss):
            with self.assertRaises(HttpResponseError) as cm:
                begin(SQL_RG_A, "eastus2", "fog-ab")
            self.assertEqual(cm.exception.status_code, 400)
            self.assertEqual(cm.exception.error.code,
                             "InstanceFailoverGroupFailoverRequestOnPrimary")
        self.assertEqual(self.roles(), {"eastus2": "Primary", "centralus": "Secondary"})
        # Planned failover at the secondary's location.
        g = fogs.begin_failover(SQL_RG_A, "centralus", "fog-ab").result()
        self.assertEqual(g.name, "fog-ab")
        self.assertEqual(g.replication_role, "Primary")
        self.assertEqual(self.roles(), {"eastus2": "Secondary", "centralus": "Primary"})
        pair = fogs.get(SQL_RG_A, "centralus", "fog-ab").managed_instance_pairs[0]
        self.assertEqual(pair.primary_managed_instance_id.lower(),
                         mi_id(SQL_RG_B, "mi-b").lower())
        with self.assertRaises(HttpResponseError) as cm:
            fogs.begin_failover(SQL_RG_A, "centralus", "fog-ab")
        self.assertEqual(cm.exception.error.code, "InstanceFailoverGroupFailoverRequestOnPrimary")
        # Forced failover back, at eastus2 (now the secondary's location).
        g = fogs.begin_force_failover_allow_data_loss(SQL_RG_A, "eastus2", "fog-ab").result()
        self.assertEqual(g.replication_role, "Primary")
        self.assertEqual(self.roles(), {"eastus2": "Primary", "centralus": "Secondary"})

    def test_update_grace_period(self):
        fogs = self.sql.instance_failover_groups
        roles = self.roles()
        primary_loc = [loc for loc, r in roles.items() if r == "Primary"][0]
        secondary_loc = [loc for loc, r in roles.items() if r == "Secondary"][0]
        primary = "mi-a" if primary_loc == "eastus2" else "mi-b"
        g = fogs.begin_create_or_update(SQL_RG_A, primary_loc, "fog-ab",
                                        group_body(120, primary, secondary_loc)).result()
        self.assertEqual(g.read_write_endpoint.failover_with_data_loss_grace_period_minutes, 120)
        for loc in roles:
            got = fogs.get(SQL_RG_A, loc, "fog-ab")
            self.assertEqual(
                got.read_write_endpoint.failover_with_data_loss_grace_period_minutes, 120)
        self.assertEqual(self.roles(), roles)
        # Grace below 60 minutes with an Automatic policy: refused.
        with self.assertRaises(HttpResponseError) as cm:
            fogs.begin_create_or_update(SQL_RG_A, primary_loc, "fog-ab",
                                        group_body(30, primary, secondary_loc))
        self.assertEqual(cm.exception.status_code, 400)

    def test_update_on_secondary_refused(self):
        # Updates go to the primary's location (azure-protocol 4.4): sent to the secondary's,
        # refused -- whatever the body says, here naming the secondary's instance as primary.
        fogs = self.sql.instance_failover_groups
        roles = self.roles()
        primary_loc = [loc for loc, r in roles.items() if r == "Primary"][0]
        secondary_loc = [loc for loc, r in roles.items() if r == "Secondary"][0]
        primary = "mi-a" if primary_loc == "eastus2" else "mi-b"
        other = "mi-b" if primary == "mi-a" else "mi-a"
        grace = fogs.get(SQL_RG_A, primary_loc, "fog-ab").read_write_endpoint \
            .failover_with_data_loss_grace_period_minutes
        for body in (group_body(240, primary, secondary_loc),
                     group_body(240, other, primary_loc)):
            with self.assertRaises(HttpResponseError) as cm:
                fogs.begin_create_or_update(SQL_RG_A, secondary_loc, "fog-ab", body)
            self.assertEqual(cm.exception.status_code, 400)
            self.assertEqual(cm.exception.error.code,
                             "InstanceFailoverGroupUpdateOrDeleteRequestOnSecondary")
        self.assertEqual(self.roles(), roles)
        self.assertEqual(fogs.get(SQL_RG_A, primary_loc, "fog-ab").read_write_endpoint
                         .failover_with_data_loss_grace_period_minutes, grace)


class FailoverGroupLifecycle(SqlCase):
    """Delete fog-ab, then create a new group of the same two instances."""

    def test_delete_then_create(self):
        fogs = self.sql.instance_failover_groups
        body = group_body(90)
        # A second group of instances already in one: refused.
        with self.assertRaises(HttpResponseError) as cm:
            fogs.begin_create_or_update(SQL_RG_A, "eastus2", "fog-new", body)
        self.assertIn(cm.exception.status_code, (400, 409))
        # Delete goes to the primary's location, not the secondary's.
        with self.assertRaises(HttpResponseError) as cm:
            fogs.begin_delete(SQL_RG_A, "centralus", "fog-ab")
        self.assertEqual(cm.exception.error.code,
                         "InstanceFailoverGroupUpdateOrDeleteRequestOnSecondary")
        fogs.begin_delete(SQL_RG_A, "eastus2", "fog-ab").result()
        for loc in ("eastus2", "centralus"):
            with self.assertRaises(ResourceNotFoundError):
                fogs.get(SQL_RG_A, loc, "fog-ab")
            self.assertEqual(list(fogs.list_by_location(SQL_RG_A, loc)), [])
        g = fogs.begin_create_or_update(SQL_RG_A, "eastus2", "fog-new", body).result()
        self.assertEqual(g.name, "fog-new")
        self.assertEqual(g.replication_role, "Primary")
        self.assertEqual(g.read_write_endpoint.failover_with_data_loss_grace_period_minutes, 90)
        self.assertEqual(fogs.get(SQL_RG_A, "centralus", "fog-new").replication_role,
                         "Secondary")
        self.assertEqual([f.name for f in fogs.list_by_location(SQL_RG_A, "eastus2")],
                         ["fog-new"])

    def test_delete_absent_group(self):
        # ARM: deleting what does not exist answers 204 (azure-protocol 7; the delete
        # example lists 204), and the SDK's poller is content with it.
        r = self.sim.arm("DELETE", fog_path("eastus2", "fog-never"))
        self.assertEqual(r.status_code, 204, r.text)
        self.sql.instance_failover_groups.begin_delete(SQL_RG_A, "eastus2", "fog-never").result()


# =========================================================================================
class FrontDoor(SqlCase):
    """ARM's authentication, api-version, RBAC, scope checks, headers and paging."""

    PATH = mi_path(SQL_RG_A, "mi-a")

    def test_no_token(self):
        r = self.sim.arm("GET", self.PATH, token="")
        self.assertArmError(r, 401, "AuthenticationFailed")
        www = r.headers.get("WWW-Authenticate", "")
        self.assertTrue(www.startswith("Bearer "), www)
        self.assertIn("authorization_uri=", www)

    def test_vault_audience_token(self):
        r = self.sim.arm("GET", self.PATH, token=self.sim.token("operator"))  # vault audience
        self.assertArmError(r, 401, "InvalidAuthenticationTokenAudience")
        self.assertIn("WWW-Authenticate", r.headers)

    def test_api_versions(self):
        r = self.sim.arm("GET", self.PATH, api=None)
        self.assertArmError(r, 400, "MissingApiVersionParameter")
        r = self.sim.arm("GET", self.PATH, api="abc")
        self.assertArmError(r, 400, "InvalidApiVersionParameter")
        # The SDK's versions (managedInstances 2021-05-01-preview; keys, protector and
        # groups 2020-11-01-preview), the previous and the newest stable.
        for api in ("2021-05-01-preview", "2020-11-01-preview", "2023-08-01", "2025-01-01"):
            for path in (self.PATH, self.PATH + "/keys/" + TDE_A,
                         self.PATH + "/encryptionProtector/current",
                         fog_path("eastus2", "fog-ab")):
                r = self.sim.arm("GET", path, api=api)
                self.assertEqual(r.status_code, 200, "%s %s: %s" % (api, path, r.text))

    def test_reader_can_read_not_write(self):
        reader = self.sim.sql_client("reader")
        self.assertEqual(reader.managed_instances.get(SQL_RG_A, "mi-a").name, "mi-a")
        self.assertEqual(reader.managed_instance_encryption_protectors.get(
            SQL_RG_A, "mi-a", "current").server_key_name, TDE_A)
        with self.assertRaises(HttpResponseError) as cm:
            reader.managed_instance_keys.begin_create_or_update(
                SQL_RG_A, "mi-a", TDE_A, models.ManagedInstanceKey(
                    server_key_type="AzureKeyVault",
                    uri="%s/keys/tde/%s" % (self.sim.vault_url("kv-sql-a"), TDE_VERSION)))
        self.assertEqual(cm.exception.status_code, 403)
        self.assertEqual(cm.exception.error.code, "AuthorizationFailed")
        r = self.sim.arm("PUT", self.PATH + "/encryptionProtector/current", principal="reader",
                         body={"properties": {"serverKeyType": "AzureKeyVault",
                                              "serverKeyName": TDE_A}})
        self.assertArmError(r, 403, "AuthorizationFailed")
        r = self.sim.arm("POST", fog_path("centralus", "fog-ab") + "/failover",
                         principal="reader")
        self.assertArmError(r, 403, "AuthorizationFailed")
        self.assertEqual(self.sql.instance_failover_groups.get(
            SQL_RG_A, "eastus2", "fog-ab").replication_role, "Primary")

    def test_unknown_scopes(self):
        r = self.sim.arm("GET", mi_path(SQL_RG_A, "mi-a", sub=UNKNOWN_SUB))
        self.assertArmError(r, 404, "SubscriptionNotFound")
        r = self.sim.arm("GET", mi_path("rg-nope", "mi-a"))
        self.assertArmError(r, 404, "ResourceGroupNotFound")
        r = self.sim.arm("GET", mi_path(SQL_RG_A, "mi-nope"))
        self.assertArmError(r, 404, "ResourceNotFound")
        # mi-b exists, but not in rg-sql-a.
        r = self.sim.arm("GET", mi_path(SQL_RG_A, "mi-b"))
        self.assertArmError(r, 404, "ResourceNotFound")
        with self.assertRaises(ResourceNotFoundError) as cm:
            self.sql.managed_instances.get(SQL_RG_A, "mi-nope")
        self.assertEqual(cm.exception.status_code, 404)

    def test_request_id_headers(self):
        corr = "0f3c2b1a-9e8d-4c7b-a6f5-e4d3c2b1a098"
        r = self.sim.arm("GET", self.PATH, headers={"x-ms-correlation-request-id": corr})
        self.assertEqual(r.status_code, 200, r.text)
        self.assertTrue(r.headers["Content-Type"].startswith("application/json"))
        self.assertEqual(r.headers.get("x-ms-correlation-request-id"), corr)
        self.assertTrue(r.headers.get("x-ms-request-id"))
        self.assertTrue(r.headers.get("x-ms-routing-request-id"))
        # Without one sent, ARM makes its own correlation id.
        r = self.sim.arm("GET", self.PATH)
        self.assertTrue(r.headers.get("x-ms-correlation-request-id"))
        self.assertNotEqual(r.headers["x-ms-correlation-request-id"], corr)
        # Errors carry them too (they are what support asks for).
        r = self.sim.arm("GET", mi_path(SQL_RG_A, "mi-nope"))
        self.assertEqual(r.status_code, 404)
        for h in ("x-ms-request-id", "x-ms-correlation-request-id", "x-ms-routing-request-id"):
            self.assertTrue(r.headers.get(h), h)

    def test_routing_request_id_format(self):
        # REGION:TIMESTAMP:GUID (azure-protocol 1), as ARM sends it, e.g.
        # WESTUS2:20230112T004208Z:<guid>: three fields when split on ':', the timestamp
        # in the compact form without colons.
        r = self.sim.arm("GET", self.PATH)
        routing = r.headers.get("x-ms-routing-request-id", "")
        self.assertRegex(routing, r"^[A-Z0-9]+:\d{8}T\d{6}Z:[0-9a-fA-F-]{36}$")

    def test_ratelimit_headers(self):
        r = self.sim.arm("GET", self.PATH)
        self.assertRegex(r.headers.get("x-ms-ratelimit-remaining-subscription-reads", ""),
                         r"^\d+$")
        # Writes (PUT, POST) report the write quota.
        r = self.sim.arm("POST", self.PATH + "/validateAzureKeyVaultEncryptionKey",
                         body={"tdeKeyUri": "%s/keys/tde/%s" % (self.sim.vault_url("kv-sql-a"),
                                                                TDE_VERSION)})
        self.assertIn(r.status_code, (200, 202), r.text)
        self.assertRegex(r.headers.get("x-ms-ratelimit-remaining-subscription-writes", ""),
                         r"^\d+$")

    def test_ratelimit_deletes_header(self):
        # ARM counts deletes apart and reports x-ms-ratelimit-remaining-subscription-deletes
        # on them (azure-protocol 1), not the writes counter.
        r = self.sim.arm("DELETE", self.PATH + "/keys/" +
                         server_key_name("kv-sql-a", "gone", "2" * 32))
        self.assertIn(r.status_code, (200, 202, 204), r.text)
        self.assertRegex(r.headers.get("x-ms-ratelimit-remaining-subscription-deletes", ""),
                         r"^\d+$", "DELETE answers carry x-ms-ratelimit-remaining-"
                         "subscription-deletes: %s" % dict(r.headers))

    def follow(self, link):
        tok = self.sim.token("operator", self.sim.management_url)
        return requests.get(link, headers={"Authorization": "Bearer " + tok},
                            verify=self.sim.ca_file, timeout=30)

    def test_paging(self):
        for path, expect in (("/subscriptions/%s/providers/Microsoft.Sql/managedInstances" % SUB,
                              {"mi-a", "mi-b"}),
                             (self.PATH + "/keys", {TDE_A, TDE_B})):
            r = self.sim.arm("GET", path, params={"$top": "1"})
            self.assertEqual(r.status_code, 200, r.text)
            page = r.json()
            self.assertEqual(len(page["value"]), 1, page)
            link = page.get("nextLink")
            self.assertIsInstance(link, str, page)
            q = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)
            self.assertIn("api-version", q, link)
            self.assertTrue(link.startswith(self.sim.management_url + "/"), link)
            names = [v["name"] for v in page["value"]]
            while link:
                r = self.follow(link)  # verbatim
                self.assertEqual(r.status_code, 200, r.text)
                page = r.json()
                names += [v["name"] for v in page["value"]]
                link = page.get("nextLink")
            self.assertEqual(sorted(names), sorted(expect))
            # Unpaged: everything, no nextLink.
            page = self.sim.arm("GET", path).json()
            self.assertEqual({v["name"] for v in page["value"]}, expect)
            self.assertIsNone(page.get("nextLink"))


# =========================================================================================
def throttled_scenario():
    s = base_scenario()
    s["settings"].update(arm_read_bucket=5, arm_read_refill=1)
    return s


class Throttling(SqlCase):
    scenario = throttled_scenario()

    def test_sixth_quick_read_is_throttled(self):
        tok = self.sim.token("operator", self.sim.management_url)
        path = "/subscriptions/%s/providers/Microsoft.Sql/managedInstances" % SUB
        answers = [self.sim.arm("GET", path, token=tok) for _ in range(6)]
        for r in answers[:5]:
            self.assertEqual(r.status_code, 200, r.text)
        remaining = [int(r.headers["x-ms-ratelimit-remaining-subscription-reads"])
                     for r in answers[:5]]
        self.assertEqual(remaining, sorted(remaining, reverse=True), remaining)
        r = answers[5]
        self.assertArmError(r, 429, "SubscriptionRequestsThrottled")
        self.assertRegex(r.headers.get("Retry-After", ""), r"^[1-9]\d*$")
        # After Retry-After, the bucket has a token again.
        time.sleep(int(r.headers["Retry-After"]))
        self.assertEqual(self.sim.arm("GET", path, token=tok).status_code, 200)

    def test_sdk_retries_through_throttling(self):
        # Its own principal, so its own bucket.
        reader = self.sim.sql_client("reader")
        statuses = []
        hook = lambda resp: statuses.append(resp.http_response.status_code)  # noqa: E731
        for _ in range(8):
            mi = reader.managed_instances.get(SQL_RG_A, "mi-a", raw_response_hook=hook)
            self.assertEqual(mi.name, "mi-a")
        self.assertIn(429, statuses, "the SDK never met the throttle: %s" % statuses)
        self.assertEqual(statuses.count(200), 8, statuses)


# =========================================================================================
def slow_lro_scenario():
    s = base_scenario()
    s["settings"]["arm_operation_ms"] = 1500  # long enough to see an operation running
    return s


class LroProtocol(SqlCase):
    """The wire protocol of long-running operations (azure-protocol 7)."""

    scenario = slow_lro_scenario()

    def get_url(self, url):
        tok = self.sim.token("operator", self.sim.management_url)
        return requests.get(url, headers={"Authorization": "Bearer " + tok},
                            verify=self.sim.ca_file, timeout=30)

    def check_202(self, r):
        self.assertEqual(r.status_code, 202, r.text)
        for h in ("Azure-AsyncOperation", "Location", "Retry-After"):
            self.assertIn(h, r.headers)
        self.assertRegex(r.headers["Retry-After"], r"^\d+$")
        for h in ("Azure-AsyncOperation", "Location"):
            url = r.headers[h]
            self.assertTrue(url.startswith(self.sim.management_url + "/"), url)
            q = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
            self.assertIn("api-version", q, url)

    def run_until_done(self, r, final_location_statuses):
        """Running: async says InProgress, Location answers 202; done: returns (status body,
        Location response)."""
        async_url, location = r.headers["Azure-AsyncOperation"], r.headers["Location"]
        s = self.get_url(async_url)
        self.assertEqual(s.status_code, 200, s.text)
        self.assertEqual(s.json()["status"], "InProgress", s.text)
        self.assertIn("startTime", s.json())
        loc = self.get_url(location)
        self.assertEqual(loc.status_code, 202, loc.text)
        self.assertIn("Location", loc.headers)
        self.assertIn("Retry-After", loc.headers)
        deadline = time.time() + 20
        while s.json()["status"] == "InProgress":
            self.assertLess(time.time(), deadline, s.text)
            time.sleep(0.2)
            s = self.get_url(async_url)
            self.assertEqual(s.status_code, 200, s.text)
        loc = self.get_url(location)
        self.assertIn(loc.status_code, final_location_statuses, loc.text)
        return s.json(), loc

    def test_put_key_succeeds(self):
        key = self.new_key("kv-sql-b")
        name = server_key_name("kv-sql-b", key.name, key.properties.version)
        path = mi_path(SQL_RG_B, "mi-b") + "/keys/" + name
        r = self.sim.arm("PUT", path, body={"properties": {
            "serverKeyType": "AzureKeyVault", "uri": self.uri("kv-sql-b", key)}})
        self.check_202(r)
        status, _ = self.run_until_done(r, (200, 204))
        self.assertEqual(status["status"], "Succeeded", status)
        self.assertIn("endTime", status)
        self.assertNotIn("error", status)
        g = self.sim.arm("GET", path)
        self.assertEqual(g.status_code, 200, g.text)
        self.assertEqual(g.json()["name"], name)
        self.assertEqual(g.json()["properties"]["uri"], self.uri("kv-sql-b", key))

    def test_failed_operation(self):
        key = self.new_key("kv-sql-a")
        name = server_key_name("kv-sql-a", key.name, key.properties.version)
        r = self.sim.arm("PUT", mi_path(SQL_RG_A, "mi-a") + "/keys/" + name,
                         body={"properties": {"serverKeyType": "AzureKeyVault",
                                              "uri": self.uri("kv-sql-a", key)}})
        self.assertEqual(self.wait_raw(r)["status"], "Succeeded")
        # Only on mi-a: the protector change must fail in its workflow.
        r = self.sim.arm("PUT", mi_path(SQL_RG_A, "mi-a") + "/encryptionProtector/current",
                         body={"properties": {"serverKeyType": "AzureKeyVault",
                                              "serverKeyName": name}})
        self.check_202(r)
        status, loc = self.run_until_done(r, range(400, 600))
        self.assertEqual(status["status"], "Failed", status)
        self.assertEqual(status["error"]["code"], "SameKeyMaterialNotFoundOnRemoteServer")
        self.assertTrue(status["error"]["message"])
        self.assertEqual(loc.json()["error"]["code"], "SameKeyMaterialNotFoundOnRemoteServer")

    def test_post_action_location_gives_result(self):
        r = self.sim.arm("POST", fog_path("centralus", "fog-ab") + "/failover")
        self.check_202(r)
        status, loc = self.run_until_done(r, (200,))
        self.assertEqual(status["status"], "Succeeded", status)
        body = loc.json()
        self.assertEqual(body["name"], "fog-ab")
        self.assertEqual(body["properties"]["replicationRole"], "Primary")
        r = self.sim.arm("GET", fog_path("eastus2", "fog-ab"))
        self.assertEqual(r.json()["properties"]["replicationRole"], "Secondary")

    def test_delete_key_registration(self):
        key = self.new_key("kv-sql-a")
        name = server_key_name("kv-sql-a", key.name, key.properties.version)
        path = mi_path(SQL_RG_A, "mi-a") + "/keys/" + name
        r = self.sim.arm("PUT", path, body={"properties": {"serverKeyType": "AzureKeyVault",
                                                           "uri": self.uri("kv-sql-a", key)}})
        self.assertEqual(self.wait_raw(r)["status"], "Succeeded")
        r = self.sim.arm("DELETE", path)
        if r.status_code == 202:
            self.check_202(r)
            status, _ = self.run_until_done(r, (200, 204))
            self.assertEqual(status["status"], "Succeeded", status)
        else:
            self.assertIn(r.status_code, (200, 204), r.text)
        self.assertArmError(self.sim.arm("GET", path), 404, "ResourceNotFound")
        self.assertEqual(self.sim.arm("DELETE", path).status_code, 204)

    def test_sdk_poller_honours_the_protocol(self):
        # The same operation through the SDK: PUT, polls, final GET of the resource.
        key = self.new_key("kv-sql-b")
        t = time.time()
        name = self.register("mi-b", "kv-sql-b", key)
        self.assertGreaterEqual(time.time() - t, 1.4, "the poller returned before the end")
        self.assertEqual(self.sql.managed_instance_keys.get(SQL_RG_B, "mi-b", name).uri,
                         self.uri("kv-sql-b", key))


if __name__ == "__main__":
    unittest.main()
