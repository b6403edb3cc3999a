"""Model tests, each a scenario with faults and simulated time.

azsim plays SQL managed instances that use two vaults (DOMAIN.md, "How an
instance uses its vaults"): every mi_check_interval each instance checks its
protector in its own-region vault; on an outage it serves from the
same-thumbprint copy in the other vault; on lost access (revoked, deleted,
disabled, expired, not yet valid) it does not fall back; without any key its
databases turn Inaccessible inaccessible_after the first failed check, heal on
their own when access is back within heal_window, and need a revalidate (and
lose the failover group) after that.

Every test starts its own azsim on the base scenario (mi-a in eastus2 with its
protector in kv-sql-a, mi-b in centralus with its protector in kv-sql-b,
failover group fog-ab) with the default timings: checks every 600 s,
Inaccessible 600 s after the first failed check, heal window 1800 s, heal delay
600 s, auto-rotation pickup 3600 s. Time moves only through sim.advance (plus
the few real seconds a test takes).

Timeline used below: T0 is the first check (forced at set-up), a fault is added
just after it, so the first check that sees the fault is at T0+600 ("lost
since"), and the databases turn Inaccessible at the check of T0+1200.
"""

import datetime
import json
import shutil
import tempfile
import unittest
import warnings

from azsim import SQL_RG_A, SQL_RG_B, SUB, TDE_VERSION, Azsim, base_scenario

CHECK = 600  # default mi_check_interval_seconds
FOG = "fog-ab"
A_PROTECTOR = "kv-sql-a_tde_" + TDE_VERSION
B_COPY = "kv-sql-b_tde_" + TDE_VERSION
B_PROTECTOR = "kv-sql-b_tde_" + TDE_VERSION
RG = {"mi-a": SQL_RG_A, "mi-b": SQL_RG_B}
REGION = {"mi-a": "eastus2", "mi-b": "centralus"}


def lro_error_code(exc):
    """The ARM error code an azure-core HttpResponseError carries (a failed LRO or a 4xx)."""
    error = getattr(exc, "error", None)
    if error is not None and getattr(error, "code", None):
        return error.code
    response = getattr(exc, "response", None)
    if response is not None:
        try:
            body = json.loads(response.text())
            return (body.get("error") or {}).get("code")
        except (ValueError, AttributeError):
            pass
    return None


