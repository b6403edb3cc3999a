"""ARM role assignments (Microsoft.Authorization) as Microsoft's SDK and a raw client see them.

tdectl reads a vault's role assignments to check that every instance identity holds
Key Vault Crypto Service Encryption User on an RBAC vault (health rule V07). azsim keeps
two stores that Azure keeps as one: the control-plane roles of the scenario
(arm_role_assignments) and the Key Vault roles of each vault (role_assignments, at the
vault or one key). Both must come back through {scope}/providers/Microsoft.Authorization/
roleAssignments, with Azure's list semantics: without a filter the assignments at, above and
below the scope; with atScope() those at or above; principalId eq / assignedTo one
principal's.

The SDK is azure-mgmt-authorization as Debian ships it (api-version 2022-04-01). The
expected shape of an assignment follows the specification's examples
(RoleAssignments_ListForScope.json, RoleAssignments_Get.json of
specification/authorization/.../stable/2022-04-01) plus the fields Azure adds on the wire.
"""

import copy
import unittest
import urllib.parse

import requests
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from azsim import (PRINCIPALS, SQL_IDENTITIES, SQL_RG_A, SUB, AzsimTestCase, base_scenario,
                   shape_diff)

RA = "/providers/Microsoft.Authorization/roleAssignments"
RG = "rg-test"
SUB_SCOPE = "/subscriptions/" + SUB
RG_SCOPE = SUB_SCOPE + "/resourceGroups/" + RG
UNKNOWN_SUB = "deadbeef-0000-4000-8000-00000000beef"

ROLE_GUIDS = {
    "Owner": "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    "Contributor": "b24988ac-6180-42a0-ab88-20f7382dd24c",
    "Reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    "Key Vault Contributor": "f25e0fa2-a7c8-4377-a976-54943a77a395",
    "Key Vault Crypto Officer": "14b46e9e-c2b7-41b4-b07b-48a6ebf60603",
    "Key Vault Reader": "21090545-7ca7-4776-b22c-e363652d74d2",
    "Key Vault Crypto Service Encryption User": "e147488a-f6f5-4113-8e2d-b22465e65bf6",
}


def vault_scope(vault, rg=RG):
    return "%s/resourceGroups/%s/providers/Microsoft.KeyVault/vaults/%s" % (SUB_SCOPE, rg, vault)


KV_RBAC = vault_scope("kv-rbac")
KV_RBAC_TDE = KV_RBAC + "/keys/tde"
KV_SQL_A = vault_scope("kv-sql-a", SQL_RG_A)


def oid(principal):
    if principal in SQL_IDENTITIES:
        return SQL_IDENTITIES[principal][1]
    return PRINCIPALS[principal][1]


# name -> (principal, role, scope): every assignment of the scenario, with fixed ids.
ASSIGNMENTS = {
    "0a000001-0000-4000-8000-000000000001": ("operator", "Contributor", SUB_SCOPE),
    "0a000001-0000-4000-8000-000000000002": ("reader", "Reader", SUB_SCOPE),
    "0a000001-0000-4000-8000-000000000003": ("rbac-reader", "Reader", RG_SCOPE),
    "0a000001-0000-4000-8000-000000000004": ("rbac-officer", "Key Vault Contributor", KV_RBAC),
    "0b000001-0000-4000-8000-000000000001": ("rbac-officer", "Key Vault Crypto Officer", KV_RBAC),
    "0b000001-0000-4000-8000-000000000002": ("rbac-reader", "Key Vault Reader", KV_RBAC),
    "0b000001-0000-4000-8000-000000000003":
        ("mi-b-id", "Key Vault Crypto Service Encryption User", KV_RBAC),
    "0b000001-0000-4000-8000-000000000004":
        ("mi-a-id", "Key Vault Crypto Service Encryption User", KV_RBAC_TDE),
    "0c000001-0000-4000-8000-000000000001":
        ("mi-a-id", "Key Vault Crypto Service Encryption User", KV_SQL_A),
}
(OP_SUB, RD_SUB, RBR_RG, OFF_KV_ARM,
 KV_OFFICER, KV_READER, KV_MIB, KV_MIA_KEY, SQLA_MIA) = list(ASSIGNMENTS)
ABOVE_KV_RBAC = {OP_SUB, RD_SUB, RBR_RG, OFF_KV_ARM, KV_OFFICER, KV_READER, KV_MIB}


