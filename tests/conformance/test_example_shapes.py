"""Every official Key Vault keys example answers with the same shape in azsim.

For each file in ../shared/azure-examples/keyvault-data/<api-version>/ (format:
azure-protocol.md 10.1) this test prepares the state the example needs in its
own vault, sends the example's request (method, path built from its parameters,
its api-version, its body: the parameter whose value is an object) and checks
that azsim's answer

  - has the example's status code, and
  - carries every field of the example's body, recursively, with the same JSON
    type (object/array/string/number/bool/null; arrays: the first element's
    shape). "nextLink" may be null only where the example's is null.

azsim may add fields (it answers with the newest shape: recoverableDays,
exportable...). One test method per example file, named after it.

Where an example's request cannot be replayed byte for byte, the substitution
is said at the recipe: Azure's own backup blob, Azure's own ciphertext and
Azure's own $skiptoken mean nothing to another service, so the test uses the
equivalent value azsim produced.
"""

import copy
import glob
import json
import os
import time
import unittest
import urllib.parse

import requests

from azsim import SHARED, AzsimTestCase, base_scenario, shape_diff

EXAMPLES = os.path.join(SHARED, "azure-examples", "keyvault-data")

# Versions named in the examples, seeded so the example's own path works as is.
GETKEY_VERSION = "78deebed173b48e48f55abf87ed4cf71"
UPDATE_VERSION = "3d31e6e5c4c14eaf9be8d42c00225088"
SDKTEST_VERSION = "0698c2156c1a4e1da5b6bab6f6422fd6"
EXAMPLE_TAGS = {"purpose": "unit test", "test name ": "CreateGetDeleteKeyTest"}


def example_files():
    return sorted(glob.glob(os.path.join(EXAMPLES, "*", "*.json")))


def example_id(path):
    """'2025-07-01/GetKey-example.json' -> ('2025-07-01', 'GetKey')."""
    version = os.path.basename(os.path.dirname(path))
    stem = os.path.basename(path)[: -len("-example.json")]
    return version, stem


def vault_for(stem):
    """One vault per example (names: 3-24 letters, digits, hyphens)."""
    return "ex-" + stem.lower()[:21]


# -- scenario -------------------------------------------------------------------------------

def example_vault(name, keys=()):
    """Soft delete on, no purge protection, 90 days: the examples' 'Recoverable+Purgeable'."""
    return {
        "name": name, "subscription": base_scenario()["subscriptions"][0]["id"],
        "resource_group": "rg-examples", "region": "eastus2", "sku": "premium",
        "soft_delete": True, "retention_days": 90, "purge_protection": False,
        "access_policies": [{"principal": "operator",
                             "keys": ["get", "list", "create", "import", "update", "delete",
                                      "backup", "restore", "recover", "purge", "rotate",
                                      "getrotationpolicy", "setrotationpolicy", "wrapKey",
                                      "unwrapKey", "encrypt", "decrypt", "sign", "verify"]}],
        "keys": list(keys),
    }


def seeded(name, version, tags=None):
    v = {"material": "m1", "version": version, "created": "now-1d"}
    if tags:
        v["tags"] = tags
    return {"name": name, "versions": [v]}


def scenario():
    s = base_scenario()
    s["name"] = "examples"
    seeds = {
        "GetKey": [seeded("CreateSoftKeyTest", GETKEY_VERSION, EXAMPLE_TAGS)],
        "UpdateKey": [seeded("UpdateKeyAttributesTest", UPDATE_VERSION)],
        "wrapKey": [seeded("sdktestkey", SDKTEST_VERSION)],
        "unwrapKey": [seeded("sdktestkey", SDKTEST_VERSION)],
    }
    for path in example_files():
        stem = example_id(path)[1]
        s["vaults"].append(example_vault(vault_for(stem), seeds.get(stem, ())))
    # The restore example restores into ex-restorekey a backup taken here
    # (same subscription and geography).
    s["vaults"].append(example_vault("ex-restore-source"))
    return s


