#!/usr/bin/python3
"""A cold sweep of a TDE estate with Microsoft's SDK: the reads tdectl's core makes.

Run by Debian's /usr/bin/python3 (python3-azure) against a running azsim, named
by its ready file. The same reads as tdectl's cold sweep:

  ARM, per subscription   list managed instances; list vaults; list private
                          endpoints
  ARM, per instance       get it; list its keys; get its encryption protector;
                          list its databases
  ARM, per (resource group, location) of the instances
                          list instance failover groups
  ARM, per vault          get it (its private endpoint connections come with it)
  Key Vault, per vault    list keys; per key list versions, GET every version
                          (its public material) and get the rotation policy

Two modes, each a cold start (new credential, so no token, and new clients, so
no connection): "sequential" does everything in order on one thread;
"parallel" runs the three subscription lists at once, then every per-instance,
per-location and per-vault work item on a ThreadPoolExecutor (--threads, 16).
Each worker thread has its own management clients (a shared one would run 16
threads through one connection pool of 10); each vault has its own KeyClient,
as Key Vault clients are per vault.

Prints one JSON line per mode and run to stdout:
  {"client": "sdk", "mode": "sequential"|"parallel", "run": 1, "threads": 1|16,
   "seconds": S, "client_cpu_seconds": U, "requests": R, "objects": O, "peak_rss_kb": K,
   "azsim_cpu_seconds": C,
   "requests_by_service": {...}, "objects_by_kind": {...}, "status": {...}, "errors": E}
(peak_rss_kb is this Python process's peak so far; azsim_cpu_seconds is the CPU
time azsim used during the run, read from /proc when azsim runs on this machine)
and with --runs > 1 one more line per mode with "run": "median" (median seconds,
requests and objects of the runs). Requests are HTTP requests on the wire,
counted at the transport: Entra (token, metadata), ARM and Key Vault, the Key
Vault challenge's unauthenticated first request and any retry included.
"""

import argparse
import collections
import concurrent.futures
import json
import os
import resource
import statistics
import sys
import threading
import time
import urllib.parse
import warnings

from azure.core.pipeline.transport import RequestsTransport


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ready-file", required=True, help="azsim's ready file")
    p.add_argument("--subscription", required=True)
    p.add_argument("--tenant", required=True)
    p.add_argument("--client-id", required=True)
    p.add_argument("--client-secret", required=True)
    p.add_argument("--threads", type=int, default=16, help="parallel mode's threads (16)")
    p.add_argument("--runs", type=int, default=1, help="runs of each mode (1)")
    p.add_argument("--modes", default="sequential,parallel",
                   help="comma-separated: sequential, parallel (both)")
    a = p.parse_args(argv)
    a.modes = [m.strip() for m in a.modes.split(",") if m.strip()]
    if not a.modes or any(m not in ("sequential", "parallel") for m in a.modes):
        p.error("--modes takes sequential and/or parallel")
    if not 1 <= a.threads <= 256 or not 1 <= a.runs <= 100:
        p.error("--threads 1-256, --runs 1-100")
    return a


# -- counting ---------------------------------------------------------------------------------

class Tally:
    """Requests and objects of one run; thread safe."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = collections.Counter()
        self.status = collections.Counter()
        self.objects = collections.Counter()
        self.errors = []

    def request(self, url, status):
        host = urllib.parse.urlsplit(url).hostname or ""
        service = ("entra" if host.startswith("login.") else
                   "arm" if host.startswith("management.") else
                   "keyvault" if ".vault." in host else "other")
        with self.lock:
            self.requests[service] += 1
            self.status[str(status)] += 1

    def read(self, kind, count=1):
        with self.lock:
            self.objects[kind] += count

    def error(self, what, exc):
        with self.lock:
            self.errors.append("%s: %s" % (what, str(exc).splitlines()[0][:200]))


class CountingTransport(RequestsTransport):
    """azure-core's requests transport, counting every request it sends."""

    def __init__(self, tally, **kwargs):
        super().__init__(**kwargs)
        self._tally = tally

    def send(self, request, **kwargs):
        try:
            response = super().send(request, **kwargs)
        except Exception:
            self._tally.request(request.url, "failed")
            raise
        self._tally.request(request.url, response.status_code)
        return response


# -- clients ------------------------------------------------------------------------------

