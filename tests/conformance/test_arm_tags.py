"""Microsoft.Resources tags at a resource scope, as Microsoft's own SDK and a raw client see them.

tdectl's key-rotation wizard keeps an operator lock as tags on the primary managed instance
(issue 6), through {scope}/providers/Microsoft.Resources/tags/default: Tags - Get, Create Or
Update, Update and Delete At Scope. The SDK is azure-mgmt-resource 22.0.0 as Debian ships it:
with api_version="2021-04-01" its tags operations are plain calls (get_at_scope,
create_or_update_at_scope, update_at_scope, delete_at_scope); at its default api-version
(2022-09-01) they are pollers (begin_*), which must finish on azsim's synchronous 200 too.

Azure's rules asserted here: PUT replaces the whole set; PATCH Merge adds and updates (tag
names are case-insensitive), Replace replaces, Delete removes the named tags (azsim: when the
value given matches, or is "" or null); DELETE removes every tag; at most 50 tags, names of
1-512 characters without <>%&\\?/ (400 InvalidTagNameCharacters), values up to 256; Reader may
read but not write (403 AuthorizationFailed for Microsoft.Resources/tags/write); Tag
Contributor may write tags without access to the resource; a missing resource is 404
ResourceNotFound. The tags are the resource's own: a managed instance's GET (and lists) and a
vault's GET show them, and they survive a restart with --state.
"""

import os
import tempfile
import unittest
import warnings

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from azsim import PRINCIPALS, SQL_RG_A, SQL_RG_B, SUB, Azsim, AzsimTestCase, base_scenario

MI_A = "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Sql/managedInstances/mi-a" % (
    SUB, SQL_RG_A)
MI_B = "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Sql/managedInstances/mi-b" % (
    SUB, SQL_RG_B)
KV_A = "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.KeyVault/vaults/kv-sql-a" % (
    SUB, SQL_RG_A)
TAGS = "/providers/Microsoft.Resources/tags/default"
API = "2021-04-01"


def tags_scenario():
    """The base scenario, plus: rbac-officer is Tag Contributor on mi-b only, rbac-reader is
    SQL Managed Instance Contributor on the subscription."""
    scenario = base_scenario()
    scenario["arm_role_assignments"] += [
        {"principal": "rbac-officer", "role": "Tag Contributor", "scope": MI_B},
        {"principal": "rbac-reader", "role": "SQL Managed Instance Contributor",
         "scope": "/subscriptions/" + SUB},
    ]
    return scenario


def resource_client(sim, principal="operator", api_version=None):
    from azure.mgmt.resource import ResourceManagementClient
    kwargs = sim.mgmt_kwargs()
    if api_version:
        kwargs["api_version"] = api_version
    return ResourceManagementClient(sim.credential(principal), SUB, **kwargs)


def tags_resource(tags):
    from azure.mgmt.resource.resources.models import Tags, TagsResource
    return TagsResource(properties=Tags(tags=tags))


def tags_patch(operation, tags):
    from azure.mgmt.resource.resources.models import Tags, TagsPatchResource
    return TagsPatchResource(operation=operation, properties=Tags(tags=tags))


class TagsCase(AzsimTestCase):
    scenario = tags_scenario()

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rm = resource_client(cls.sim, api_version=API)

    def setUp(self):
        # The SDK clients made per test keep their connection pools until collected.
        warnings.filterwarnings("ignore", message="unclosed", category=ResourceWarning)
        for scope in (MI_A, MI_B, KV_A):  # every test starts from untagged resources
            self.assertEqual(self.raw("DELETE", scope).status_code, 200)

    def raw(self, method, scope, body=None, principal="operator", api=API):
        return self.sim.arm(method, scope + TAGS, principal=principal, api=api, body=body)

    def tags(self, scope):
        r = self.raw("GET", scope)
        self.assertEqual(r.status_code, 200, r.text)
        return r.json()["properties"]["tags"]

    def assertArmError(self, response, status, code):
        self.assertEqual(response.status_code, status, response.text)
        error = response.json()["error"]
        self.assertEqual(error["code"], code, response.text)
        self.assertTrue(error["message"], response.text)
        return error

    def assertSdkArmError(self, exc, status, code):
        self.assertEqual(exc.status_code, status, exc)
        self.assertIsNotNone(exc.error, exc)
        self.assertEqual(exc.error.code, code, exc)
        self.assertTrue(exc.error.message)