class ExampleShapes(AzsimTestCase):
    scenario = scenario()

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tok = cls.sim.token()

    # -- helpers ---------------------------------------------------------------------------
    def call(self, method, vault, path, api, body=None, params=None):
        return self.sim.kv(method, vault, path, token=self.tok, api=api, body=body,
                           params=params)

    def ok(self, response, status=200):
        self.assertEqual(response.status_code, status,
                         "%s %s: %s" % (response.request.method, response.url, response.text))
        return response

    def poll(self, method, vault, path, api, want, timeout=15):
        """Polls like the SDKs do after delete/recover, until the status is `want`."""
        deadline = time.time() + timeout
        while True:
            r = self.call(method, vault, path, api)
            if r.status_code == want or time.time() > deadline:
                return self.ok(r, want)
            time.sleep(0.1)

    def create(self, vault, name, api, **body):
        body.setdefault("kty", "RSA")
        return self.ok(self.call("POST", vault, "/keys/%s/create" % name, api, body=body)).json()

    def delete_and_wait(self, vault, name, api):
        self.ok(self.call("DELETE", vault, "/keys/" + name, api))
        self.poll("GET", vault, "/deletedkeys/" + name, api, 200)

    def follow(self, link):
        """GET a nextLink verbatim (it carries its own api-version and $skiptoken)."""
        return requests.get(link, headers={"Authorization": "Bearer " + self.tok},
                            verify=self.sim.ca_file, timeout=60)

    def second_page(self, vault, path, api, maxresults):
        """The page a client gets with a $skiptoken: the example's request carries one
        from Azure, which no other service can read, so the test takes azsim's own
        first page and follows its nextLink."""
        first = self.ok(self.call("GET", vault, path, api, params={"maxresults": maxresults}))
        link = first.json().get("nextLink")
        self.assertIsInstance(link, str, "first page has no nextLink: %s" % first.text)
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)
        self.assertIn("$skiptoken", query, link)
        return first, self.follow(link)

    # -- the comparison --------------------------------------------------------------------
    def check(self, example, response, what=""):
        (status, expected), = example["responses"].items()
        self.assertEqual(response.status_code, int(status),
                         "%sstatus: example %s, azsim %d: %s"
                         % (what, status, response.status_code, response.text[:500]))
        body = expected.get("body")
        if body is None:
            self.assertEqual(response.content, b"",
                             "%sthe example has no body, azsim sent one" % what)
            return
        self.assertTrue(response.headers.get("Content-Type", "").startswith("application/json"),
                        response.headers)
        diffs = shape_diff(body, response.json())
        self.assertFalse(diffs, "%sazsim's body differs from the example's shape:\n  %s\n"
                         "azsim's body: %s" % (what, "\n  ".join(diffs), response.text[:1500]))

    def run_example(self, path):
        version, stem = example_id(path)
        with open(path) as f:
            example = json.load(f)
        params = example["parameters"]
        self.assertEqual(params["api-version"], version, "file is in the wrong folder")
        recipe = getattr(self, "recipe_" + stem, None)
        self.assertIsNotNone(recipe, "no request recipe for the example %s/%s" % (version, stem))
        recipe(example, params, vault_for(stem), params["api-version"])

    @staticmethod
    def body_param(params):
        bodies = [v for k, v in params.items() if isinstance(v, dict)]
        return copy.deepcopy(bodies[0]) if bodies else None

    # -- recipes: set up, then send the example's request ---------------------------------
    def recipe_CreateKey(self, ex, p, vault, api):
        r = self.call("POST", vault, "/keys/%s/create" % p["key-name"], api,
                      body=self.body_param(p))
        self.check(ex, r)

    def recipe_ImportKey(self, ex, p, vault, api):
        r = self.call("PUT", vault, "/keys/" + p["key-name"], api, body=self.body_param(p))
        self.check(ex, r)

    def recipe_GetKey(self, ex, p, vault, api):
        # CreateSoftKeyTest/78deebed... is seeded with the example's tags.
        r = self.call("GET", vault, "/keys/%s/%s" % (p["key-name"], p["key-version"]), api)
        self.check(ex, r)

    def recipe_UpdateKey(self, ex, p, vault, api):
        r = self.call("PATCH", vault, "/keys/%s/%s" % (p["key-name"], p["key-version"]), api,
                      body=self.body_param(p))
        self.check(ex, r)

    def recipe_DeleteKey(self, ex, p, vault, api):
        self.create(vault, p["key-name"], api, tags=EXAMPLE_TAGS)
        self.check(ex, self.call("DELETE", vault, "/keys/" + p["key-name"], api))

    def recipe_GetDeletedKey(self, ex, p, vault, api):
        self.create(vault, p["key-name"], api, tags=EXAMPLE_TAGS)
        self.delete_and_wait(vault, p["key-name"], api)
        self.check(ex, self.call("GET", vault, "/deletedkeys/" + p["key-name"], api))

    def recipe_PurgeDeletedKey(self, ex, p, vault, api):
        self.create(vault, p["key-name"], api)
        self.delete_and_wait(vault, p["key-name"], api)
        self.check(ex, self.call("DELETE", vault, "/deletedkeys/" + p["key-name"], api))
        self.ok(self.call("GET", vault, "/deletedkeys/" + p["key-name"], api), 404)

    def recipe_RecoverDeletedKey(self, ex, p, vault, api):
        name = p["key-name"]
        self.create(vault, name, api, tags={"purpose": "unit test", "test name ": name})
        self.delete_and_wait(vault, name, api)
        self.check(ex, self.call("POST", vault, "/deletedkeys/%s/recover" % name, api))
        self.poll("GET", vault, "/keys/%s/" % name, api, 200)

    def recipe_RotateKey(self, ex, p, vault, api):
        # The example's rotated key carries tags: the key is created with the example's.
        before = self.create(vault, p["key-name"], api, tags=EXAMPLE_TAGS)
        r = self.call("POST", vault, "/keys/%s/rotate" % p["key-name"], api)
        self.check(ex, r)
        self.assertNotEqual(r.json()["key"]["kid"], before["key"]["kid"])

    def recipe_BackupKey(self, ex, p, vault, api):
        self.create(vault, p["key-name"], api)
        self.check(ex, self.call("POST", vault, "/keys/%s/backup" % p["key-name"], api))

    def recipe_RestoreKey(self, ex, p, vault, api):
        # The example's blob is Azure's, sealed for Azure's HSMs: azsim cannot open
        # it. Instead: a key shaped like the example's answer (disabled, nbf, exp) is
        # backed up in ex-restore-source and the blob restored here, the body being
        # the example's with that value.
        expected = ex["responses"]["200"]["body"]
        name = expected["key"]["kid"].rstrip("/").split("/")[-2]
        attrs = {k: expected["attributes"][k] for k in ("enabled", "nbf", "exp")}
        self.create("ex-restore-source", name, api, attributes=attrs)
        blob = self.ok(self.call("POST", "ex-restore-source", "/keys/%s/backup" % name,
                                 api)).json()["value"]
        body = self.body_param(p)
        body["value"] = blob
        self.check(ex, self.call("POST", vault, "/keys/restore", api, body=body))

    def recipe_GetKeyRotationPolicy(self, ex, p, vault, api):
        name = p["key-name"]
        self.create(vault, name, api)
        policy = copy.deepcopy(ex["responses"]["200"]["body"])
        policy.pop("id")
        policy["attributes"] = {"expiryTime": policy["attributes"]["expiryTime"]}
        self.ok(self.call("PUT", vault, "/keys/%s/rotationpolicy" % name, api, body=policy))
        self.check(ex, self.call("GET", vault, "/keys/%s/rotationpolicy" % name, api))

    def recipe_UpdateKeyRotationPolicy(self, ex, p, vault, api):
        name = p["key-name"]
        self.create(vault, name, api)
        r = self.call("PUT", vault, "/keys/%s/rotationpolicy" % name, api,
                      body=self.body_param(p))
        self.check(ex, r)

    def recipe_wrapKey(self, ex, p, vault, api):
        r = self.call("POST", vault, "/keys/%s/%s/wrapkey" % (p["key-name"], p["key-version"]),
                      api, body=self.body_param(p))
        self.check(ex, r)

    def recipe_unwrapKey(self, ex, p, vault, api):
        # The example's value was wrapped by Azure's key. The test wraps the example's
        # plaintext (its response value) with the seeded key and the example's alg, and
        # unwraps that: same request shape, a value this key can open.
        plain = ex["responses"]["200"]["body"]["value"]
        path = "/keys/%s/%s/" % (p["key-name"], p["key-version"])
        body = self.body_param(p)
        wrapped = self.ok(self.call("POST", vault, path + "wrapkey", api,
                                    body={"alg": body["alg"], "value": plain})).json()["value"]
        body["value"] = wrapped
        r = self.call("POST", vault, path + "unwrapkey", api, body=body)
        self.check(ex, r)
        self.assertEqual(r.json()["value"].rstrip("="), plain)

    def _list_example(self, ex, p, vault, api, path):
        maxresults = p["maxresults"]
        expected_link = ex["responses"]["200"]["body"].get("nextLink")
        first, second = self.second_page(vault, path, api, maxresults)
        self.check(ex, first, "first page: ")
        if isinstance(expected_link, str):
            # The example is a page reached with a $skiptoken that still has a next one.
            self.check(ex, second, "page after $skiptoken: ")

    def recipe_GetKeys(self, ex, p, vault, api):
        for i in range(3 * p["maxresults"]):
            self.create(vault, "listkey%d" % i, api)
        self._list_example(ex, p, vault, api, "/keys")

    def recipe_GetKeyVersions(self, ex, p, vault, api):
        for _ in range(3 * p["maxresults"]):
            self.create(vault, p["key-name"], api)
        self._list_example(ex, p, vault, api, "/keys/%s/versions" % p["key-name"])

    def recipe_GetDeletedKeys(self, ex, p, vault, api):
        names = ["listdeletedkeytest%d" % i for i in range(3 * p["maxresults"])]
        for name in names:
            self.create(vault, name, api)
            self.ok(self.call("DELETE", vault, "/keys/" + name, api))
        for name in names:
            self.poll("GET", vault, "/deletedkeys/" + name, api, 200)
        self._list_example(ex, p, vault, api, "/deletedkeys")