class Clients:
    """A run's credential and clients; management clients per thread, closed at the end."""

    def __init__(self, args, ready, tally):
        from azure.identity import ClientSecretCredential
        self.args, self.ready, self.tally = args, ready, tally
        self.ca = ready["ca_file"]
        self.mgmt_url = ready["management_url"]
        self.local = threading.local()
        self.lock = threading.Lock()
        self.owned = []
        self.credential = ClientSecretCredential(
            args.tenant, args.client_id, args.client_secret, authority=ready["authority"],
            instance_discovery=False, connection_verify=self.ca, transport=self.transport())
        self.owned.append(self.credential)

    def transport(self):
        return CountingTransport(self.tally, connection_verify=self.ca)

    def _mgmt(self, cls):
        client = cls(self.credential, self.args.subscription, base_url=self.mgmt_url,
                     credential_scopes=[self.mgmt_url + "/.default"],
                     connection_verify=self.ca, transport=self.transport())
        with self.lock:
            self.owned.append(client)
        return client

    def mgmt(self):
        """(sql, keyvault, network) management clients of the calling thread."""
        if not hasattr(self.local, "mgmt"):
            from azure.mgmt.keyvault import KeyVaultManagementClient
            from azure.mgmt.network import NetworkManagementClient
            from azure.mgmt.sql import SqlManagementClient
            self.local.mgmt = (self._mgmt(SqlManagementClient),
                               self._mgmt(KeyVaultManagementClient),
                               self._mgmt(NetworkManagementClient))
        return self.local.mgmt

    def key_client(self, vault_url):
        from azure.keyvault.keys import KeyClient
        return KeyClient(vault_url, self.credential, connection_verify=self.ca,
                         transport=self.transport())

    def close(self):
        for client in self.owned:
            try:
                client.close()
            except Exception:  # closing is best effort
                pass


# -- the reads ------------------------------------------------------------------------------

def rg_of(resource_id):
    """The resource group of an ARM id (/subscriptions/S/resourceGroups/RG/...)."""
    parts = resource_id.split("/")
    return parts[4] if len(parts) > 4 else ""


def list_instances(c):
    sql = c.mgmt()[0]
    found = [(rg_of(mi.id), mi.name, mi.location) for mi in sql.managed_instances.list()]
    c.tally.read("instances", len(found))
    return found


def list_vaults(c):
    kv = c.mgmt()[1]
    found = [(rg_of(v.id), v.name) for v in kv.vaults.list_by_subscription()]
    c.tally.read("vaults_listed", len(found))
    return found


def list_private_endpoints(c):
    net = c.mgmt()[2]
    n = sum(1 for _ in net.private_endpoints.list_by_subscription())
    c.tally.read("private_endpoints", n)
    return n


def sweep_instance(c, rg, name):
    sql = c.mgmt()[0]
    sql.managed_instances.get(rg, name)
    c.tally.read("instance_details")
    c.tally.read("server_keys", sum(1 for _ in sql.managed_instance_keys.list_by_instance(rg, name)))
    sql.managed_instance_encryption_protectors.get(rg, name, "current")
    c.tally.read("protectors")
    c.tally.read("databases", sum(1 for _ in sql.managed_databases.list_by_instance(rg, name)))


def sweep_location(c, rg, location):
    sql = c.mgmt()[0]
    c.tally.read("failover_groups",
                 sum(1 for _ in sql.instance_failover_groups.list_by_location(rg, location)))


def sweep_vault(c, rg, name):
    kv = c.mgmt()[1]
    vault = kv.vaults.get(rg, name)
    c.tally.read("vault_details")
    c.tally.read("private_endpoint_connections",
                 len(vault.properties.private_endpoint_connections or []))
    with c.key_client(vault.properties.vault_uri) as keys:
        for key in keys.list_properties_of_keys():
            c.tally.read("keys")
            for version in keys.list_properties_of_key_versions(key.name):
                c.tally.read("versions")
                keys.get_key(key.name, version.version)
                c.tally.read("version_materials")
            keys.get_key_rotation_policy(key.name)
            c.tally.read("rotation_policies")


def guarded(c, what, fn, *args):
    try:
        return fn(c, *args)
    except Exception as exc:  # a failed read is counted, the sweep goes on
        c.tally.error(what, exc)
        return None


def work_items(instances, vaults):
    items = [("instance %s" % name, sweep_instance, rg, name) for rg, name, _ in instances]
    for rg, location in sorted({(rg, loc) for rg, _, loc in instances}):
        items.append(("failover groups %s/%s" % (rg, location), sweep_location, rg, location))
    items += [("vault %s" % name, sweep_vault, rg, name) for rg, name in vaults]
    return items


