"""Test harness: start azsim on free ports, talk to it as Azure clients do.

Used by every Python test under tests/. Run with Debian's /usr/bin/python3,
the interpreter that sees python3-azure. Environment (set by ctest):
  AZSIM           path to the azsim binary under test (plain or sanitized build)
  TDECTL_SHARED   the shared reference folder (official examples, recordings)

Nothing here patches Microsoft's SDK: clients are pointed at azsim with the
same knobs a user has (authority host, vault URL, CA bundle), and *.localhost
names resolve to loopback through libnss-myhostname.
"""

import copy
import json
import os
import signal
import subprocess
import tempfile
import time
import unittest

import requests

AZSIM = os.environ.get("AZSIM", os.path.join(os.path.dirname(__file__), "../../build/sim/azsim"))
SHARED = os.environ.get("TDECTL_SHARED", os.path.join(os.path.dirname(__file__), "../../../shared"))

TENANT = "3b2f6c4e-1a7d-4c1e-9f3a-5d8e2b7c9a10"
OTHER_TENANT = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"
SUB = "6f1a2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b"
OTHER_SUB = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"

PRINCIPALS = {
    # name: (client_id, object_id, secret)
    "operator": ("11111111-1111-4111-8111-111111111111", "a1111111-1111-4111-8111-111111111111",
                 "operator-secret-Xy7"),
    "reader": ("22222222-2222-4222-8222-222222222222", "a2222222-2222-4222-8222-222222222222",
               "reader-secret-Xy7"),
    "nobody": ("33333333-3333-4333-8333-333333333333", "a3333333-3333-4333-8333-333333333333",
               "nobody-secret-Xy7"),
    "rbac-officer": ("44444444-4444-4444-8444-444444444444",
                     "a4444444-4444-4444-8444-444444444444", "officer-secret-Xy7"),
    "rbac-reader": ("55555555-5555-4555-8555-555555555555",
                    "a5555555-5555-4555-8555-555555555555", "rbacreader-secret-Xy7"),
    "foreign": ("66666666-6666-4666-8666-666666666666", "a6666666-6666-4666-8666-666666666666",
                "foreign-secret-Xy7"),
}
MI_CLIENT = "77777777-7777-4777-8777-777777777777"
MI_OBJECT = "a7777777-7777-4777-8777-777777777777"

# The demo scenario's (sim/scenarios/demo.json) tenant, subscription and principals, as
# the end-to-end tests sign tdectl in.
DEMO_TENANT = "1fc969be-ee9e-424f-9ec5-a33b1d15ab71"
DEMO_SUBSCRIPTION = "558aba93-77f9-4064-aa55-4db325ca1cbf"
DEMO_MONITOR_ID = "62a50920-39f7-44ce-af52-b5ad5ff7b541"
DEMO_MONITOR_SECRET = "demo-monitor-nthFMjndfT_W0t965DXzzIsbiZBFLBLF"
DEMO_OPERATOR_ID = "7d248692-5828-4a0d-ae0c-8333f4a54257"
DEMO_OPERATOR_SECRET = "demo-operator-dsWtHlPD2JMSTgzJ8QjRa9BXYmxbV4O3"

ALL_KEYS = ["get", "list", "create", "import", "update", "delete", "backup", "restore",
            "recover", "purge", "rotate", "getrotationpolicy", "setrotationpolicy", "wrapKey",
            "unwrapKey", "encrypt", "decrypt", "sign", "verify"]


def _vault(name, region, **extra):
    v = {
        "name": name, "subscription": SUB, "resource_group": "rg-test", "region": region,
        "sku": "premium", "soft_delete": True, "retention_days": 90, "purge_protection": True,
        "access_policies": [
            {"principal": "operator", "keys": ALL_KEYS},
            {"principal": "reader", "keys": ["get", "list", "getrotationpolicy"]},
            {"principal": "mi", "keys": ["get", "list", "wrapKey", "unwrapKey"]},
        ],
        "keys": [],
    }
    v.update(extra)
    return v