def scenario():
    s = base_scenario()
    s["name"] = "arm-authz"
    s["arm_role_assignments"] = [
        {"principal": p, "role": role, "scope": scope, "id": name}
        for name, (p, role, scope) in ASSIGNMENTS.items() if name.startswith("0a")]
    by_vault = {"kv-rbac": [], "kv-sql-a": []}
    for name, (p, role, scope) in ASSIGNMENTS.items():
        if name[:2] in ("0b", "0c"):
            vault = "kv-rbac" if scope.startswith(KV_RBAC) else "kv-sql-a"
            entry = {"principal": p, "role": role, "id": name}
            if scope.endswith("/keys/tde"):
                entry["key"] = "tde"
            by_vault[vault].append(entry)
    for v in s["vaults"]:
        if v["name"] in by_vault:
            v["role_assignments"] = by_vault[v["name"]]
    return s


# The example's fields and their JSON types, plus what Azure adds on the wire.
EXAMPLE_SHAPE = {
    "properties": {"roleDefinitionId": "", "principalId": "", "principalType": "", "scope": "",
                   "createdOn": "", "updatedOn": ""},
    "id": "", "type": "", "name": "",
}


class AuthzCase(AzsimTestCase):
    scenario = scenario()

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client = cls.authz_client("operator")

    @classmethod
    def authz_client(cls, principal):
        from azure.mgmt.authorization import AuthorizationManagementClient
        kwargs = dict(cls.sim.mgmt_kwargs())
        kwargs.pop("polling_interval")
        return AuthorizationManagementClient(cls.sim.credential(principal), SUB, **kwargs)

    def names(self, assignments):
        return {a.name for a in assignments}

    def list_raw(self, scope, principal="operator", **params):
        r = self.sim.arm("GET", scope + RA, principal=principal, api="2022-04-01", params=params)
        self.assertEqual(r.status_code, 200, r.text)
        return r.json()

    def assertArmError(self, r, status, code):
        self.assertEqual(r.status_code, status, r.text)
        error = r.json()["error"]
        self.assertEqual(error["code"], code, r.text)
        self.assertTrue(error["message"])
        return error


class ListSemantics(AuthzCase):
    """Which assignments a scope answers, through the SDK."""

    def test_vault_scope_answers_at_above_and_below(self):
        got = self.names(self.client.role_assignments.list_for_scope(KV_RBAC))
        self.assertEqual(got, ABOVE_KV_RBAC | {KV_MIA_KEY})

    def test_at_scope_drops_what_is_below(self):
        got = self.names(self.client.role_assignments.list_for_scope(KV_RBAC, filter="atScope()"))
        self.assertEqual(got, ABOVE_KV_RBAC)

    def test_key_scope_inherits_the_vault_and_above(self):
        got = self.names(self.client.role_assignments.list_for_scope(KV_RBAC_TDE,
                                                                     filter="atScope()"))
        self.assertEqual(got, ABOVE_KV_RBAC | {KV_MIA_KEY})

    def test_subscription_lists_everything_below(self):
        got = self.names(self.client.role_assignments.list_for_subscription())
        self.assertEqual(got, set(ASSIGNMENTS))
        at = self.names(self.client.role_assignments.list_for_subscription(filter="atScope()"))
        self.assertEqual(at, {OP_SUB, RD_SUB})

    def test_resource_group_lists_its_own_and_the_subscription(self):
        got = self.names(self.client.role_assignments.list_for_resource_group(RG))
        self.assertEqual(got, set(ASSIGNMENTS) - {SQLA_MIA})
        other = self.names(self.client.role_assignments.list_for_resource_group(SQL_RG_A))
        self.assertEqual(other, {OP_SUB, RD_SUB, SQLA_MIA})
        at = self.names(self.client.role_assignments.list_for_resource_group(
            RG, filter="atScope()"))
        self.assertEqual(at, {OP_SUB, RD_SUB, RBR_RG})

    def test_list_for_resource(self):
        got = self.names(self.client.role_assignments.list_for_resource(
            RG, "Microsoft.KeyVault", "vaults", "kv-rbac", filter="atScope()"))
        self.assertEqual(got, ABOVE_KV_RBAC)

    def test_a_resource_is_not_looked_up(self):
        """Microsoft.Authorization does not validate the resource: inherited ones show."""
        got = self.names(self.client.role_assignments.list_for_scope(vault_scope("kv-nowhere")))
        self.assertEqual(got, {OP_SUB, RD_SUB, RBR_RG})

    def test_principal_filters(self):
        mia = oid("mi-a-id")
        for text in ("principalId eq '%s'" % mia, "assignedTo('%s')" % mia,
                     "PRINCIPALID  eq  '%s'" % mia.upper()):
            got = self.names(self.client.role_assignments.list_for_scope(KV_RBAC, filter=text))
            self.assertEqual(got, {KV_MIA_KEY}, text)
        got = self.names(self.client.role_assignments.list_for_subscription(
            filter="principalId eq '%s'" % mia))
        self.assertEqual(got, {KV_MIA_KEY, SQLA_MIA})
        both = "atScope() and assignedTo('%s')" % mia
        self.assertEqual(self.names(self.client.role_assignments.list_for_scope(KV_RBAC,
                                                                                filter=both)),
                         set())
        self.assertEqual(self.names(self.client.role_assignments.list_for_scope(KV_RBAC_TDE,
                                                                                filter=both)),
                         {KV_MIA_KEY})

    def test_v07_grant_of_each_instance_identity(self):
        """What V07 reads: the role definition GUID at the vault (or its key) per identity."""
        for identity, expected_scope in (("mi-b-id", KV_RBAC), ("mi-a-id", KV_RBAC_TDE)):
            found = list(self.client.role_assignments.list_for_scope(
                KV_RBAC, filter="principalId eq '%s'" % oid(identity)))
            self.assertEqual(len(found), 1, identity)
            a = found[0]
            self.assertTrue(a.role_definition_id.lower().endswith(
                "/" + ROLE_GUIDS["Key Vault Crypto Service Encryption User"]), a.role_definition_id)
            self.assertEqual(a.scope, expected_scope)
            self.assertEqual(a.principal_type, "ServicePrincipal")


