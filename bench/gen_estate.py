#!/usr/bin/env python3
"""Writes an azsim scenario for a large TDE estate (the benchmark's estate).

N instance failover groups (default 100), each as in the reference architecture:
a primary managed instance in eastus2 and a secondary in centralus (one
geography), each with the vault of its own region (2N vaults). Both vaults of a
pair hold the same TDE key (same name, same version ids, same material per
version: a backup/restore copy) with V versions (default 20), the newest being
both instances' protector; every version of both copies is registered on both
instances, as after V rotations done by the runbook. Each instance has 3 Online
databases. Each vault has a private endpoint in each region (Approved), a
firewall that admits loopback, soft delete and purge protection, and access
policies for both instance identities (get, wrapKey, unwrapKey) and for the
bench principal (get, list, getrotationpolicy). The bench principal is an app
with a client secret and the ARM Reader role at the subscription.

RSA generation is slow, so a small pool of PEM materials (default 8, made once
by `openssl genpkey`) is reused across pairs and versions; the scenario carries
them inline, so azsim loads it without generating a key. Version v of pair i
uses material (i + v) % pool in both vaults of the pair.

Resources are spread over a few resource groups per region (default 4) in one
subscription. Everything random comes from --seed, so the same arguments give
the same estate (materials aside).

ARM throttling: a cold sweep of this estate makes about 5 ARM reads per
instance plus one per vault (~1000 at N=100) as one principal in one
subscription, which azsim's default read bucket (250, +25/s, Azure's figures)
would throttle. The benchmark measures the clients, not Retry-After waits, so
the scenario raises the read bucket for everyone (--arm-read-bucket,
--arm-read-refill; both clients then run under the same settings).

Prints one JSON line to stdout: the scenario path and what a client needs
(tenant, subscription, client id and secret) plus the estate's counts.

Standard library only; runs under any python3.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import uuid

REGIONS = (("eastus2", "eus2"), ("centralus", "cus"))
GEOGRAPHY = "United States"
DATABASES = ("sales", "orders", "billing")
KEY_NAME = "tde-protector"
READ_PERMS = ["get", "list", "getrotationpolicy"]
SQL_PERMS = ["get", "wrapKey", "unwrapKey"]
LOOPBACK = ["127.0.0.1", "::1"]


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True, help="where to write the scenario (JSON)")
    p.add_argument("--groups", type=int, default=100, help="failover groups N (default 100)")
    p.add_argument("--versions", type=int, default=20, help="versions V of each TDE key (20)")
    p.add_argument("--resource-groups", type=int, default=4,
                   help="resource groups per region (default 4)")
    p.add_argument("--materials", type=int, default=8, help="RSA materials in the pool (8)")
    p.add_argument("--key-size", type=int, default=2048, choices=(2048, 3072))
    p.add_argument("--pem-dir", help="reuse (or keep) the pool's PEM files here")
    p.add_argument("--seed", type=int, default=1, help="seed of every id and secret (1)")
    p.add_argument("--arm-read-bucket", type=int, default=100000)
    p.add_argument("--arm-read-refill", type=int, default=10000)
    a = p.parse_args(argv)
    if not 1 <= a.groups <= 9999:
        p.error("--groups must be 1 to 9999")
    if not 1 <= a.versions <= 200:
        p.error("--versions must be 1 to 200")
    if not 1 <= a.resource_groups <= 100:
        p.error("--resource-groups must be 1 to 100")
    if not 1 <= a.materials <= 64:
        p.error("--materials must be 1 to 64")
    return a


def material_pool(count, bits, pem_dir):
    """count PEM private keys: read from pem_dir when there, else made by openssl genpkey."""
    pems = []
    with tempfile.TemporaryDirectory(prefix="gen-estate-") as tmp:
        for i in range(count):
            path = os.path.join(pem_dir or tmp, "material-%d-%02d.pem" % (bits, i))
            if not os.path.exists(path):
                subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                                "rsa_keygen_bits:%d" % bits, "-out", path], check=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                os.chmod(path, 0o600)
            with open(path) as f:
                pems.append(f.read())
    return pems


class Ids:
    """Deterministic GUIDs, version ids and secrets from one seed."""

    def __init__(self, seed):
        self.rng = random.Random(seed)

    def guid(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def version(self):
        return "%032x" % self.rng.getrandbits(128)

    def secret(self):
        alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"
        return "bench-" + "".join(self.rng.choice(alphabet) for _ in range(34))


def names(i, width):
    """Names of pair i: per region (instance, vault, identity)."""
    tag = "fg%0*d" % (width, i)
    out = {}
    for region, short in REGIONS:
        out[region] = {"instance": "sqlmi-%s-%s" % (tag, short),
                       "vault": "kv-%s-%s" % (tag, short),
                       "identity": "id-sqlmi-%s-%s" % (tag, short)}
    return tag, out


def resource_group(i, region_short, groups):
    return "rg-sql-%s-%d" % (region_short, i % groups)


def key_versions(i, version_ids, pool, hsm=True):
    """The V versions of pair i's key, oldest first: a rotation every 14 days, none expired."""
    count = len(version_ids)
    out = []
    for v, vid in enumerate(version_ids):
        out.append({"version": vid, "material": "m%02d" % ((i + v) % pool),
                    "kty": "RSA-HSM" if hsm else "RSA", "key_ops": ["wrapKey", "unwrapKey"],
                    "created": "now-%dd" % (1 + 14 * (count - 1 - v)), "exp": "now+400d"})
    return out


