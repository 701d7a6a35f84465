"""Roles for people: a viewer reads, a planner also acts, an admin also runs the PKI and
the cluster. The rules themselves, and the certificates that carry them."""

from __future__ import annotations

import pytest
from cryptography import x509

from pnp.orchestrator.errors import BadInput
from pnp.orchestrator.security import pki
from pnp.orchestrator.security.identities import (
    Identity,
    PlannerRole,
    Role,
    planner_role_from_uris,
)
from pnp.orchestrator.security.permissions import (
    DIGITAL_TWIN,
    METHOD_ROLES,
    MODULE_REGISTRY,
    ORCHESTRATOR,
    ORCHESTRATOR_ROLES,
    Caller,
    call_refusal,
)
from pnp.orchestrator.security.tls_files import certificate_uris
from pnp.orchestrator.web.roles import console_refusal
from pnp.v1 import orchestrator_pb2, twin_pb2

VIEWER = Caller(Identity(Role.PLANNER, "vera"), PlannerRole.VIEWER)
PLANNER = Caller(Identity(Role.PLANNER, "anna"), PlannerRole.PLANNER)
ADMIN = Caller(Identity(Role.PLANNER, "ada"), PlannerRole.ADMIN)
MODULE = Caller(Identity(Role.MODULE, "laser-a"))
ACTIONS = ("SubmitOrder", "CancelOrder", "DrainModule", "WhatIf")


@pytest.mark.parametrize(
    ("module", "service"), [(orchestrator_pb2, "Orchestrator"), (twin_pb2, "DigitalTwin")]
)
def test_every_planner_call_is_given_a_role_on_purpose(module, service):
    methods = set(module.DESCRIPTOR.services_by_name[service].methods_by_name)
    # A new call must be listed: unlisted, it would need an admin.
    assert set(METHOD_ROLES[f"pnp.v1.{service}"]) == methods


def test_the_twin_signs_and_plans_for_planners_and_shows_to_viewers():
    assert call_refusal(VIEWER, DIGITAL_TWIN, "GetModuleShell") is None
    assert call_refusal(VIEWER, DIGITAL_TWIN, "ListModuleHealth") is None
    for method in ("ExportPassport", "ImportPassport", "ScheduleMaintenance"):
        assert "needs the planner role" in call_refusal(VIEWER, DIGITAL_TWIN, method)
        assert call_refusal(PLANNER, DIGITAL_TWIN, method) is None


@pytest.mark.parametrize("method", sorted(set(ORCHESTRATOR_ROLES) - set(ACTIONS)))
def test_a_viewer_may_read(method):
    assert call_refusal(VIEWER, ORCHESTRATOR, method) is None


@pytest.mark.parametrize("method", ACTIONS)
def test_a_viewer_may_not_act_and_is_told_the_role_needed(method):
    reason = call_refusal(VIEWER, ORCHESTRATOR, method)
    call = f"pnp.v1.Orchestrator/{method}"
    assert reason == f"planner vera (viewer) may not call {call}: it needs the planner role"


@pytest.mark.parametrize("method", sorted(ORCHESTRATOR_ROLES))
def test_planners_and_admins_may_make_every_planner_call(method):
    assert call_refusal(PLANNER, ORCHESTRATOR, method) is None
    assert call_refusal(ADMIN, ORCHESTRATOR, method) is None


def test_calls_nobody_listed_need_an_admin():
    assert "admin role" in call_refusal(PLANNER, ORCHESTRATOR, "PromoteReplica")
    assert "admin role" in call_refusal(PLANNER, "pnp.v1.Cluster", "Join")
    assert call_refusal(ADMIN, "pnp.v1.Cluster", "Join") is None


def test_modules_and_planners_keep_to_their_own_services():
    assert "planner certificate" in call_refusal(MODULE, ORCHESTRATOR, "ListModules")
    assert "modules only" in call_refusal(PLANNER, MODULE_REGISTRY, "RegisterModule")
    assert call_refusal(MODULE, MODULE_REGISTRY, "RegisterModule") is None
    assert call_refusal(VIEWER, "grpc.health.v1.Health", "Check") is None


def test_a_certificate_naming_an_unknown_role_or_two_may_do_nothing():
    assert planner_role_from_uris(["urn:pnp:planner:x", "urn:pnp:role:root"]) is None
    assert planner_role_from_uris(["urn:pnp:role:viewer", "urn:pnp:role:admin"]) is None
    confused = Caller(Identity(Role.PLANNER, "x"), None)
    assert "needs the viewer role" in call_refusal(confused, ORCHESTRATOR, "ListOrders")


def test_the_console_asks_the_same_roles_of_its_pages_and_actions():
    assert console_refusal(VIEWER, "GET", "/api/status") is None
    assert console_refusal(VIEWER, "GET", "/") is None
    drain = console_refusal(VIEWER, "POST", "/api/modules/laser-a1/drain")
    assert drain == "planner vera (viewer) may not drain modules: it needs the planner role"
    assert "needs the planner role" in console_refusal(VIEWER, "POST", "/api/what-if")
    assert console_refusal(PLANNER, "POST", "/api/modules/laser-a1/drain") is None
    assert "no certificate" in console_refusal(None, "GET", "/api/status")
    assert "planner certificate" in console_refusal(MODULE, "GET", "/api/status")
    assert console_refusal(MODULE, "GET", "/healthz") is None


def roles_in(certificate_path) -> PlannerRole | None:
    certificate = x509.load_pem_x509_certificate(certificate_path.read_bytes())
    return planner_role_from_uris(certificate_uris(certificate))


@pytest.mark.parametrize("role", list(PlannerRole))
def test_a_planner_certificate_carries_the_role_it_was_issued(tmp_path, role):
    pki.init_ca(tmp_path)
    files = pki.issue(tmp_path, Identity(Role.PLANNER, "vera"), role=role)
    assert roles_in(files.certificate) is role


def test_a_planner_certificate_issued_without_a_role_is_a_planner(tmp_path):
    pki.init_ca(tmp_path)
    files = pki.issue(tmp_path, Identity(Role.PLANNER, "anna"))
    assert roles_in(files.certificate) is PlannerRole.PLANNER
    # Certificates from before roles carry no role URI at all, and keep their powers.
    assert planner_role_from_uris(["urn:pnp:planner:anna"]) is PlannerRole.PLANNER


def test_only_planner_certificates_carry_a_role(tmp_path):
    pki.init_ca(tmp_path)
    with pytest.raises(BadInput, match="are for planner certificates"):
        pki.issue(tmp_path, Identity(Role.MODULE, "laser-a"), role=PlannerRole.ADMIN)
