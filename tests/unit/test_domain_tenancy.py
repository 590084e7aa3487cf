"""Who may do what: owner, office, technician, and the calling agent bound to one contact."""

import pytest

from hero365.erp.domain.errors import PermissionDenied
from hero365.erp.domain.tenancy import ROLE_PERMISSIONS, Actor, Permission, Role


def actor(role: Role) -> Actor:
    return Actor(user_id=1, business_id=1, role=role)


def test_the_owner_may_do_everything_a_member_can() -> None:
    owner = actor(Role.OWNER)
    assert all(owner.can(p) for p in Permission if p != Permission.CUSTOMER_SELF_SERVICE)
    assert owner.sees_all_jobs


def test_the_office_runs_the_business_but_does_not_manage_the_team() -> None:
    office = actor(Role.OFFICE)
    assert office.can(Permission.INVOICES_MANAGE) and office.can(Permission.JOBS_MANAGE_ALL)
    assert not office.can(Permission.MEMBERS_MANAGE)


def test_a_technician_works_their_own_jobs_and_may_not_manage_the_books() -> None:
    tech = actor(Role.TECHNICIAN)
    assert tech.can(Permission.JOBS_MANAGE_OWN) and tech.can(Permission.PAYMENTS_RECORD)
    assert tech.can(Permission.ESTIMATES_MANAGE) and tech.can(Permission.INVENTORY_REORDER)
    for p in (Permission.JOBS_VIEW_ALL, Permission.JOBS_MANAGE_ALL, Permission.INVOICES_MANAGE,
              Permission.CONTACTS_MANAGE, Permission.MEMBERS_MANAGE, Permission.PROJECTS_MANAGE):
        assert not tech.can(p), p
    assert not tech.sees_all_jobs


def test_the_calling_agent_has_only_customer_self_service() -> None:
    assert ROLE_PERMISSIONS[Role.CALL_AGENT] == frozenset({Permission.CUSTOMER_SELF_SERVICE})
    agent = Actor(user_id=None, business_id=1, role=Role.CALL_AGENT, contact_id=9)
    assert not agent.sees_all_jobs
    with pytest.raises(PermissionDenied, match=r"^Your role \(call_agent\) can't record payments\.$"):
        agent.require(Permission.PAYMENTS_RECORD, "record payments")


def test_no_member_role_has_customer_self_service() -> None:
    for role in (Role.OWNER, Role.OFFICE, Role.TECHNICIAN):
        assert not actor(role).can(Permission.CUSTOMER_SELF_SERVICE)


def test_a_refusal_names_the_role_and_the_permission() -> None:
    with pytest.raises(PermissionDenied) as err:
        actor(Role.TECHNICIAN).require(Permission.MEMBERS_MANAGE, "add team members")
    assert err.value.message == "Your role (technician) can't add team members."
    assert err.value.details == {"permission": "members.manage"}