class TagsSdk(TagsCase):
    """Microsoft's SDK drives every operation, at both api-versions."""

    def test_round_trip_2021_04_01(self):
        got = self.rm.tags.create_or_update_at_scope(MI_A, tags_resource({"env": "prod"}))
        self.assertEqual(got.id, MI_A + TAGS)
        self.assertEqual(got.name, "default")
        self.assertEqual(got.type, "Microsoft.Resources/tags")
        self.assertEqual(got.properties.tags, {"env": "prod"})

        # Merge adds new names and updates existing ones.
        got = self.rm.tags.update_at_scope(
            MI_A, tags_patch("Merge", {"tdectl-lock": "op-1;2026-01-01T00:00:00Z", "env": "dr"}))
        self.assertEqual(got.properties.tags,
                         {"env": "dr", "tdectl-lock": "op-1;2026-01-01T00:00:00Z"})
        self.assertEqual(self.rm.tags.get_at_scope(MI_A).properties.tags, got.properties.tags)

        # Delete with another value leaves the tag; with its value removes it.
        got = self.rm.tags.update_at_scope(MI_A, tags_patch("Delete", {"tdectl-lock": "op-2"}))
        self.assertIn("tdectl-lock", got.properties.tags)
        got = self.rm.tags.update_at_scope(
            MI_A, tags_patch("Delete", {"tdectl-lock": "op-1;2026-01-01T00:00:00Z"}))
        self.assertEqual(got.properties.tags, {"env": "dr"})

        # Replace replaces the whole set.
        got = self.rm.tags.update_at_scope(MI_A, tags_patch("Replace", {"a": "1", "b": "2"}))
        self.assertEqual(got.properties.tags, {"a": "1", "b": "2"})

        # DELETE removes everything; the answer has no body.
        self.assertIsNone(self.rm.tags.delete_at_scope(MI_A))
        self.assertEqual(self.rm.tags.get_at_scope(MI_A).properties.tags, {})
        # Other resources were not touched.
        self.assertEqual(self.tags(MI_B), {})

    def test_pollers_of_the_default_api_version(self):
        rm = resource_client(self.sim)  # 2022-09-01: begin_* pollers
        got = rm.tags.begin_create_or_update_at_scope(MI_B, tags_resource({"x": "1", "y": "2"}))
        self.assertEqual(got.result().properties.tags, {"x": "1", "y": "2"})
        got = rm.tags.begin_update_at_scope(MI_B, tags_patch("Merge", {"z": "3"})).result()
        self.assertEqual(got.properties.tags, {"x": "1", "y": "2", "z": "3"})
        # A null value deletes by name, whatever the value.
        got = rm.tags.begin_update_at_scope(MI_B, tags_patch("Delete", {"x": None})).result()
        self.assertEqual(got.properties.tags, {"y": "2", "z": "3"})
        self.assertEqual(rm.tags.get_at_scope(MI_B).properties.tags, {"y": "2", "z": "3"})
        self.assertIsNone(rm.tags.begin_delete_at_scope(MI_B).result())
        self.assertEqual(self.tags(MI_B), {})

    def test_tags_show_on_the_managed_instance(self):
        self.rm.tags.create_or_update_at_scope(MI_A, tags_resource({"owner": "dba", "lock": "x"}))
        sql = self.sim.sql_client()
        self.assertEqual(sql.managed_instances.get(SQL_RG_A, "mi-a").tags,
                         {"owner": "dba", "lock": "x"})
        listed = {mi.name: mi.tags for mi in sql.managed_instances.list()}
        self.assertEqual(listed["mi-a"], {"owner": "dba", "lock": "x"})
        self.assertEqual(listed["mi-b"], {})
        by_rg = {mi.name: mi.tags for mi in sql.managed_instances.list_by_resource_group(SQL_RG_A)}
        self.assertEqual(by_rg["mi-a"], {"owner": "dba", "lock": "x"})
        self.assertEqual(self.sim.model("mi-a")["tags"], {"owner": "dba", "lock": "x"})
        self.assertEqual(self.sim.model("mi-b")["tags"], {})

    def test_vault_scope(self):
        got = self.rm.tags.create_or_update_at_scope(KV_A, tags_resource({"tier": "tde"}))
        self.assertEqual(got.id, KV_A + TAGS)
        kv = self.sim.keyvault_mgmt_client()
        self.assertEqual(kv.vaults.get(SQL_RG_A, "kv-sql-a").tags, {"tier": "tde"})
        self.rm.tags.update_at_scope(KV_A, tags_patch("Merge", {"more": "1"}))
        self.assertEqual(kv.vaults.get(SQL_RG_A, "kv-sql-a").tags, {"tier": "tde", "more": "1"})
        # A read-only vault (a regional failover) refuses data-plane writes, not ARM's tags.
        fid = self.sim.fault("read-only", vault="kv-sql-a")
        try:
            self.rm.tags.update_at_scope(KV_A, tags_patch("Delete", {"more": ""}))
        finally:
            self.sim.clear_fault(fid)
        self.assertEqual(self.tags(KV_A), {"tier": "tde"})