class ModelTestCase(unittest.TestCase):
    """A fresh azsim per test; settings overrides per class."""

    settings = {}
    state_dir = None

    def setUp(self):
        # The SDK clients made per test keep their connection pools until collected.
        warnings.filterwarnings("ignore", message="unclosed", category=ResourceWarning)
        scenario = base_scenario()
        scenario["settings"].update(self.settings)
        self.scenario = scenario
        self.sim = self.start_sim()
        self._sql = None

    def start_sim(self, state_dir=None):
        sim = Azsim(self.scenario, state_dir=state_dir).start()
        self.addCleanup(self._stop, sim)
        # Every instance checked its key as azsim booted, before it listened (T0): the
        # next check is at most one interval after the clock anyone can read.
        now = sim.control("GET", "/clock")["now"]
        for mi in sim.model():
            self.assertNotEqual(mi["next_check"], 0, mi)
            self.assertLessEqual(mi["next_check"], now + CHECK, mi)
        return sim

    def _stop(self, sim):
        try:
            if sim.proc is not None:
                sim.stop()
        finally:
            sim.tmp.cleanup()

    # -- helpers ----------------------------------------------------------------------------
    @property
    def sql(self):
        if self._sql is None:
            self._sql = self.sim.sql_client()
        return self._sql

    def dbs(self, name):
        """The set of database states the model reports for instance name."""
        return {db["status"] for db in self.sim.model(name)["databases"]}

    def assertDbs(self, name, status, msg=""):
        model = self.sim.model(name)
        states = {db["status"] for db in model["databases"]}
        self.assertEqual(states, {status}, "%s %s: %s" % (name, msg, json.dumps(model)))

    def assertArmDbs(self, name, status):
        """What ARM (the SDK) reports agrees with the model."""
        for db in self.sql.managed_databases.list_by_instance(RG[name], name):
            self.assertEqual(db.status, status, "%s/%s" % (name, db.name))

    def assertAccess(self, name, access, serving=None, error=None):
        model = self.sim.model(name)
        self.assertEqual(model["access"], access, json.dumps(model))
        if serving is not None:
            self.assertEqual(model["serving"].lower(), serving.lower(), json.dumps(model))
        if error is not None:
            self.assertEqual(model["last_error"], error, json.dumps(model))
        return model

    def fog(self, location="eastus2"):
        return self.sql.instance_failover_groups.get(SQL_RG_A, location, FOG)

    def revalidate(self, name):
        self.sql.managed_instance_encryption_protectors.begin_revalidate(
            RG[name], name, "current").result()

    def protector(self, name):
        return self.sql.managed_instance_encryption_protectors.get(RG[name], name, "current")

    def register(self, name, uri):
        from azure.mgmt.sql.models import ManagedInstanceKey
        key_name = uri_to_server_key(uri)
        return self.sql.managed_instance_keys.begin_create_or_update(
            RG[name], name, key_name,
            ManagedInstanceKey(server_key_type="AzureKeyVault", uri=uri)).result()

    def set_protector(self, name, server_key_name, auto_rotation=False):
        from azure.mgmt.sql.models import ManagedInstanceEncryptionProtector
        return self.sql.managed_instance_encryption_protectors.begin_create_or_update(
            RG[name], name, "current",
            ManagedInstanceEncryptionProtector(server_key_type="AzureKeyVault",
                                               server_key_name=server_key_name,
                                               auto_rotation_enabled=auto_rotation)).result()

    def server_keys(self, name):
        return {k.name.lower(): k for k in self.sql.managed_instance_keys.list_by_instance(
            RG[name], name)}

    def lose_access_to_both(self):
        """Both vaults unreachable for everyone (a two-region Key Vault outage)."""
        return [self.sim.fault("refused", "vault:kv-sql-a"),
                self.sim.fault("refused", "vault:kv-sql-b")]


def uri_to_server_key(uri):
    """https://{vault}.vault.{suffix}:port/keys/{key}/{version} -> {vault}_{key}_{version}."""
    host, _, path = uri.split("://", 1)[1].partition("/")
    vault = host.split(".", 1)[0]
    parts = path.split("/")
    return "_".join([vault] + parts[1:3])