def base_scenario():
    """Vaults: kv-a and kv-b (same subscription, same geography), kv-eu (other
    geography), kv-sub2 (other subscription), kv-rbac (RBAC), kv-fw (firewall
    that admits nobody), kv-loose (no purge protection, 7-day retention),
    kv-std (standard SKU), kv-foreign (another tenant)."""
    principals = []
    for name, (cid, oid, secret) in PRINCIPALS.items():
        principals.append({"name": name, "kind": "app", "client_id": cid, "object_id": oid,
                           "secret": secret,
                           "tenant": OTHER_TENANT if name == "foreign" else TENANT})
    principals.append({"name": "mi", "kind": "managed_identity", "client_id": MI_CLIENT,
                       "object_id": MI_OBJECT, "imds_default": True, "tenant": TENANT,
                       "resource_id": "/subscriptions/%s/resourceGroups/rg/providers/"
                                      "Microsoft.ManagedIdentity/userAssignedIdentities/mi" % SUB})
    for name, (cid, oid) in SQL_IDENTITIES.items():
        principals.append({"name": name, "kind": "managed_identity", "client_id": cid,
                           "object_id": oid, "tenant": TENANT})
    return {
        "name": "test",
        "settings": {"soft_delete_transition_ms": 800, "arm_operation_ms": 200},
        "regions": [
            {"name": "eastus2", "geography": "United States"},
            {"name": "centralus", "geography": "United States"},
            {"name": "westeurope", "geography": "Europe"},
        ],
        "tenants": [{"id": TENANT, "name": "contoso"}, {"id": OTHER_TENANT, "name": "fabrikam"}],
        "subscriptions": [{"id": SUB, "name": "prod", "tenant": TENANT},
                          {"id": OTHER_SUB, "name": "other", "tenant": TENANT}],
        "principals": principals,
        "materials": [{"id": "m1", "size": 2048}, {"id": "tde-1", "size": 2048}],
        "vaults": [
            _vault("kv-a", "eastus2", keys=[{"name": "tde", "versions": [
                {"material": "m1", "version": "0123456789abcdef0123456789abcdef",
                 "created": "now-30d", "exp": "now+300d"}]}]),
            _vault("kv-b", "centralus"),
            _vault("kv-eu", "westeurope"),
            _vault("kv-sub2", "eastus2", subscription=OTHER_SUB),
            _vault("kv-rbac", "eastus2", rbac=True, access_policies=[], role_assignments=[
                {"principal": "rbac-officer", "role": "Key Vault Crypto Officer"},
                {"principal": "rbac-reader", "role": "Key Vault Reader"},
            ]),
            _vault("kv-fw", "eastus2",
                   network_acls={"default_action": "Deny", "bypass": "AzureServices",
                                 "ip_rules": ["10.1.2.3/32"]}),
            _vault("kv-loose", "eastus2", purge_protection=False, retention_days=7),
            _vault("kv-std", "eastus2", sku="standard"),
            _vault("kv-foreign", "eastus2", tenant=OTHER_TENANT, access_policies=[
                {"principal": "foreign", "tenant": OTHER_TENANT, "keys": ALL_KEYS}]),
        ] + sql_vaults(),
        **sql_estate(),
    }


# -- the SQL estate of the base scenario ---------------------------------------------------
#
# One instance failover group as in the reference architecture: mi-a (eastus2, primary) and
# mi-b (centralus, secondary); each uses its own-region vault (kv-sql-a, kv-sql-b) as primary
# vault and the other as secondary; both vaults hold key "tde" with the same material and
# version id (a backup/restore copy); private endpoints for both vaults in both regions.

SQL_IDENTITIES = {
    "mi-a-id": ("88888888-8888-4888-8888-888888888881", "b8888888-8888-4888-8888-888888888881"),
    "mi-b-id": ("88888888-8888-4888-8888-888888888882", "b8888888-8888-4888-8888-888888888882"),
}
TDE_VERSION = "fedcba9876543210fedcba9876543210"
SQL_RG_A, SQL_RG_B = "rg-sql-a", "rg-sql-b"