class TagsRules(TagsCase):
    """Azure's semantics, raw: shapes, case-insensitive names, limits, errors."""

    def test_shapes(self):
        r = self.raw("GET", MI_A)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json(), {"id": MI_A + TAGS, "name": "default",
                                    "type": "Microsoft.Resources/tags",
                                    "properties": {"tags": {}}})
        r = self.raw("PUT", MI_A, {"properties": {"tags": {"k": "v"}}})
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["properties"], {"tags": {"k": "v"}})
        self.assertEqual(r.json()["id"], MI_A + TAGS)
        r = self.raw("PATCH", MI_A, {"operation": "Merge", "properties": {"tags": {"j": "w"}}})
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["properties"]["tags"], {"k": "v", "j": "w"})
        self.assertIn("x-ms-ratelimit-remaining-subscription-writes", r.headers)
        r = self.raw("DELETE", MI_A)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.content, b"")
        # The path is matched as ARM matches it: case-insensitively.
        r = self.sim.arm("GET", MI_A + TAGS.upper(), api=API)
        self.assertEqual(r.status_code, 200, r.text)

    def test_names_are_case_insensitive(self):
        self.raw("PUT", MI_A, {"properties": {"tags": {"Env": "prod", "lock": "L1"}}})
        r = self.raw("PATCH", MI_A, {"operation": "merge", "properties": {"tags": {"ENV": "dr"}}})
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["properties"]["tags"], {"ENV": "dr", "lock": "L1"})
        # Values are not: a Delete with another case of the value leaves the tag.
        r = self.raw("PATCH", MI_A, {"operation": "Delete", "properties": {"tags": {"LOCK": "l1"}}})
        self.assertEqual(r.json()["properties"]["tags"], {"ENV": "dr", "lock": "L1"})
        r = self.raw("PATCH", MI_A, {"operation": "Delete", "properties": {"tags": {"LOCK": "L1"}}})
        self.assertEqual(r.json()["properties"]["tags"], {"ENV": "dr"})
        # "" deletes by name; a name that is not there is no error.
        r = self.raw("PATCH", MI_A, {"operation": "Delete",
                                     "properties": {"tags": {"env": "", "nope": "x"}}})
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["properties"]["tags"], {})
        # One name twice (in two cases) in one body is refused.
        r = self.raw("PUT", MI_A, {"properties": {"tags": {"a": "1", "A": "2"}}})
        self.assertArmError(r, 400, "InvalidRequestContent")

    def test_limits(self):
        fifty = {"t%02d" % i: "v" for i in range(50)}
        self.assertEqual(self.raw("PUT", MI_A, {"properties": {"tags": fifty}}).status_code, 200)
        self.assertEqual(len(self.tags(MI_A)), 50)
        # A merge that would leave 51 is refused and changes nothing.
        r = self.raw("PATCH", MI_A, {"operation": "Merge", "properties": {"tags": {"x": "1"}}})
        self.assertArmError(r, 400, "InvalidTags")
        self.assertEqual(len(self.tags(MI_A)), 50)
        # A merge that only updates is fine at 50.
        r = self.raw("PATCH", MI_A, {"operation": "Merge", "properties": {"tags": {"t00": "w"}}})
        self.assertEqual(r.status_code, 200, r.text)
        fifty["x"] = "1"
        self.assertArmError(self.raw("PUT", MI_B, {"properties": {"tags": fifty}}), 400,
                            "InvalidTags")
        self.assertEqual(self.tags(MI_B), {})
        # 512-character names and 256-character values are the limits (characters, not bytes).
        good = {"n" * 512: "v" * 256, "é" * 300: "ü" * 256}
        r = self.raw("PUT", MI_B, {"properties": {"tags": good}})
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(self.tags(MI_B), good)
        for tags, code in (({"n" * 513: "v"}, "InvalidTagName"),
                           ({"n": "v" * 257}, "InvalidTagValueLength"),
                           ({"": "v"}, "InvalidTagName"),
                           ({"  ": "v"}, "InvalidTagName")):
            with self.subTest(code=code, name=list(tags)[0][:8]):
                self.assertArmError(self.raw("PUT", MI_B, {"properties": {"tags": tags}}), 400,
                                    code)
        self.assertEqual(self.tags(MI_B), good, "refused writes change nothing")

    def test_reserved_characters(self):
        for ch in "<>%&\\?/\x01\x7f":
            with self.subTest(ch=repr(ch)):
                for method, body in (("PUT", {"properties": {"tags": {"a%sb" % ch: "v"}}}),
                                     ("PATCH", {"operation": "Merge",
                                                "properties": {"tags": {"a%sb" % ch: "v"}}})):
                    self.assertArmError(self.raw(method, MI_A, body), 400,
                                        "InvalidTagNameCharacters")
        # The same characters are fine in values; other punctuation is fine in names.
        tags = {"cost-center:eu.1 (x)": "<>%&\\?/", "tdectl.lock": "a/b?c"}
        r = self.raw("PUT", MI_A, {"properties": {"tags": tags}})
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(self.tags(MI_A), tags)

    def test_bad_bodies(self):
        for method, body in (
                ("PUT", None),
                ("PUT", {}),
                ("PUT", {"properties": "x"}),
                ("PUT", {"properties": {"tags": ["a"]}}),
                ("PUT", {"properties": {"tags": {"a": 1}}}),
                ("PUT", {"properties": {"tags": {"a": None}}}),
                ("PUT", {"properties": {"tags": {"a": {"b": "c"}}}}),
                ("PATCH", {"properties": {"tags": {"a": "b"}}}),
                ("PATCH", {"operation": "Append", "properties": {"tags": {"a": "b"}}}),
                ("PATCH", {"operation": 1, "properties": {"tags": {"a": "b"}}}),
                ("PATCH", {"operation": "Merge"}),
                ("PATCH", {"operation": "Merge", "properties": {"tags": {"a": None}}})):
            with self.subTest(method=method, body=body):
                self.assertArmError(self.raw(method, MI_A, body), 400, "InvalidRequestContent")
        r = self.sim.arm("PUT", MI_A + TAGS, api=API, raw='{"properties": {"tags": {}}} x')
        self.assertArmError(r, 400, "InvalidRequestContent")
        self.assertEqual(self.tags(MI_A), {})
        # properties without tags is an empty set (PUT clears; Merge/Delete change nothing).
        self.raw("PUT", MI_A, {"properties": {"tags": {"a": "b"}}})
        r = self.raw("PATCH", MI_A, {"operation": "Merge", "properties": {}})
        self.assertEqual(r.json()["properties"]["tags"], {"a": "b"})
        r = self.raw("PUT", MI_A, {"properties": {}})
        self.assertEqual(r.json()["properties"]["tags"], {})

    def test_sdk_sees_azure_errors(self):
        with self.assertRaises(HttpResponseError) as cm:
            self.rm.tags.create_or_update_at_scope(MI_A, tags_resource({"a/b": "x"}))
        self.assertSdkArmError(cm.exception, 400, "InvalidTagNameCharacters")
        with self.assertRaises(HttpResponseError) as cm:
            self.rm.tags.update_at_scope(MI_A, tags_patch("Merge", {"v": "x" * 300}))
        self.assertSdkArmError(cm.exception, 400, "InvalidTagValueLength")
        with self.assertRaises(ResourceNotFoundError) as cm:
            self.rm.tags.get_at_scope(MI_A.replace("mi-a", "mi-nope"))
        self.assertSdkArmError(cm.exception, 404, "ResourceNotFound")
        self.assertEqual(self.tags(MI_A), {})

    def test_unknown_resources(self):
        for scope in (MI_A.replace("mi-a", "mi-nope"),
                      MI_A.replace(SQL_RG_A, SQL_RG_B),  # mi-a lives in another group
                      KV_A.replace("kv-sql-a", "kv-nope")):
            for method, body in (("GET", None), ("PUT", {"properties": {"tags": {"a": "b"}}}),
                                 ("PATCH", {"operation": "Merge",
                                            "properties": {"tags": {"a": "b"}}}),
                                 ("DELETE", None)):
                with self.subTest(scope=scope, method=method):
                    error = self.assertArmError(self.raw(method, scope, body), 404,
                                                "ResourceNotFound")
                    self.assertIn("was not found", error["message"])
        self.assertArmError(self.raw("GET", MI_A.replace(SQL_RG_A, "rg-nope")), 404,
                            "ResourceGroupNotFound")
        self.assertArmError(self.raw("GET", MI_A.replace(SUB, "deadbeef-0000-4000-8000-"
                                                               "00000000beef")), 404,
                            "SubscriptionNotFound")
        # A resource type azsim does not tag answers as an unknown route.
        other = MI_A.replace("Microsoft.Sql/managedInstances", "Microsoft.Compute/virtualMachines")
        self.assertArmError(self.raw("GET", other), 404, "InvalidResourceType")
        self.assertArmError(self.sim.arm("POST", MI_A + TAGS, api=API), 405, "MethodNotAllowed")
        self.assertArmError(self.sim.arm("GET", MI_A + TAGS, api=None), 400,
                            "MissingApiVersionParameter")