class FallbackTest(ModelTestCase):
    def test_primary_vault_out_for_mi_a_region_serves_from_secondary(self):
        fid = self.sim.fault("refused", "vault:kv-sql-a@eastus2")
        self.sim.advance(CHECK)
        self.assertAccess("mi-a", "secondary", serving=B_COPY, error="")
        self.assertDbs("mi-a", "Online")
        # mi-b reaches its own vault (kv-sql-b) and is not concerned.
        self.assertAccess("mi-b", "ok", serving=B_PROTECTOR)
        # The fallback holds for as long as the outage lasts: never Inaccessible.
        self.sim.advance(3 * 3600)
        self.assertAccess("mi-a", "secondary", serving=B_COPY)
        self.assertDbs("mi-a", "Online")
        self.assertArmDbs("mi-a", "Online")
        self.assertFalse(self.sim.model("mi-a")["revalidate_needed"])
        # The protector itself did not move: the secondary copy only serves.
        self.assertEqual(self.protector("mi-a").server_key_name.lower(), A_PROTECTOR)
        self.sim.clear_fault(fid)
        self.sim.advance(CHECK)
        self.assertAccess("mi-a", "ok", serving=A_PROTECTOR)
        self.assertDbs("mi-a", "Online")

    def test_outage_seen_by_everyone_serves_from_secondary(self):
        fid = self.sim.fault("refused", "vault:kv-sql-a")
        self.sim.advance(CHECK)
        self.assertAccess("mi-a", "secondary", serving=B_COPY, error="")
        self.assertAccess("mi-b", "ok", serving=B_PROTECTOR)
        self.sim.advance(2 * CHECK)
        self.assertDbs("mi-a", "Online")
        self.assertDbs("mi-b", "Online")
        self.sim.clear_fault(fid)
        # Other outage shapes count as outages too: a 5xx storm, a blackhole, resets.
        for kind, params in (("error", {"status": 503}), ("blackhole", {}), ("reset", {}),
                             ("throttle", {}), ("latency", {"ms": 60000})):
            with self.subTest(kind=kind):
                fid = self.sim.fault(kind, "vault:kv-sql-a@eastus2", **params)
                self.sim.advance(CHECK)
                self.assertAccess("mi-a", "secondary", serving=B_COPY)
                self.sim.clear_fault(fid)
                self.sim.advance(CHECK)
                self.assertAccess("mi-a", "ok", serving=A_PROTECTOR)
        self.assertDbs("mi-a", "Online")

    def test_fallback_needs_a_usable_registered_copy(self):
        # The other vault's copy must be reachable and granted: with mi-a's grant on kv-sql-b
        # revoked, an outage of kv-sql-a leaves mi-a without a key.
        revoke = self.sim.fault("revoke", vault="kv-sql-b", principal="mi-a-id")
        self.sim.advance(CHECK)
        self.assertAccess("mi-a", "ok", serving=A_PROTECTOR)  # nobody notices yet
        outage = self.sim.fault("refused", "vault:kv-sql-a@eastus2")
        self.sim.advance(CHECK)
        self.assertAccess("mi-a", "lost", serving="")
        self.sim.advance(CHECK)
        self.assertDbs("mi-a", "Inaccessible")
        self.sim.clear_fault(revoke)  # the copy is usable again: served from it, healed
        self.sim.advance(CHECK)
        self.assertAccess("mi-a", "secondary", serving=B_COPY)
        self.sim.advance(CHECK)
        self.assertDbs("mi-a", "Online")
        self.sim.clear_fault(outage)
        self.sim.advance(CHECK)
        # And the copy must be registered on the instance: without the registration of the
        # kv-sql-b copy there is nothing to fall back to.
        self.sql.managed_instance_keys.begin_delete(SQL_RG_A, "mi-a", B_COPY).result()
        self.assertNotIn(B_COPY, self.server_keys("mi-a"))
        self.sim.fault("refused", "vault:kv-sql-a@eastus2")
        self.sim.advance(CHECK)
        self.assertAccess("mi-a", "lost", serving="", error="AzureKeyVaultConnectionFailed")
        self.sim.advance(CHECK)
        self.assertDbs("mi-a", "Inaccessible")

    def test_private_endpoint_disconnected_is_an_outage_from_that_region_only(self):
        fid = self.sim.fault("pe-state", pe="pe-kv-sql-a-eastus2", status="Disconnected")
        self.sim.advance(CHECK)
        self.assertAccess("mi-a", "secondary", serving=B_COPY)
        self.assertAccess("mi-b", "ok", serving=B_PROTECTOR)
        self.sim.advance(2 * CHECK)
        self.assertDbs("mi-a", "Online")
        self.assertDbs("mi-b", "Online")
        self.sim.clear_fault(fid)
        self.sim.advance(CHECK)
        self.assertAccess("mi-a", "ok", serving=A_PROTECTOR)
        # mi-b's path to its own vault from centralus is another endpoint: breaking mi-b's
        # endpoint to kv-sql-b moves mi-b to the kv-sql-a copy, mi-a stays on its own vault.
        fid = self.sim.fault("pe-state", pe="pe-kv-sql-b-centralus", status="Rejected")
        self.sim.advance(CHECK)
        self.assertAccess("mi-b", "secondary", serving=A_PROTECTOR)
        self.assertAccess("mi-a", "ok", serving=A_PROTECTOR)
        self.sim.clear_fault(fid)