class ShapeDiffSelfTest(unittest.TestCase):
    """The comparison itself must catch what it is meant to catch."""

    def test_missing_field_and_type(self):
        d = shape_diff({"a": 1, "b": {"c": "x"}, "l": [{"k": True}]},
                       {"a": "1", "b": {}, "l": [{"k": 0}]})
        self.assertEqual(len(d), 3, d)

    def test_nextlink_rules(self):
        self.assertTrue(shape_diff({"nextLink": "https://x"}, {"nextLink": None}))
        self.assertFalse(shape_diff({"nextLink": None}, {"nextLink": None}))
        self.assertFalse(shape_diff({"nextLink": None}, {"nextLink": "https://x"}))

    def test_extra_fields_allowed(self):
        self.assertFalse(shape_diff({"a": 1}, {"a": 2, "b": 3}))

    def test_empty_array(self):
        self.assertTrue(shape_diff({"value": [{"kid": "x"}]}, {"value": []}))


def _add_tests():
    files = example_files()
    if not files:
        def test_examples_present(self):
            self.fail("no example files under %s" % EXAMPLES)
        ExampleShapes.test_examples_present = test_examples_present
    for path in files:
        version, stem = example_id(path)

        def test(self, path=path):
            self.run_example(path)
        name = "test_%s_%s" % (stem, version.replace("-", "").replace(".", "_"))
        test.__name__ = name
        test.__doc__ = "%s/%s" % (version, os.path.basename(path))
        setattr(ExampleShapes, name, test)


_add_tests()

if __name__ == "__main__":
    unittest.main()