class TagsAuthorization(TagsCase):
    """Microsoft.Resources/tags/read, /write and /delete, evaluated like every ARM route."""

    def test_reader_reads_but_cannot_write(self):
        self.raw("PUT", MI_A, {"properties": {"tags": {"lock": "L"}}})
        r = self.raw("GET", MI_A, principal="reader")
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["properties"]["tags"], {"lock": "L"})
        for method, body, action in (
                ("PUT", {"properties": {"tags": {"a": "b"}}}, "Microsoft.Resources/tags/write"),
                ("PATCH", {"operation": "Delete", "properties": {"tags": {"lock": "L"}}},
                 "Microsoft.Resources/tags/write"),
                ("DELETE", None, "Microsoft.Resources/tags/delete")):
            with self.subTest(method=method):
                error = self.assertArmError(self.raw(method, MI_A, body, principal="reader"),
                                            403, "AuthorizationFailed")
                self.assertIn(action, error["message"])
                self.assertIn(PRINCIPALS["reader"][1], error["message"])
        self.assertEqual(self.tags(MI_A), {"lock": "L"})
        # The same through the SDK.
        reader = resource_client(self.sim, "reader", API)
        self.assertEqual(reader.tags.get_at_scope(MI_A).properties.tags, {"lock": "L"})
        with self.assertRaises(HttpResponseError) as cm:
            reader.tags.update_at_scope(MI_A, tags_patch("Merge", {"x": "y"}))
        self.assertSdkArmError(cm.exception, 403, "AuthorizationFailed")
        with self.assertRaises(HttpResponseError) as cm:
            reader.tags.delete_at_scope(MI_A)
        self.assertSdkArmError(cm.exception, 403, "AuthorizationFailed")
        self.assertEqual(self.tags(MI_A), {"lock": "L"})

    def test_nobody_cannot_read(self):
        self.assertArmError(self.raw("GET", MI_A, principal="nobody"), 403, "AuthorizationFailed")

    def test_tag_contributor_tags_only_where_assigned(self):
        # rbac-officer is Tag Contributor on mi-b: it writes mi-b's tags...
        r = self.raw("PATCH", MI_B, {"operation": "Merge", "properties": {"tags": {"l": "1"}}},
                     principal="rbac-officer")
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(self.raw("DELETE", MI_B, principal="rbac-officer").status_code, 200)
        # ...but cannot read the instance itself, nor touch mi-a's tags.
        r = self.sim.arm("GET", MI_B, principal="rbac-officer", api="2021-11-01")
        self.assertArmError(r, 403, "AuthorizationFailed")
        self.assertArmError(self.raw("GET", MI_A, principal="rbac-officer"), 403,
                            "AuthorizationFailed")

    def test_sql_managed_instance_contributor_cannot_tag(self):
        # Its actions are Microsoft.Sql's: writing tags needs Microsoft.Resources/tags/write.
        r = self.sim.arm("GET", MI_A, principal="rbac-reader", api="2021-11-01")
        self.assertEqual(r.status_code, 200, r.text)
        r = self.raw("PATCH", MI_A, {"operation": "Merge", "properties": {"tags": {"l": "1"}}},
                     principal="rbac-reader")
        self.assertArmError(r, 403, "AuthorizationFailed")
        self.assertArmError(self.raw("GET", MI_A, principal="rbac-reader"), 403,
                            "AuthorizationFailed")