class GraceAndHealTest(ModelTestCase):
    def test_both_vaults_down_inaccessible_after_the_grace_not_before(self):
        self.lose_access_to_both()
        self.sim.advance(CHECK)  # T0+600: the first failed check
        for name in ("mi-a", "mi-b"):
            model = self.assertAccess(name, "lost", serving="",
                                      error="AzureKeyVaultConnectionFailed")
            self.assertGreater(model["lost_since"], 0)
            self.assertDbs(name, "Online", "right after the first failed check")
        self.sim.advance(300)  # 5 minutes after the first failed check
        for name in ("mi-a", "mi-b"):
            self.assertDbs(name, "Online", "5 minutes into the loss")
            self.assertArmDbs(name, "Online")
        self.sim.advance(300)  # 10 minutes: the grace is over
        for name in ("mi-a", "mi-b"):
            self.assertDbs(name, "Inaccessible", "10 minutes into the loss")
            self.assertArmDbs(name, "Inaccessible")
            self.assertFalse(self.sim.model(name)["revalidate_needed"])
        # While databases are Inaccessible the protector cannot change.
        from azure.core.exceptions import HttpResponseError
        with self.assertRaises(HttpResponseError) as cm:
            self.set_protector("mi-b", B_PROTECTOR)
        self.assertEqual(lro_error_code(cm.exception),
                         "ManagedInstanceContainsInaccessibleDatabases")
        # A revalidate while access is still lost fails and changes nothing.
        with self.assertRaises(HttpResponseError) as cm:
            self.revalidate("mi-a")
        self.assertEqual(lro_error_code(cm.exception), "AzureKeyVaultConnectionFailed")
        self.assertDbs("mi-a", "Inaccessible")

    def test_access_back_at_20_minutes_heals_without_revalidate(self):
        faults = self.lose_access_to_both()
        self.sim.advance(2 * CHECK)  # T0+1200: Inaccessible
        self.assertDbs("mi-a", "Inaccessible")
        for fid in faults:  # access back 20 minutes after it went
            self.sim.clear_fault(fid)
        self.sim.advance(CHECK)  # T0+1800: the instances see their keys again ...
        for name in ("mi-a", "mi-b"):
            self.assertAccess(name, "ok", error="")
            self.assertFalse(self.sim.model(name)["revalidate_needed"])
            # ... and heal heal_delay later, not at once.
            self.assertDbs(name, "Inaccessible", "right after access came back")
        self.sim.advance(CHECK)  # heal_delay (600 s) later
        for name in ("mi-a", "mi-b"):
            self.assertDbs(name, "Online", "heal_delay after access came back")
            self.assertArmDbs(name, "Online")
            self.assertEqual(self.sim.model(name)["lost_since"], 0)
        # Healed on its own: the failover group is still there.
        fog = self.fog()
        self.assertEqual(fog.replication_role, "Primary")
        # And it stays healthy.
        self.sim.advance(2 * 3600)
        self.assertDbs("mi-a", "Online")
        self.assertDbs("mi-b", "Online")

    def test_access_back_at_40_minutes_needs_revalidate_and_loses_the_failover_group(self):
        from azure.core.exceptions import ResourceNotFoundError
        faults = self.lose_access_to_both()
        self.sim.advance(4 * CHECK)  # T0+2400: lost for 30 minutes (since T0+600)
        for fid in faults:  # access back 40 minutes after it went
            self.sim.clear_fault(fid)
        self.sim.advance(CHECK)  # T0+3000: access is back, 40 minutes after the first failure
        for name in ("mi-a", "mi-b"):
            self.assertAccess(name, "ok", error="")
            self.assertTrue(self.sim.model(name)["revalidate_needed"], name)
            self.assertDbs(name, "Inaccessible", "access back too late")
        self.sim.advance(3 * 3600)  # no self-heal, however long we wait
        for name in ("mi-a", "mi-b"):
            self.assertDbs(name, "Inaccessible", "three hours later")
            self.assertArmDbs(name, "Inaccessible")
        self.assertEqual(self.fog().replication_role, "Primary")  # not yet gone

        self.revalidate("mi-a")
        self.assertDbs("mi-a", "Online", "after revalidate")
        self.assertArmDbs("mi-a", "Online")
        self.assertFalse(self.sim.model("mi-a")["revalidate_needed"])
        self.assertDbs("mi-b", "Inaccessible", "mi-b was not revalidated")
        # DOMAIN.md: after a late recovery failover-group settings are lost.
        for location in ("eastus2", "centralus"):
            with self.assertRaises(ResourceNotFoundError):
                self.fog(location)
        self.assertEqual(list(self.sql.instance_failover_groups.list_by_location(
            SQL_RG_A, "eastus2")), [])
        self.revalidate("mi-b")
        self.assertDbs("mi-b", "Online", "after revalidate")
        self.sim.advance(2 * CHECK)
        self.assertDbs("mi-a", "Online")
        self.assertDbs("mi-b", "Online")