def sql_vaults():
    grants = [{"principal": "operator", "keys": ALL_KEYS},
              {"principal": "reader", "keys": ["get", "list", "getrotationpolicy"]},
              {"principal": "mi-a-id", "keys": ["get", "wrapKey", "unwrapKey"]},
              {"principal": "mi-b-id", "keys": ["get", "wrapKey", "unwrapKey"]}]
    key = [{"name": "tde", "versions": [{"material": "tde-1", "version": TDE_VERSION,
                                          "kty": "RSA-HSM", "created": "now-60d",
                                          "exp": "now+300d", "key_ops": ["wrapKey", "unwrapKey"]}]}]
    acls = {"default_action": "Deny", "bypass": "AzureServices",
            "ip_rules": ["127.0.0.1", "::1"]}
    return [
        _vault("kv-sql-a", "eastus2", resource_group=SQL_RG_A, access_policies=grants,
               network_acls=acls, keys=copy.deepcopy(key)),
        _vault("kv-sql-b", "centralus", resource_group=SQL_RG_B, access_policies=grants,
               network_acls=acls, keys=copy.deepcopy(key)),
    ]


def sql_estate():
    regs = [{"vault": "kv-sql-a", "key": "tde", "version": TDE_VERSION},
            {"vault": "kv-sql-b", "key": "tde", "version": TDE_VERSION}]
    dbs = [{"name": "sales"}, {"name": "orders"}]
    pes = []
    for vault, rg_vault in (("kv-sql-a", SQL_RG_A), ("kv-sql-b", SQL_RG_B)):
        for region, rg in (("eastus2", SQL_RG_A), ("centralus", SQL_RG_B)):
            pes.append({"name": "pe-%s-%s" % (vault, region), "subscription": SUB,
                        "resource_group": rg, "region": region, "vault": vault,
                        "status": "Approved", "ip": "10.%d.0.%d" % (1 if region == "eastus2" else 2,
                                                                    4 if vault == "kv-sql-a" else 5)})
    return {
        "private_endpoints": pes,
        "instances": [
            {"name": "mi-a", "subscription": SUB, "resource_group": SQL_RG_A, "region": "eastus2",
             "identity": {"principal": "mi-a-id", "type": "SystemAssigned"},
             "keys": copy.deepcopy(regs), "databases": copy.deepcopy(dbs),
             "protector": {"vault": "kv-sql-a", "key": "tde", "version": TDE_VERSION}},
            {"name": "mi-b", "subscription": SUB, "resource_group": SQL_RG_B, "region": "centralus",
             "identity": {"principal": "mi-b-id", "type": "SystemAssigned"},
             "keys": copy.deepcopy(regs), "databases": copy.deepcopy(dbs),
             "protector": {"vault": "kv-sql-b", "key": "tde", "version": TDE_VERSION}},
        ],
        "failover_groups": [{"name": "fog-ab", "resource_group": SQL_RG_A, "primary": "mi-a",
                             "secondary": "mi-b", "read_write_policy": "Automatic",
                             "grace_minutes": 60}],
        "arm_role_assignments": [
            {"principal": "operator", "role": "Contributor", "scope": "/subscriptions/" + SUB},
            {"principal": "reader", "role": "Reader", "scope": "/subscriptions/" + SUB},
        ],
    }


def tdectl_config(info, client_id=DEMO_MONITOR_ID, mode="secret", tenant=DEMO_TENANT,
                  subscription=DEMO_SUBSCRIPTION, **fields):
    """A tdectl configuration (a dict) for the azsim whose ready file is info: its endpoints
    as a custom cloud, its CA, the tenant and subscription (the demo's by default), signing
    in as client_id with mode; fields are added at the top level (read_only, poll, http ...)
    and win."""
    config = {
        "cloud": "custom",
        "endpoints": {"authority": info["authority"],
                      "arm": info.get("management_resource") or info["management_url"],
                      "vault_resource": info["vault_resource"]},
        "ca_file": os.path.abspath(info["ca_file"]),
        "auth": {"mode": mode, "tenant_id": tenant, "client_id": client_id},
        "subscriptions": [subscription],
    }
    config.update(fields)
    return config


