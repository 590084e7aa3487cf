"""Businesses (tenants), their members, and what each role may do."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from .errors import PermissionDenied


class Role(enum.StrEnum):
    OWNER = "owner"
    OFFICE = "office"
    TECHNICIAN = "technician"
    #: The business's automated calling agent, acting for one contact on a call.
    CALL_AGENT = "call_agent"


class Permission(enum.StrEnum):
    JOBS_VIEW_ALL = "jobs.view_all"
    JOBS_MANAGE_ALL = "jobs.manage_all"
    JOBS_MANAGE_OWN = "jobs.manage_own"
    JOBS_CREATE = "jobs.create"
    PROJECTS_VIEW = "projects.view"
    PROJECTS_MANAGE = "projects.manage"
    ESTIMATES_MANAGE = "estimates.manage"
    INVOICES_VIEW = "invoices.view"
    INVOICES_MANAGE = "invoices.manage"
    PAYMENTS_RECORD = "payments.record"
    CONTACTS_VIEW = "contacts.view"
    CONTACTS_MANAGE = "contacts.manage"
    CONTACTS_NOTE = "contacts.note"
    INVENTORY_VIEW = "inventory.view"
    INVENTORY_REORDER = "inventory.reorder"
    TASKS_OWN = "tasks.own"
    MESSAGES_SEND = "messages.send"
    MEMBERS_MANAGE = "members.manage"
    CALLS_PLACE = "calls.place"
    #: Only the customer-side actions a calling agent may take for the contact on the line.
    CUSTOMER_SELF_SERVICE = "customer.self_service"


_TECHNICIAN = frozenset({
    Permission.JOBS_MANAGE_OWN, Permission.PROJECTS_VIEW, Permission.ESTIMATES_MANAGE,
    Permission.INVOICES_VIEW, Permission.PAYMENTS_RECORD, Permission.CONTACTS_VIEW,
    Permission.CONTACTS_NOTE, Permission.INVENTORY_VIEW, Permission.INVENTORY_REORDER,
    Permission.TASKS_OWN, Permission.MESSAGES_SEND,
})
_OFFICE = frozenset(set(Permission) - {Permission.MEMBERS_MANAGE, Permission.CUSTOMER_SELF_SERVICE})
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(set(Permission) - {Permission.CUSTOMER_SELF_SERVICE}),
    Role.OFFICE: _OFFICE,
    Role.TECHNICIAN: _TECHNICIAN,
    Role.CALL_AGENT: frozenset({Permission.CUSTOMER_SELF_SERVICE}),
}


class TenantOwned:
    """Marker for every record that belongs to one business; the store scopes all queries by it."""

    business_id: int | None


@dataclass(frozen=True)
class Actor:
    """Who is acting, for which business, with which role. Every service call takes one."""

    user_id: int | None
    business_id: int
    role: Role
    name: str = ""
    #: For a calling agent: the one contact it may act for.
    contact_id: int | None = None

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    def require(self, permission: Permission, doing: str) -> None:
        if not self.can(permission):
            raise PermissionDenied(f"Your role ({self.role.value}) can't {doing}.", permission=permission.value)

    @property
    def sees_all_jobs(self) -> bool:
        return self.can(Permission.JOBS_VIEW_ALL)


@dataclass(eq=False)
class Business:
    name: str
    timezone: str = "America/Chicago"
    phone: str | None = None
    email: str | None = None
    street: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    #: Sales tax in basis points (825 = 8.25%).
    tax_rate_bp: int = 0
    #: Days until an invoice is due.
    payment_terms_days: int = 30
    created_at: datetime | None = None
    id: int | None = None


@dataclass(eq=False)
class User:
    name: str
    email: str
    phone: str | None = None
    created_at: datetime | None = None
    id: int | None = None


@dataclass(eq=False)
class Membership(TenantOwned):
    business_id: int
    user_id: int
    role: Role
    active: bool = True
    id: int | None = None
    business: Business | None = field(default=None, repr=False)
    user: User | None = field(default=None, repr=False)