class LostAccessTest(ModelTestCase):
    """Lost access is intentional for SQL: no fallback to the other vault's copy."""

    def assertNoFallback(self, error=None):
        """mi-a lost its key without falling back; Inaccessible after the grace."""
        self.sim.advance(CHECK)
        model = self.assertAccess("mi-a", "lost", serving="", error=error)
        self.assertTrue(model["last_error"], model)
        self.assertDbs("mi-a", "Online", "inside the grace")
        self.sim.advance(CHECK)
        self.assertAccess("mi-a", "lost", serving="")
        self.assertDbs("mi-a", "Inaccessible", "after the grace")
        self.assertArmDbs("mi-a", "Inaccessible")
        return model

    def assertHeals(self):
        """Access back inside the window: Online again heal_delay later, group kept."""
        self.sim.advance(CHECK)
        self.assertAccess("mi-a", "ok", serving=A_PROTECTOR, error="")
        self.assertFalse(self.sim.model("mi-a")["revalidate_needed"])
        self.sim.advance(CHECK)
        self.assertDbs("mi-a", "Online", "healed")
        self.assertEqual(self.fog().replication_role, "Primary")

    def test_revoked_access_does_not_fall_back_and_heals_when_cleared_in_time(self):
        fid = self.sim.fault("revoke", vault="kv-sql-a", principal="mi-a-id")
        self.assertNoFallback(error="AzureKeyVaultMissingPermissions")
        self.assertAccess("mi-b", "ok", serving=B_PROTECTOR)  # mi-b's grant is untouched
        self.assertDbs("mi-b", "Online")
        self.sim.clear_fault(fid)
        self.assertHeals()

    def test_expired_key_does_not_fall_back(self):
        fid = self.sim.fault("key-expire", vault="kv-sql-a", key="tde")
        self.assertNoFallback(error="AzureKeyVaultInvalidExpirationDate")
        self.sim.clear_fault(fid)
        self.assertHeals()

    def test_disabled_key_does_not_fall_back(self):
        fid = self.sim.fault("key-disable", vault="kv-sql-a", key="tde",
                             version=TDE_VERSION)
        self.assertNoFallback(error="AzureKeyVaultKeyDisabled")
        self.sim.clear_fault(fid)
        self.assertHeals()

    def test_key_not_yet_valid_does_not_fall_back(self):
        kc = self.sim.key_client("kv-sql-a")
        now = datetime.datetime.fromtimestamp(
            self.sim.control("GET", "/clock")["now"], datetime.timezone.utc)
        kc.update_key_properties("tde", TDE_VERSION, not_before=now + datetime.timedelta(days=7))
        self.assertNoFallback()
        kc.update_key_properties("tde", TDE_VERSION, not_before=now - datetime.timedelta(days=1))
        self.assertHeals()

    def test_deleted_key_does_not_fall_back(self):
        fid = self.sim.fault("key-delete", vault="kv-sql-a", key="tde")
        self.assertNoFallback()
        self.sim.clear_fault(fid)
        self.assertHeals()

    def test_deleted_vault_does_not_fall_back(self):
        fid = self.sim.fault("vault-delete", vault="kv-sql-a")
        self.assertNoFallback()
        # mi-b's own vault is kv-sql-b: not concerned.
        self.assertAccess("mi-b", "ok", serving=B_PROTECTOR)
        self.sim.clear_fault(fid)
        self.assertHeals()

    def test_rbac_flip_without_role_does_not_fall_back_and_clear_restores(self):
        # Flipping kv-sql-a to RBAC wipes its access policies; mi-a's identity has no role.
        fid = self.sim.fault("rbac-flip", vault="kv-sql-a")
        self.assertNoFallback()
        self.sim.clear_fault(fid)
        self.assertHeals()