class Azsim:
    """One azsim process on free ports, with a scenario given as a dict or a file."""

    def __init__(self, scenario=None, args=(), state_dir=None, env=None):
        self.tmp = tempfile.TemporaryDirectory(prefix="azsim-test-")
        self.scenario = copy.deepcopy(scenario) if scenario is not None else base_scenario()
        self.args = list(args)
        self.state_dir = state_dir
        self.env = env
        self.proc = None
        self.info = None

    # -- process -------------------------------------------------------------------------
    def start(self, timeout=60):
        if isinstance(self.scenario, str):
            scenario_path = self.scenario
        else:
            scenario_path = os.path.join(self.tmp.name, "scenario.json")
            with open(scenario_path, "w") as f:
                json.dump(self.scenario, f)
        ready = os.path.join(self.tmp.name, "ready.json")
        if os.path.exists(ready):
            os.unlink(ready)
        cmd = [AZSIM, "--port", "0", "--imds-port", "0", "--scenario", scenario_path,
               "--ready-file", ready, "--ca-out", os.path.join(self.tmp.name, "ca.pem")]
        if self.state_dir:
            cmd += ["--state", self.state_dir]
        cmd += self.args
        self.stderr_path = os.path.join(self.tmp.name, "azsim.stderr")
        self.stdout_path = os.path.join(self.tmp.name, "azsim.stdout")
        with open(self.stdout_path, "w") as out, open(self.stderr_path, "w") as err:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=self.env)
        deadline = time.time() + timeout
        while not os.path.exists(ready):
            if self.proc.poll() is not None:
                raise RuntimeError("azsim exited with %d: %s" % (self.proc.returncode,
                                                                 self.stderr()))
            if time.time() > deadline:
                self.proc.kill()
                raise RuntimeError("azsim did not become ready: " + self.stderr())
            time.sleep(0.02)
        with open(ready) as f:
            self.info = json.load(f)
        return self

    def stop(self, expect_clean=True):
        """SIGTERM, then insist on exit status 0 (sanitizer reports make it non-zero)."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("azsim did not stop on SIGTERM within 60 s")
        rc = self.proc.returncode
        self.proc = None
        if expect_clean and rc != 0:
            raise AssertionError("azsim exited with status %d:\n%s" % (rc, self.stderr()[-6000:]))
        return rc

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stderr(self):
        try:
            with open(self.stderr_path) as f:
                return f.read()
        except OSError:
            return ""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop(expect_clean=exc[0] is None)
        self.tmp.cleanup()

    # -- addresses -----------------------------------------------------------------------
    def tdectl_config(self, client_id=DEMO_MONITOR_ID, mode="secret", **fields):
        """tdectl_config for this azsim."""
        return tdectl_config(self.info, client_id=client_id, mode=mode, **fields)

    @property
    def ca_file(self):
        return self.info["ca_file"]

    @property
    def authority(self):
        return self.info["authority"]

    @property
    def vault_resource(self):
        return self.info["vault_resource"]

    def vault_url(self, name):
        return "https://%s.vault.%s:%d" % (name, self.info["dns_suffix"], self.info["port"])

    @property
    def imds_url(self):
        return "http://localhost:%d" % self.info["imds_port"]

    # -- clients -------------------------------------------------------------------------
    def credential(self, principal="operator"):
        from azure.identity import ClientSecretCredential
        cid, _, secret = PRINCIPALS[principal]
        tenant = OTHER_TENANT if principal == "foreign" else TENANT
        return ClientSecretCredential(tenant, cid, secret, authority=self.authority,
                                      instance_discovery=False, connection_verify=self.ca_file)

    def key_client(self, vault, principal="operator", **kwargs):
        from azure.keyvault.keys import KeyClient
        return KeyClient(self.vault_url(vault), self.credential(principal),
                         connection_verify=self.ca_file, **kwargs)

    def crypto_client(self, key, principal="operator"):
        from azure.keyvault.keys.crypto import CryptographyClient
        return CryptographyClient(key, self.credential(principal), connection_verify=self.ca_file)

    def token(self, principal="operator", resource=None):
        cid, _, secret = PRINCIPALS[principal]
        tenant = OTHER_TENANT if principal == "foreign" else TENANT
        r = requests.post("%s/%s/oauth2/v2.0/token" % (self.authority, tenant), verify=self.ca_file,
                          data={"grant_type": "client_credentials", "client_id": cid,
                                "client_secret": secret,
                                "scope": (resource or self.vault_resource) + "/.default"})
        r.raise_for_status()
        return r.json()["access_token"]

    # -- control interface (faults, clock, model) --------------------------------------------
    def control(self, method, path, body=None):
        """A control-interface request; returns the decoded JSON (or None for 204)."""
        r = requests.request(method, "http://127.0.0.1:%d%s" % (self.info["control_port"], path),
                             json=body, timeout=120,
                             headers={"Authorization": "Bearer " + self.info["control_token"]})
        if r.status_code >= 400:
            raise AssertionError("control %s %s: %d %s" % (method, path, r.status_code, r.text))
        return r.json() if r.content else None

    def fault(self, kind, target=None, **params):
        """Adds a fault; returns its id."""
        spec = dict(params, kind=kind)
        if target:
            spec["target"] = target
        return self.control("POST", "/faults", spec)["id"]

    def clear_fault(self, fault_id=None):
        self.control("DELETE", "/faults/%s" % fault_id if fault_id else "/faults")

    def advance(self, seconds):
        """Moves simulated time on and runs everything that became due."""
        return self.control("POST", "/clock/advance", {"seconds": seconds})

    def model(self, instance=None):
        """What the managed instances last found (all, or one by name)."""
        instances = self.control("GET", "/model")["instances"]
        if instance is None:
            return instances
        return next(i for i in instances if i["name"] == instance)

    # -- ARM -----------------------------------------------------------------------------------
    @property
    def management_url(self):
        return self.info["management_resource"]

    def mgmt_kwargs(self):
        """Keyword arguments that point a Microsoft management client at azsim."""
        return {"base_url": self.management_url,
                "credential_scopes": [self.management_url + "/.default"],
                "connection_verify": self.ca_file, "polling_interval": 0.2}

    def sql_client(self, principal="operator"):
        from azure.mgmt.sql import SqlManagementClient
        return SqlManagementClient(self.credential(principal), SUB, **self.mgmt_kwargs())

    def keyvault_mgmt_client(self, principal="operator"):
        from azure.mgmt.keyvault import KeyVaultManagementClient
        return KeyVaultManagementClient(self.credential(principal), SUB, **self.mgmt_kwargs())

    def network_client(self, principal="operator"):
        from azure.mgmt.network import NetworkManagementClient
        return NetworkManagementClient(self.credential(principal), SUB, **self.mgmt_kwargs())

    def arm(self, method, path, principal="operator", token=None, api="2025-01-01", body=None,
            raw=None, headers=None, params=None):
        """One raw ARM request (path starting with /subscriptions/...)."""
        h = {"Authorization": "Bearer " + (token or self.token(principal, self.management_url))}
        if token == "":
            h = {}
        h.update(headers or {})
        q = {"api-version": api} if api is not None else {}
        q.update(params or {})
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        if data is not None:
            h.setdefault("Content-Type", "application/json")
        return requests.request(method, self.management_url + path, params=q, data=data,
                                headers=h, verify=self.ca_file, timeout=60)

    def kv(self, method, vault, path, principal="operator", token=None, api="7.4",
           body=None, raw=None, headers=None, params=None):
        """One raw Key Vault request; returns the requests.Response."""
        h = {"Authorization": "Bearer " + (token or self.token(principal))}
        if token == "":
            h = {}
        h.update(headers or {})
        q = {"api-version": api} if api is not None else {}
        q.update(params or {})
        url = self.vault_url(vault) + path
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        if data is not None:
            h.setdefault("Content-Type", "application/json")
        return requests.request(method, url, params=q, data=data, headers=h, verify=self.ca_file,
                                timeout=60)


class AzsimTestCase(unittest.TestCase):
    """One azsim for the whole class; tests must not depend on each other's keys."""

    scenario = None
    azsim_args = ()

    @classmethod
    def setUpClass(cls):
        cls.sim = Azsim(cls.scenario, args=cls.azsim_args).start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.sim.stop()
        finally:
            cls.sim.tmp.cleanup()

    def assertKvError(self, response, status, code, inner=None):
        self.assertEqual(response.status_code, status, response.text)
        error = response.json()["error"]
        self.assertEqual(error["code"], code, response.text)
        if inner is not None:
            self.assertEqual(error.get("innererror", {}).get("code"), inner, response.text)
        self.assertIsInstance(error["message"], str)
        self.assertTrue(error["message"])

    def assertSdkError(self, exc, status, code, inner=None):
        """exc, raised by Microsoft's SDK (an azure-core HttpResponseError), carries Key Vault's
        answer with this status, error code and (if given) innererror code. Returns the error."""
        response = getattr(exc, "response", None)
        self.assertIsNotNone(response, "the SDK raised %r without an HTTP response" % exc)
        text = response.text()
        self.assertEqual(exc.status_code, status, text)
        try:
            error = json.loads(text)["error"]
        except (ValueError, KeyError, TypeError):
            self.fail("not a Key Vault error body: %r" % text)
        self.assertEqual(error.get("code"), code, text)
        if inner is not None:
            self.assertEqual((error.get("innererror") or {}).get("code"), inner, text)
        self.assertIsInstance(error.get("message"), str, text)
        self.assertTrue(error["message"], text)
        return error