class Shapes(AuthzCase):
    """Every field as Azure writes it."""

    def test_every_assignment_maps(self):
        for a in self.client.role_assignments.list_for_subscription():
            principal, role, scope = ASSIGNMENTS[a.name]
            self.assertEqual(a.id, "%s%s/%s" % (scope, RA, a.name))
            self.assertEqual(a.type, "Microsoft.Authorization/roleAssignments")
            self.assertEqual(a.scope, scope)
            self.assertEqual(a.principal_id, oid(principal))
            self.assertEqual(a.principal_type, "ServicePrincipal")
            self.assertEqual(a.role_definition_id,
                             "%s/providers/Microsoft.Authorization/roleDefinitions/%s"
                             % (SUB_SCOPE, ROLE_GUIDS[role]))
            self.assertIsNotNone(a.created_on)
            self.assertEqual(a.created_on, a.updated_on)
            self.assertIsNone(a.condition)

    def test_raw_shape_has_the_examples_fields(self):
        body = self.list_raw(KV_RBAC)
        self.assertEqual(set(body), {"value"}, "no nextLink without $top")
        for item in body["value"]:
            self.assertEqual(shape_diff(EXAMPLE_SHAPE, item), [])
            for field in ("condition", "conditionVersion", "createdBy", "updatedBy",
                          "delegatedManagedIdentityResourceId", "description"):
                self.assertIn(field, item["properties"])
                self.assertIsNone(item["properties"][field])

    def test_get_and_get_by_id(self):
        a = self.client.role_assignments.get(KV_RBAC, KV_MIB)
        self.assertEqual((a.name, a.scope, a.principal_id), (KV_MIB, KV_RBAC, oid("mi-b-id")))
        b = self.client.role_assignments.get_by_id(a.id)
        self.assertEqual(b.as_dict(), a.as_dict())
        key = self.client.role_assignments.get(KV_RBAC_TDE, KV_MIA_KEY)
        self.assertEqual(key.scope, KV_RBAC_TDE)
        sub = self.client.role_assignments.get(SUB_SCOPE, OP_SUB)
        self.assertEqual(sub.principal_id, oid("operator"))
        rg = self.client.role_assignments.get(RG_SCOPE, RBR_RG.upper())
        self.assertEqual(rg.name, RBR_RG)

    def test_get_elsewhere_is_not_found(self):
        with self.assertRaises(ResourceNotFoundError) as cm:
            self.client.role_assignments.get(SUB_SCOPE, KV_OFFICER)  # made at the vault
        self.assertEqual(cm.exception.error.code, "RoleAssignmentNotFound")
        r = self.sim.arm("GET", KV_RBAC + RA + "/0f000000-0000-4000-8000-000000000000",
                         api="2022-04-01")
        self.assertArmError(r, 404, "RoleAssignmentNotFound")

    def test_front_door_headers(self):
        r = self.sim.arm("GET", KV_RBAC + RA, api="2022-04-01",
                         headers={"x-ms-client-request-id": "authz-1"})
        self.assertEqual(r.status_code, 200)
        self.assertEqual(r.headers["x-ms-client-request-id"], "authz-1")
        self.assertIn("x-ms-request-id", r.headers)
        self.assertGreater(int(r.headers["x-ms-ratelimit-remaining-subscription-reads"]), 0)
        self.assertTrue(r.headers["Content-Type"].startswith("application/json"))

    def test_any_well_formed_api_version(self):
        for api in ("2015-07-01", "2020-04-01-preview", "2022-04-01"):
            self.assertEqual(len(self.list_raw(KV_RBAC, **{"api-version": api})["value"]), 8)