def tagged_scenario():
    """The base scenario with tags on mi-a and kv-sql-a."""
    scenario = base_scenario()
    scenario["instances"][0]["tags"] = {"env": "prod", "tdectl-lock": ""}
    for vault in scenario["vaults"]:
        if vault["name"] == "kv-sql-a":
            vault["tags"] = {"purpose": "tde"}
    return scenario


class ScenarioTags(AzsimTestCase):
    """Tags given in the scenario file, validated by ARM's rules."""

    scenario = tagged_scenario()

    def test_tags_from_the_scenario(self):
        warnings.filterwarnings("ignore", message="unclosed", category=ResourceWarning)
        sql = self.sim.sql_client()
        self.assertEqual(sql.managed_instances.get(SQL_RG_A, "mi-a").tags,
                         {"env": "prod", "tdectl-lock": ""})
        self.assertEqual(sql.managed_instances.get(SQL_RG_B, "mi-b").tags, {})
        rm = resource_client(self.sim, api_version=API)
        self.assertEqual(rm.tags.get_at_scope(MI_A).properties.tags,
                         {"env": "prod", "tdectl-lock": ""})
        self.assertEqual(rm.tags.get_at_scope(KV_A).properties.tags, {"purpose": "tde"})
        self.assertEqual(self.sim.keyvault_mgmt_client().vaults.get(SQL_RG_A, "kv-sql-a").tags,
                         {"purpose": "tde"})
        self.assertEqual(self.sim.model("mi-a")["tags"], {"env": "prod", "tdectl-lock": ""})

    def test_bad_scenario_tags_are_refused(self):
        for where, tags in (("instance", {"a/b": "x"}), ("instance", {"a": 1}),
                            ("instance", {"t%d" % i: "v" for i in range(51)}),
                            ("instance", ["a"]), ("vault", {"x": "v" * 257})):
            with self.subTest(where=where, tags=str(tags)[:30]):
                scenario = base_scenario()
                target = scenario["instances"][0] if where == "instance" else \
                    scenario["vaults"][0]
                target["tags"] = tags
                sim = Azsim(scenario)
                try:
                    with self.assertRaises(RuntimeError) as cm:
                        sim.start()
                    self.assertIn("tags", str(cm.exception))
                finally:
                    sim.tmp.cleanup()