def make_certificate(common_name="azsim-test", days=30):
    """A self-signed RSA certificate for a certificate principal: (cert_pem, key_pem) as str.
    Put cert_pem in a scenario principal's "certificate"; give key_pem + cert_pem to
    azure.identity.CertificateCredential."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=days))
            .sign(key, hashes.SHA256()))
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return cert_pem, key_pem


def jwk_from_private_key(private_key, **kwargs):
    """azure.keyvault.keys.JsonWebKey (kty RSA, all private parts) for a `cryptography` RSA
    private key, ready for KeyClient.import_key. kwargs go to JsonWebKey (e.g. key_ops)."""
    from azure.keyvault.keys import JsonWebKey

    def raw(n):
        return n.to_bytes((n.bit_length() + 7) // 8, "big")

    priv = private_key.private_numbers()
    pub = priv.public_numbers
    return JsonWebKey(kty="RSA", n=raw(pub.n), e=raw(pub.e), d=raw(priv.d), p=raw(priv.p),
                      q=raw(priv.q), dp=raw(priv.dmp1), dq=raw(priv.dmq1), qi=raw(priv.iqmp),
                      **kwargs)


def json_type(value):
    """The JSON type name of a decoded value: null, bool, number, string, array, object."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def shape_diff(expected, actual, path="$", skip=()):
    """Differences where actual lacks a field of expected or has another JSON type.

    Used to compare azsim's answers with Microsoft's official examples: azsim may
    add fields, never drop or retype one. Arrays compare their first elements.
    "nextLink" may be null only where the example's is null. skip: fnmatch
    patterns of paths ("$.properties.hsmPoolResourceId", "*.secrets") left out
    of the comparison; each caller says why."""
    import fnmatch
    if any(fnmatch.fnmatchcase(path, pattern) for pattern in skip):
        return []
    diffs = []
    et, at = json_type(expected), json_type(actual)
    if path.endswith(".nextLink"):
        # null in azsim only where the example has null too.
        if et == "string" and at != "string":
            diffs.append("%s: example has a string nextLink, azsim has %s" % (path, at))
        elif et == "null" and at not in ("null", "string"):
            diffs.append("%s: expected null or string, azsim has %s" % (path, at))
        return diffs
    if et != at:
        return ["%s: example type %s, azsim type %s (azsim value %s)"
                % (path, et, at, json.dumps(actual)[:80])]
    if et == "object":
        for name, value in expected.items():
            sub = "%s.%s" % (path, name)
            if any(fnmatch.fnmatchcase(sub, pattern) for pattern in skip):
                continue
            if name not in actual:
                diffs.append("%s: missing in azsim (example has %s)"
                             % (sub, json.dumps(value)[:60]))
            else:
                diffs.extend(shape_diff(value, actual[name], sub, skip))
    elif et == "array" and expected:
        if not actual:
            diffs.append("%s: azsim's array is empty, the example's is not" % path)
        else:
            diffs.extend(shape_diff(expected[0], actual[0], path + "[0]", skip))
    return diffs


def unique(prefix="k"):
    """A key name unlikely to collide between tests."""
    return "%s-%s" % (prefix, os.urandom(4).hex())