class RotationTest(ModelTestCase):
    def copy_new_key(self, name):
        """A new key in kv-sql-a, copied into kv-sql-b by backup/restore (same material)."""
        ka, kb = self.sim.key_client("kv-sql-a"), self.sim.key_client("kv-sql-b")
        key = ka.create_rsa_key(name, size=2048, hardware_protected=True)
        restored = kb.restore_key_backup(ka.backup_key(name))
        self.assertEqual(restored.properties.version, key.properties.version)
        self.assertEqual(restored.key.n, key.key.n)
        return key.id, restored.id

    def test_wrong_order_fails_atomically_with_same_key_material_not_found(self):
        from azure.core.exceptions import HttpResponseError
        uri_a, uri_b = self.copy_new_key("tde2")
        name_a, name_b = uri_to_server_key(uri_a).lower(), uri_to_server_key(uri_b).lower()
        # Register both copies on the primary only, then try to make it the protector.
        for uri in (uri_a, uri_b):
            self.register("mi-a", uri)
        keys_a = self.server_keys("mi-a")
        self.assertEqual(keys_a[name_a].thumbprint, keys_a[name_b].thumbprint)
        b_keys_before = set(self.server_keys("mi-b"))
        with self.assertRaises(HttpResponseError) as cm:
            self.set_protector("mi-a", name_a)
        self.assertEqual(lro_error_code(cm.exception), "SameKeyMaterialNotFoundOnRemoteServer",
                         str(cm.exception))
        # Nothing changed: protectors, mi-b's keys, the model.
        self.assertEqual(self.protector("mi-a").server_key_name.lower(), A_PROTECTOR)
        self.assertEqual(self.protector("mi-b").server_key_name.lower(), B_PROTECTOR)
        self.assertEqual(set(self.server_keys("mi-b")), b_keys_before)
        self.sim.advance(CHECK)
        self.assertAccess("mi-a", "ok", serving=A_PROTECTOR)
        self.assertAccess("mi-b", "ok", serving=B_PROTECTOR)

    def test_right_order_moves_both_instances_to_the_new_key(self):
        uri_a, uri_b = self.copy_new_key("tde2")
        name_a, name_b = uri_to_server_key(uri_a).lower(), uri_to_server_key(uri_b).lower()
        # Register both copies on the secondary (mi-b), then on the primary (mi-a).
        for mi in ("mi-b", "mi-a"):
            for uri in (uri_a, uri_b):
                self.register(mi, uri)
        # Protector on the secondary first (its own-region copy), then on the primary.
        self.set_protector("mi-b", name_b)
        self.set_protector("mi-a", name_a)
        pa, pb = self.protector("mi-a"), self.protector("mi-b")
        self.assertEqual(pa.server_key_name.lower(), name_a)
        self.assertEqual(pb.server_key_name.lower(), name_b)
        self.assertEqual(pa.thumbprint, pb.thumbprint)
        old = self.server_keys("mi-a")[A_PROTECTOR].thumbprint
        self.assertNotEqual(pa.thumbprint, old)
        self.sim.advance(3600)  # watch for an hour
        self.assertAccess("mi-a", "ok", serving=name_a)
        self.assertAccess("mi-b", "ok", serving=name_b)
        for mi in self.sim.model():
            self.assertEqual({db["status"] for db in mi["databases"]}, {"Online"}, mi)
        for name in ("mi-a", "mi-b"):
            self.assertArmDbs(name, "Online")
        # The new key has the same fallback as the old one.
        fid = self.sim.fault("refused", "vault:kv-sql-a@eastus2")
        self.sim.advance(CHECK)
        self.assertAccess("mi-a", "secondary", serving=name_b)
        self.sim.clear_fault(fid)

    def test_auto_rotation_follows_a_new_version_and_pushes_it_to_the_partner(self):
        # mi-b already has mi-a's protector (the kv-sql-a copy) registered.
        self.assertIn(A_PROTECTOR, self.server_keys("mi-b"))
        self.set_protector("mi-a", A_PROTECTOR, auto_rotation=True)
        self.assertTrue(self.protector("mi-a").auto_rotation_enabled)
        new = self.sim.key_client("kv-sql-a").rotate_key("tde")
        new_version = new.properties.version
        self.assertNotEqual(new_version.lower(), TDE_VERSION)
        new_name = ("kv-sql-a_tde_" + new_version).lower()
        self.sim.advance(1800)  # inside the pickup time: nothing yet
        self.assertEqual(self.protector("mi-a").server_key_name.lower(), A_PROTECTOR)
        self.sim.advance(1800 + CHECK)  # past rotation_pickup (3600 s)
        p = self.protector("mi-a")
        self.assertEqual(p.server_key_name.lower(), new_name)
        self.assertTrue(p.auto_rotation_enabled)
        self.assertIn(new_name, self.server_keys("mi-a"))
        self.assertIn(new_name, self.server_keys("mi-b"))
        self.assertEqual(self.server_keys("mi-b")[new_name].thumbprint, p.thumbprint)
        self.assertAccess("mi-a", "ok", serving=new_name)
        self.sim.advance(3600)
        self.assertDbs("mi-a", "Online")
        self.assertDbs("mi-b", "Online")
        # mi-b's own protector did not move (it is not auto-rotating).
        self.assertEqual(self.protector("mi-b").server_key_name.lower(), B_PROTECTOR)

    def test_auto_rotation_never_moves_back_to_an_older_version(self):
        self.set_protector("mi-a", A_PROTECTOR, auto_rotation=True)
        new = self.sim.key_client("kv-sql-a").rotate_key("tde")
        new_name = ("kv-sql-a_tde_" + new.properties.version).lower()
        self.sim.advance(3600 + CHECK)
        self.assertEqual(self.protector("mi-a").server_key_name.lower(), new_name)
        # Disabling the current version loses access (DOMAIN.md 4); auto-rotation only looks
        # for a *newer* version and must not fall back to the older, still enabled one.
        self.sim.fault("key-disable", vault="kv-sql-a", key="tde",
                       version=new.properties.version)
        self.sim.advance(CHECK)
        self.assertEqual(self.protector("mi-a").server_key_name.lower(), new_name)
        self.assertAccess("mi-a", "lost", serving="", error="AzureKeyVaultKeyDisabled")
        self.sim.advance(CHECK)
        self.assertDbs("mi-a", "Inaccessible")