class TagsState(unittest.TestCase):
    """Tags are part of the persisted world: they survive a restart with --state."""

    def test_tags_survive_restart(self):
        warnings.filterwarnings("ignore", message="unclosed", category=ResourceWarning)
        with tempfile.TemporaryDirectory() as parent:
            state = os.path.join(parent, "state")
            with Azsim(tags_scenario(), state_dir=state) as sim:
                rm = resource_client(sim, api_version=API)
                rm.tags.create_or_update_at_scope(MI_A, tags_resource({"lock": "op;t"}))
                rm.tags.update_at_scope(KV_A, tags_patch("Merge", {"purpose": "tde"}))
            with Azsim(tags_scenario(), state_dir=state) as sim:
                rm = resource_client(sim, api_version=API)
                self.assertEqual(rm.tags.get_at_scope(MI_A).properties.tags, {"lock": "op;t"})
                self.assertEqual(rm.tags.get_at_scope(KV_A).properties.tags, {"purpose": "tde"})
                self.assertEqual(rm.tags.get_at_scope(MI_B).properties.tags, {})
                self.assertEqual(sim.sql_client().managed_instances.get(SQL_RG_A, "mi-a").tags,
                                 {"lock": "op;t"})
                rm.tags.delete_at_scope(MI_A)
            with Azsim(tags_scenario(), state_dir=state) as sim:
                rm = resource_client(sim, api_version=API)
                self.assertEqual(rm.tags.get_at_scope(MI_A).properties.tags, {})
                self.assertEqual(rm.tags.get_at_scope(KV_A).properties.tags, {"purpose": "tde"})


if __name__ == "__main__":
    unittest.main()