def sweep_sequential(c):
    instances = guarded(c, "list instances", list_instances) or []
    vaults = guarded(c, "list vaults", list_vaults) or []
    guarded(c, "list private endpoints", list_private_endpoints)
    for what, fn, *args in work_items(instances, vaults):
        guarded(c, what, fn, *args)


def sweep_parallel(c, threads):
    with concurrent.futures.ThreadPoolExecutor(max_workers=threads) as pool:
        first = [pool.submit(guarded, c, what, fn) for what, fn in
                 (("list instances", list_instances), ("list vaults", list_vaults),
                  ("list private endpoints", list_private_endpoints))]
        instances, vaults = first[0].result() or [], first[1].result() or []
        first[2].result()
        futures = [pool.submit(guarded, c, what, fn, *args)
                   for what, fn, *args in work_items(instances, vaults)]
        for f in futures:
            f.result()


def server_cpu(pid):
    """CPU seconds azsim (pid, on this machine) has used so far, or None."""
    try:
        with open("/proc/%d/stat" % int(pid)) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, TypeError):
        return None


def forget_challenges():
    """Empties azure-keyvault-keys' process-wide cache of Key Vault challenges, so that every
    run starts as cold as a new process (first request to each vault unauthenticated)."""
    try:
        from azure.keyvault.keys._shared import http_challenge_cache
        http_challenge_cache.clear()
    except (ImportError, AttributeError):  # another SDK version: its own business
        pass


def run_once(args, ready, mode, run):
    forget_challenges()
    tally = Tally()
    cpu_before = server_cpu(ready.get("pid"))
    own = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    clients = Clients(args, ready, tally)
    try:
        if mode == "sequential":
            sweep_sequential(clients)
        else:
            sweep_parallel(clients, args.threads)
    finally:
        seconds = time.perf_counter() - start
        cpu_after = server_cpu(ready.get("pid"))
        own_after = resource.getrusage(resource.RUSAGE_SELF)
        clients.close()
    return {"client": "sdk", "mode": mode, "run": run,
            "threads": 1 if mode == "sequential" else args.threads,
            "seconds": round(seconds, 3), "requests": sum(tally.requests.values()),
            "client_cpu_seconds": round(own_after.ru_utime + own_after.ru_stime
                                        - own.ru_utime - own.ru_stime, 3),
            "objects": sum(tally.objects.values()),
            "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            "azsim_cpu_seconds": (round(cpu_after - cpu_before, 2)
                                  if cpu_before is not None and cpu_after is not None else None),
            "requests_by_service": dict(sorted(tally.requests.items())),
            "objects_by_kind": dict(sorted(tally.objects.items())),
            "status": dict(sorted(tally.status.items())),
            "errors": len(tally.errors), "first_errors": tally.errors[:3]}


def main(argv):
    args = parse_args(argv)
    with open(args.ready_file) as f:
        ready = json.load(f)
    ca = ready.get("ca_file") or ""
    if ca and not os.path.isabs(ca):  # azsim names it as given, relative to its own cwd
        beside = os.path.join(os.path.dirname(os.path.abspath(args.ready_file)), ca)
        ready["ca_file"] = beside if os.path.exists(beside) else os.path.abspath(ca)
    warnings.simplefilter("ignore", ResourceWarning)
    results = collections.defaultdict(list)
    for run in range(1, args.runs + 1):
        for mode in args.modes:
            line = run_once(args, ready, mode, run)
            results[mode].append(line)
            print(json.dumps(line), flush=True)
    if args.runs > 1:
        for mode in args.modes:
            lines = results[mode]
            print(json.dumps({
                "client": "sdk", "mode": mode, "run": "median", "runs": len(lines),
                "threads": lines[0]["threads"],
                "seconds": round(statistics.median(x["seconds"] for x in lines), 3),
                "client_cpu_seconds": round(statistics.median(x["client_cpu_seconds"]
                                                              for x in lines), 3),
                "requests": round(statistics.median(x["requests"] for x in lines)),
                "objects": round(statistics.median(x["objects"] for x in lines)),
                "peak_rss_kb": max(x["peak_rss_kb"] for x in lines),
                "azsim_cpu_seconds": (statistics.median(x["azsim_cpu_seconds"] for x in lines)
                                      if all(x["azsim_cpu_seconds"] is not None for x in lines)
                                      else None),
                "errors": sum(x["errors"] for x in lines)}), flush=True)
    return 1 if any(x["errors"] for lines in results.values() for x in lines) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