class FailoverTest(ModelTestCase):
    def test_failover_swaps_roles_and_both_keep_access(self):
        self.assertEqual(self.fog("eastus2").replication_role, "Primary")
        fog = self.sql.instance_failover_groups.begin_failover(
            SQL_RG_A, "centralus", FOG).result()
        self.assertEqual(fog.replication_role, "Primary")
        self.assertEqual(self.fog("centralus").replication_role, "Primary")
        self.assertEqual(self.fog("eastus2").replication_role, "Secondary")
        self.sim.advance(CHECK)
        self.assertAccess("mi-a", "ok", serving=A_PROTECTOR)
        self.assertAccess("mi-b", "ok", serving=B_PROTECTOR)
        self.sim.advance(3600)
        for mi in self.sim.model():
            self.assertEqual({db["status"] for db in mi["databases"]}, {"Online"}, mi)
        # The fallback still works from either side after the swap.
        fid = self.sim.fault("refused", "vault:kv-sql-b@centralus")
        self.sim.advance(CHECK)
        self.assertAccess("mi-b", "secondary", serving=A_PROTECTOR)
        self.sim.clear_fault(fid)


class CountersTest(ModelTestCase):
    """GET /model counts, per instance and since azsim started, the databases that turned
    Inaccessible (inaccessible_events) and the times access went from fine to lost
    (lost_events): what a rotation test asserts to prove nothing ever went Inaccessible."""

    def counters(self, name):
        model = self.sim.model(name)
        return model["inaccessible_events"], model["lost_events"]

    def test_counters_and_tags_are_reported_from_zero(self):
        for mi in self.sim.model():
            self.assertEqual(mi["inaccessible_events"], 0, mi)
            self.assertEqual(mi["lost_events"], 0, mi)
            self.assertEqual(mi["tags"], {}, mi)
        r = self.sim.arm("PATCH", "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Sql/"
                         "managedInstances/mi-a/providers/Microsoft.Resources/tags/default"
                         % (SUB, SQL_RG_A),
                         api="2021-04-01",
                         body={"operation": "Merge", "properties": {"tags": {"lock": "L"}}})
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(self.sim.model("mi-a")["tags"], {"lock": "L"})
        self.assertEqual(self.sim.model("mi-b")["tags"], {})

    def test_key_disabled_long_enough_moves_inaccessible_events(self):
        fid = self.sim.fault("key-disable", vault="kv-sql-a", key="tde")
        self.sim.advance(CHECK)  # the first failed check: lost, still Online
        self.assertAccess("mi-a", "lost", error="AzureKeyVaultKeyDisabled")
        self.assertEqual(self.counters("mi-a"), (0, 1))
        self.sim.advance(CHECK)  # inaccessible_after later: both databases turn
        self.assertDbs("mi-a", "Inaccessible")
        self.assertEqual(self.counters("mi-a"), (2, 1))
        self.sim.advance(CHECK)  # staying Inaccessible counts nothing more
        self.assertEqual(self.counters("mi-a"), (2, 1))
        self.assertEqual(self.counters("mi-b"), (0, 0), "mi-b's protector is in kv-sql-b")
        # Access back within the window: healed; the counters keep what happened.
        self.sim.clear_fault(fid)
        self.sim.advance(2 * CHECK)
        self.assertDbs("mi-a", "Online")
        self.assertEqual(self.counters("mi-a"), (2, 1))
        # A second loss counts again.
        self.sim.fault("key-disable", vault="kv-sql-a", key="tde")
        self.sim.advance(2 * CHECK)
        self.assertDbs("mi-a", "Inaccessible")
        self.assertEqual(self.counters("mi-a"), (4, 2))

    def test_short_loss_counts_lost_but_not_inaccessible(self):
        fid = self.sim.fault("key-disable", vault="kv-sql-a", key="tde")
        self.sim.advance(CHECK)
        self.assertEqual(self.counters("mi-a"), (0, 1))
        self.sim.clear_fault(fid)  # back before inaccessible_after has passed
        self.sim.advance(4 * CHECK)
        self.assertDbs("mi-a", "Online")
        self.assertEqual(self.counters("mi-a"), (0, 1))

    def test_fallback_to_the_secondary_vault_is_not_a_loss(self):
        fid = self.sim.fault("refused", "vault:kv-sql-a@eastus2")
        self.sim.advance(3 * CHECK)
        self.assertAccess("mi-a", "secondary", serving=B_COPY)
        self.sim.clear_fault(fid)
        self.sim.advance(CHECK)
        for name in ("mi-a", "mi-b"):
            self.assertEqual(self.counters(name), (0, 0), name)