class Paging(AuthzCase):

    def test_top_pages_and_next_link_keeps_the_filter(self):
        first = self.list_raw(RG_SCOPE, **{"$top": "2", "$filter": "atScope()"})
        self.assertEqual(len(first["value"]), 2)
        link = first["nextLink"]
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)
        self.assertEqual(query["$filter"], ["atScope()"])
        self.assertIn("$skiptoken", query)
        token = self.sim.token("operator", self.sim.management_url)
        with requests.Session() as session:
            r = session.get(link, headers={"Authorization": "Bearer " + token},
                            verify=self.sim.ca_file, timeout=60)
        self.assertEqual(r.status_code, 200, r.text)
        second = r.json()
        self.assertNotIn("nextLink", second)
        names = {a["name"] for a in first["value"] + second["value"]}
        self.assertEqual(names, {OP_SUB, RD_SUB, RBR_RG})

    def test_sdk_follows_next_links(self):
        pages = list(self.client.role_assignments.list_for_scope(
            KV_RBAC, filter="atScope()", params={"$top": "3"}).by_page())
        self.assertEqual([len(list(p)) for p in pages], [3, 3, 1])
        # by_page consumed the items; list again to count names
        got = self.names(self.client.role_assignments.list_for_scope(
            KV_RBAC, filter="atScope()", params={"$top": "3"}))
        self.assertEqual(got, ABOVE_KV_RBAC)

    def test_bad_top_and_skiptoken(self):
        r = self.sim.arm("GET", KV_RBAC + RA, api="2022-04-01", params={"$top": "0"})
        self.assertArmError(r, 400, "InvalidParameter")
        r = self.sim.arm("GET", KV_RBAC + RA, api="2022-04-01", params={"$skiptoken": "!!"})
        self.assertArmError(r, 400, "InvalidSkipToken")