def vault_json(name, region, rg, sub, policies, versions):
    return {
        "name": name, "subscription": sub, "resource_group": rg, "region": region,
        "sku": "premium", "soft_delete": True, "retention_days": 90, "purge_protection": True,
        "rbac": False, "public_network_access": "Enabled",
        "network_acls": {"default_action": "Deny", "bypass": "AzureServices",
                         "ip_rules": list(LOOPBACK)},
        "access_policies": policies,
        "keys": [{"name": KEY_NAME,
                  "rotation_policy": {"lifetimeActions": [{"trigger": {"timeBeforeExpiry": "P30D"},
                                                           "action": {"type": "Notify"}}],
                                      "attributes": {"expiryTime": "P1Y"}},
                  "versions": versions}],
    }


def pair(i, a, ids, width, sub, out):
    """Adds failover group i: two identities, two vaults, four endpoints, two instances."""
    tag, n = names(i, width)
    version_ids = [ids.version() for _ in range(a.versions)]
    east, central = REGIONS[0][0], REGIONS[1][0]
    rgs = {region: resource_group(i, short, a.resource_groups) for region, short in REGIONS}
    for region, _ in REGIONS:
        out["principals"].append({"name": n[region]["identity"], "kind": "managed_identity",
                                  "client_id": ids.guid(), "object_id": ids.guid()})
    policies = [{"principal": "bench", "keys": list(READ_PERMS)}] + [
        {"principal": n[region]["identity"], "keys": list(SQL_PERMS)} for region, _ in REGIONS]
    for region, _ in REGIONS:
        out["vaults"].append(vault_json(n[region]["vault"], region, rgs[region], sub,
                                        json.loads(json.dumps(policies)),
                                        key_versions(i, version_ids, a.materials)))
    for side, (region, _) in enumerate(REGIONS):
        for where, (pe_region, _) in enumerate(REGIONS):
            seq = 4 * i + 2 * side + where
            out["private_endpoints"].append({
                "name": "pe-%s-%s" % (n[region]["vault"], pe_region), "subscription": sub,
                "resource_group": rgs[pe_region], "region": pe_region,
                "vault": n[region]["vault"], "status": "Approved",
                "ip": "10.%d.%d.%d" % (where + 1, seq // 200, seq % 200 + 4)})
    registrations = [{"vault": n[region]["vault"], "key": KEY_NAME, "version": vid,
                      "created": "now-%dd" % (14 * (a.versions - 1 - v))}
                     for v, vid in enumerate(version_ids) for region, _ in REGIONS]
    for region, _ in REGIONS:
        out["instances"].append({
            "name": n[region]["instance"], "subscription": sub, "resource_group": rgs[region],
            "region": region, "identity": {"principal": n[region]["identity"],
                                           "type": "SystemAssigned"},
            "keys": json.loads(json.dumps(registrations)),
            "protector": {"vault": n[region]["vault"], "key": KEY_NAME,
                          "version": version_ids[-1]},
            "databases": [{"name": d} for d in DATABASES]})
    out["failover_groups"].append({"name": "fog-%s" % tag, "resource_group": rgs[east],
                                   "primary": n[east]["instance"],
                                   "secondary": n[central]["instance"],
                                   "read_write_policy": "Automatic", "grace_minutes": 60})


def estate(a, pems):
    ids = Ids(a.seed)
    tenant, sub = ids.guid(), ids.guid()
    bench = {"name": "bench", "kind": "app", "tenant": "bench-tenant", "client_id": ids.guid(),
             "object_id": ids.guid(), "secret": ids.secret()}
    out = {
        "name": "large-estate",
        "description": "bench/gen_estate.py: %d failover groups, %d instances, %d vaults, "
                       "%d versions per key" % (a.groups, 2 * a.groups, 2 * a.groups, a.versions),
        "settings": {"arm_read_bucket": a.arm_read_bucket, "arm_read_refill": a.arm_read_refill},
        "regions": [{"name": r, "geography": GEOGRAPHY} for r, _ in REGIONS],
        "tenants": [{"id": tenant, "name": "bench-tenant"}],
        "subscriptions": [{"id": sub, "name": "bench-sub", "tenant": "bench-tenant"}],
        "principals": [bench],
        "materials": [{"id": "m%02d" % k, "pem": pem} for k, pem in enumerate(pems)],
        "vaults": [], "private_endpoints": [], "instances": [], "failover_groups": [],
        "arm_role_assignments": [{"principal": "bench", "role": "Reader",
                                  "scope": "/subscriptions/" + sub}],
    }
    width = max(3, len(str(a.groups)))
    for i in range(a.groups):
        pair(i, a, ids, width, sub, out)
    return out, {"tenant": tenant, "subscription": sub, "client_id": bench["client_id"],
                 "client_secret": bench["secret"], "object_id": bench["object_id"]}


def main(argv):
    a = parse_args(argv)
    if a.pem_dir:
        os.makedirs(a.pem_dir, mode=0o700, exist_ok=True)
    pems = material_pool(a.materials, a.key_size, a.pem_dir)
    scenario, creds = estate(a, pems)
    fd = os.open(a.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it holds a secret
    with os.fdopen(fd, "w") as f:
        json.dump(scenario, f, separators=(",", ":"))
    summary = dict(creds, scenario=os.path.abspath(a.out), failover_groups=a.groups,
                   instances=2 * a.groups, vaults=2 * a.groups, versions=a.versions,
                   databases=2 * a.groups * len(DATABASES),
                   private_endpoints=4 * a.groups, materials=a.materials,
                   resource_groups=a.resource_groups * len(REGIONS),
                   bytes=os.path.getsize(a.out))
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