class RestartTest(ModelTestCase):
    def test_model_state_survives_a_restart_with_state(self):
        state = tempfile.mkdtemp(prefix="azsim-model-state-")
        self.addCleanup(shutil.rmtree, state, True)
        self.sim.stop()  # the set-up's azsim ran without --state
        self.sim = self.start_sim(state_dir=state)
        self.lose_access_to_both()
        self.sim.advance(2 * CHECK)
        before = {mi["name"]: mi for mi in self.sim.model()}
        clock_before = self.sim.control("GET", "/clock")["now"]
        self.assertEqual({db["status"] for db in before["mi-a"]["databases"]}, {"Inaccessible"})
        self.assertEqual(before["mi-a"]["inaccessible_events"], 2)
        self.sim.stop()

        self.sim = Azsim(self.scenario, state_dir=state).start()
        self.addCleanup(self._stop, self.sim)
        after = {mi["name"]: mi for mi in self.sim.model()}
        for name in ("mi-a", "mi-b"):
            self.assertEqual(after[name]["databases"], before[name]["databases"], name)
            self.assertEqual(after[name]["lost_since"], before[name]["lost_since"], name)
            self.assertEqual(after[name]["revalidate_needed"], before[name]["revalidate_needed"])
            # The counters are this process's: a restart starts them again from zero.
            self.assertEqual((after[name]["inaccessible_events"], after[name]["lost_events"]),
                             (0, 0), name)
        # Simulated time does not run backwards across a restart: what was advanced stays
        # advanced (lost_since, next_check and key dates are on that clock).
        clock_after = self.sim.control("GET", "/clock")["now"]
        self.assertGreaterEqual(clock_after, clock_before,
                                "simulated clock went back %d s on restart"
                                % (clock_before - clock_after))
        # Faults are not kept across a restart: access is back within the window, so the
        # databases heal on their own.
        self.assertEqual(self.sim.control("GET", "/faults")["value"], [])
        self.sim.advance(2 * CHECK)
        for name in ("mi-a", "mi-b"):
            self.assertDbs(name, "Online", "healed after the restart")


if __name__ == "__main__":
    unittest.main()