class Errors(AuthzCase):

    def test_unsupported_filters(self):
        for text in ("roleDefinitionId eq 'x'", "principalId eq x", "principalId eq ''",
                     "atScope() and principalId eq '%s'" % oid("operator"), "atScope",
                     "atScope() or assignedTo('x')", "assignedTo('x') trailing",
                     "principalId eq '%s'" % ("a" * 80)):
            r = self.sim.arm("GET", KV_RBAC + RA, api="2022-04-01", params={"$filter": text})
            error = self.assertArmError(r, 400, "UnsupportedQuery")
            self.assertIn("atScope()", error["message"])
        with self.assertRaises(HttpResponseError) as cm:
            list(self.client.role_assignments.list_for_scope(KV_RBAC, filter="bogus"))
        self.assertEqual(cm.exception.status_code, 400)
        self.assertEqual(cm.exception.error.code, "UnsupportedQuery")

    def test_an_empty_filter_is_no_filter(self):
        self.assertEqual(len(self.list_raw(KV_RBAC, **{"$filter": " "})["value"]), 8)

    def test_without_permission(self):
        r = self.sim.arm("GET", KV_RBAC + RA, principal="nobody", api="2022-04-01")
        error = self.assertArmError(r, 403, "AuthorizationFailed")
        self.assertIn("Microsoft.Authorization/roleAssignments/read", error["message"])
        with self.assertRaises(HttpResponseError) as cm:
            list(self.authz_client("nobody").role_assignments.list_for_scope(KV_RBAC))
        self.assertEqual(cm.exception.status_code, 403)

    def test_reader_at_a_resource_group_reads_below_it_only(self):
        self.assertEqual(len(self.list_raw(KV_RBAC, principal="rbac-reader")["value"]), 8)
        r = self.sim.arm("GET", SUB_SCOPE + RA, principal="rbac-reader", api="2022-04-01")
        self.assertArmError(r, 403, "AuthorizationFailed")

    def test_key_vault_contributor_reads_assignments_at_its_vault(self):
        """Azure's Key Vault Contributor holds Microsoft.Authorization/*/read."""
        body = self.list_raw(KV_RBAC, principal="rbac-officer", **{"$filter": "atScope()"})
        self.assertEqual({a["name"] for a in body["value"]}, ABOVE_KV_RBAC)
        r = self.sim.arm("GET", RG_SCOPE + RA, principal="rbac-officer", api="2022-04-01")
        self.assertArmError(r, 403, "AuthorizationFailed")

    def test_front_door_errors(self):
        self.assertArmError(self.sim.arm("GET", KV_RBAC + RA, api=None), 400,
                            "MissingApiVersionParameter")
        self.assertArmError(self.sim.arm("GET", KV_RBAC + RA, token="", api="2022-04-01"), 401,
                            "AuthenticationFailed")
        self.assertArmError(self.sim.arm("GET", "/subscriptions/%s%s" % (UNKNOWN_SUB, RA),
                                         api="2022-04-01"), 404, "SubscriptionNotFound")
        self.assertArmError(self.sim.arm("GET", SUB_SCOPE + "/resourceGroups/rg-nowhere" + RA,
                                         api="2022-04-01"), 404, "ResourceGroupNotFound")
        self.assertArmError(self.sim.arm("GET", KV_RBAC + "/providers/Microsoft.Authorization/"
                                         "denyAssignments", api="2022-04-01"), 404,
                            "InvalidResourceType")

    def test_writes_are_not_served(self):
        body = {"properties": {"roleDefinitionId": ROLE_GUIDS["Reader"],
                               "principalId": oid("nobody")}}
        for method in ("PUT", "DELETE"):
            r = self.sim.arm(method, KV_RBAC + RA + "/0f000000-0000-4000-8000-000000000001",
                             api="2022-04-01", body=body if method == "PUT" else None)
            self.assertArmError(r, 405, "MethodNotAllowed")


class WithFaults(AuthzCase):
    """State faults move vault role assignments; the list follows."""

    def tearDown(self):
        self.sim.clear_fault()

    def test_revoke_removes_the_principals_vault_roles(self):
        self.sim.fault("revoke", vault="kv-rbac", principal=oid("rbac-officer"))
        got = self.names(self.client.role_assignments.list_for_scope(KV_RBAC, filter="atScope()"))
        self.assertEqual(got, ABOVE_KV_RBAC - {KV_OFFICER})  # the ARM role stays
        self.sim.clear_fault()
        got = self.names(self.client.role_assignments.list_for_scope(KV_RBAC, filter="atScope()"))
        self.assertEqual(got, ABOVE_KV_RBAC)

    def test_vault_delete_takes_its_role_assignments(self):
        self.sim.fault("vault-delete", vault="kv-rbac")
        got = self.names(self.client.role_assignments.list_for_subscription())
        self.assertEqual(got, set(ASSIGNMENTS) - {KV_OFFICER, KV_READER, KV_MIB, KV_MIA_KEY})


class Throttled(AuthzCase):
    """Role assignment reads spend the read bucket like every ARM read."""

    scenario = copy.deepcopy(scenario())
    scenario["settings"] = dict(scenario["settings"], arm_read_bucket=3, arm_read_refill=1)

    def test_429_after_the_bucket(self):
        token = self.sim.token("reader", self.sim.management_url)
        statuses = [self.sim.arm("GET", KV_RBAC + RA, api="2022-04-01", token=token)
                    for _ in range(5)]
        codes = [r.status_code for r in statuses]
        self.assertIn(429, codes, codes)
        r = statuses[codes.index(429)]
        self.assertArmError(r, 429, "SubscriptionRequestsThrottled")
        self.assertGreaterEqual(int(r.headers["Retry-After"]), 1)


if __name__ == "__main__":
    unittest.main()
