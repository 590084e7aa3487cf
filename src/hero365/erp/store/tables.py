"""Tables, and the imperative mapping of the pure domain classes onto them (the domain imports no SQL)."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import registry, relationship

from ..domain.billing import (
    Estimate,
    EstimateLine,
    EstimateStatus,
    Invoice,
    InvoiceLine,
    InvoiceReminder,
    InvoiceStatus,
    Payment,
    PaymentPromise,
)
from ..domain.contacts import Contact, ContactKind, ContactPhone, Interaction, InteractionKind, LeadStatus
from ..domain.inventory import Product, ProductKind, PurchaseOrder, PurchaseOrderStatus
from ..domain.jobs import Job, JobNote, JobStatus, JobStatusChange
from ..domain.messages import (
    ActivityEntry,
    Channel,
    Counter,
    IdempotencyRecord,
    MessageStatus,
    OutboxMessage,
)
from ..domain.projects import Milestone, Project, ProjectStatus
from ..domain.scheduling import WorkingHours
from ..domain.tasks import Task, TaskKind
from ..domain.tenancy import Business, Membership, Role, User


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Stores UTC, returns aware UTC: SQLite keeps no zone, and naive datetimes are a bug magnet."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; every time must carry a zone")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


def _enum(cls: type[enum.Enum]) -> sa.Enum:
    return sa.Enum(cls, native_enum=False, values_callable=lambda e: [m.value for m in e], length=24,
                   validate_strings=True)


metadata = sa.MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s", "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s", "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})
mapper_registry = registry(metadata=metadata)

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _pk() -> sa.Column[Any]:
    return sa.Column("id", Id, primary_key=True, autoincrement=True)


def _biz() -> sa.Column[Any]:
    return sa.Column("business_id", Id, sa.ForeignKey("businesses.id", ondelete="CASCADE"), nullable=False,
                     index=True)


def _address() -> list[sa.Column[Any]]:
    return [sa.Column(n, sa.String(200)) for n in ("street", "city", "state", "postal_code")]


businesses = sa.Table(
    "businesses", metadata, _pk(),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("phone", sa.String(20)), sa.Column("email", sa.String(200)), *_address(),
    sa.Column("tax_rate_bp", sa.Integer, nullable=False, default=0),
    sa.Column("payment_terms_days", sa.Integer, nullable=False, default=30),
    sa.Column("created_at", UTCDateTime),
)
users = sa.Table(
    "users", metadata, _pk(),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("email", sa.String(200), nullable=False, unique=True),
    sa.Column("phone", sa.String(20)), sa.Column("created_at", UTCDateTime),
)
memberships = sa.Table(
    "memberships", metadata, _pk(), _biz(),
    sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("role", _enum(Role), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.UniqueConstraint("business_id", "user_id"),
)
counters = sa.Table(
    "counters", metadata,
    sa.Column("business_id", Id, sa.ForeignKey("businesses.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("kind", sa.String(32), primary_key=True),
    sa.Column("value", sa.Integer, nullable=False),
)
contacts = sa.Table(
    "contacts", metadata, _pk(), _biz(),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", _enum(ContactKind), nullable=False),
    sa.Column("company", sa.String(200)), sa.Column("email", sa.String(200)), *_address(),
    sa.Column("timezone", sa.String(64)),
    sa.Column("lead_status", _enum(LeadStatus)), sa.Column("lead_source", sa.String(100)),
    sa.Column("marketing_consent", sa.Boolean, nullable=False, default=False),
    sa.Column("consent_at", UTCDateTime), sa.Column("consent_source", sa.String(200)),
    sa.Column("do_not_call", sa.Boolean, nullable=False, default=False),
    sa.Column("dnc_at", UTCDateTime), sa.Column("dnc_source", sa.String(200)),
    sa.Column("created_at", UTCDateTime),
    sa.Index("ix_contacts_business_name", "business_id", "name"),
)
contact_phones = sa.Table(
    "contact_phones", metadata, _pk(), _biz(),
    sa.Column("contact_id", Id, sa.ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("number", sa.String(20), nullable=False),
    sa.Column("label", sa.String(20), nullable=False),
    sa.Index("ix_contact_phones_business_number", "business_id", "number"),
)
interactions = sa.Table(
    "interactions", metadata, _pk(), _biz(),
    sa.Column("contact_id", Id, sa.ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("kind", _enum(InteractionKind), nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="SET NULL")),
    sa.Column("channel", sa.String(20)), sa.Column("rating", sa.Integer),
    sa.Column("job_id", Id, sa.ForeignKey("jobs.id", ondelete="SET NULL")),
    sa.Column("invoice_id", Id, sa.ForeignKey("invoices.id", ondelete="SET NULL")),
)
jobs = sa.Table(
    "jobs", metadata, _pk(), _biz(),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("title", sa.String(200), nullable=False), sa.Column("description", sa.Text),
    sa.Column("contact_id", Id, sa.ForeignKey("contacts.id"), nullable=False, index=True),
    sa.Column("scheduled_start", UTCDateTime),
    sa.Column("duration_minutes", sa.Integer, nullable=False),
    sa.Column("technician_id", Id, sa.ForeignKey("users.id", ondelete="SET NULL")),
    sa.Column("status", _enum(JobStatus), nullable=False), *_address(),
    sa.Column("project_id", Id, sa.ForeignKey("projects.id", ondelete="SET NULL")),
    sa.Column("confirmed_at", UTCDateTime), sa.Column("created_at", UTCDateTime), sa.Column("updated_at", UTCDateTime),
    sa.UniqueConstraint("business_id", "number"),
    sa.Index("ix_jobs_business_start", "business_id", "scheduled_start"),
    sa.Index("ix_jobs_tech_start", "technician_id", "scheduled_start"),
    #: a customer's jobs, newest first ("the Johnson job"); without it SQLite walks the whole business
    sa.Index("ix_jobs_business_contact_start", "business_id", "contact_id", "scheduled_start"),
)
job_status_changes = sa.Table(
    "job_status_changes", metadata, _pk(), _biz(),
    sa.Column("job_id", Id, sa.ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("from_status", _enum(JobStatus)), sa.Column("to_status", _enum(JobStatus), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="SET NULL")), sa.Column("reason", sa.String(500)),
)
job_notes = sa.Table(
    "job_notes", metadata, _pk(), _biz(),
    sa.Column("job_id", Id, sa.ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("text", sa.Text, nullable=False), sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="SET NULL")),
)
projects = sa.Table(
    "projects", metadata, _pk(), _biz(),
    sa.Column("number", sa.Integer, nullable=False), sa.Column("name", sa.String(200), nullable=False),
    sa.Column("contact_id", Id, sa.ForeignKey("contacts.id"), nullable=False, index=True),
    sa.Column("status", _enum(ProjectStatus), nullable=False),
    sa.Column("percent_complete", sa.Integer, nullable=False),
    sa.Column("budget_cents", sa.BigInteger, nullable=False), sa.Column("spent_cents", sa.BigInteger, nullable=False),
    sa.Column("start_date", sa.Date), sa.Column("target_date", sa.Date),
    sa.Column("created_at", UTCDateTime), sa.Column("updated_at", UTCDateTime),
    sa.UniqueConstraint("business_id", "number"),
    sa.CheckConstraint("percent_complete BETWEEN 0 AND 100", name="percent"),
)
milestones = sa.Table(
    "milestones", metadata, _pk(), _biz(),
    sa.Column("project_id", Id, sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("title", sa.String(200), nullable=False), sa.Column("due_date", sa.Date),
    sa.Column("completed_at", UTCDateTime),
)


def _lines(name: str, parent: str) -> sa.Table:
    return sa.Table(
        name, metadata, _pk(), _biz(),
        sa.Column(f"{parent}_id", Id, sa.ForeignKey(f"{parent}s.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("description", sa.String(300), nullable=False),
        sa.Column("quantity", sa.Numeric(12, 3, asdecimal=True), nullable=False),
        sa.Column("unit_price_cents", sa.BigInteger, nullable=False),
        sa.Column("product_id", Id, sa.ForeignKey("products.id", ondelete="SET NULL")),
    )


estimates = sa.Table(
    "estimates", metadata, _pk(), _biz(),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("contact_id", Id, sa.ForeignKey("contacts.id"), nullable=False, index=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("tax_rate_bp", sa.Integer, nullable=False), sa.Column("status", _enum(EstimateStatus), nullable=False),
    sa.Column("job_id", Id, sa.ForeignKey("jobs.id", ondelete="SET NULL")),
    sa.Column("valid_until", sa.Date), sa.Column("sent_at", UTCDateTime), sa.Column("decided_at", UTCDateTime),
    sa.Column("invoice_id", Id, sa.ForeignKey("invoices.id", ondelete="SET NULL", use_alter=True), unique=True),
    sa.Column("created_at", UTCDateTime),
    sa.UniqueConstraint("business_id", "number"),
    sa.Index("ix_estimates_business_contact_number", "business_id", "contact_id", "number"),
)
estimate_lines = _lines("estimate_lines", "estimate")
invoices = sa.Table(
    "invoices", metadata, _pk(), _biz(),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("contact_id", Id, sa.ForeignKey("contacts.id"), nullable=False, index=True),
    sa.Column("title", sa.String(200), nullable=False), sa.Column("due_date", sa.Date, nullable=False),
    sa.Column("tax_rate_bp", sa.Integer, nullable=False), sa.Column("status", _enum(InvoiceStatus), nullable=False),
    sa.Column("job_id", Id, sa.ForeignKey("jobs.id", ondelete="SET NULL"), index=True),
    sa.Column("estimate_id", Id, sa.ForeignKey("estimates.id", ondelete="SET NULL"), unique=True),
    sa.Column("issued_at", UTCDateTime), sa.Column("sent_at", UTCDateTime), sa.Column("created_at", UTCDateTime),
    sa.UniqueConstraint("business_id", "number"),
    sa.Index("ix_invoices_business_status_due", "business_id", "status", "due_date"),
    #: a customer's invoices and a job's invoices (both lookups otherwise walk the business's invoices)
    sa.Index("ix_invoices_business_contact_number", "business_id", "contact_id", "number"),
    sa.Index("ix_invoices_business_job_number", "business_id", "job_id", "number"),
)
invoice_lines = _lines("invoice_lines", "invoice")
payments = sa.Table(
    "payments", metadata, _pk(), _biz(),
    sa.Column("invoice_id", Id, sa.ForeignKey("invoices.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("amount_cents", sa.BigInteger, nullable=False), sa.Column("received_at", UTCDateTime, nullable=False),
    sa.Column("method", sa.String(30), nullable=False), sa.Column("reference", sa.String(100)),
    sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="SET NULL")),
    sa.CheckConstraint("amount_cents > 0", name="positive"),
)
invoice_reminders = sa.Table(
    "invoice_reminders", metadata, _pk(), _biz(),
    sa.Column("invoice_id", Id, sa.ForeignKey("invoices.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("sent_at", UTCDateTime, nullable=False), sa.Column("channel", sa.String(20), nullable=False),
)
payment_promises = sa.Table(
    "payment_promises", metadata, _pk(), _biz(),
    sa.Column("invoice_id", Id, sa.ForeignKey("invoices.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("promised_date", sa.Date, nullable=False), sa.Column("amount_cents", sa.BigInteger),
    sa.Column("created_at", UTCDateTime, nullable=False),
)
products = sa.Table(
    "products", metadata, _pk(), _biz(),
    sa.Column("sku", sa.String(64), nullable=False), sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", _enum(ProductKind), nullable=False), sa.Column("unit", sa.String(20), nullable=False),
    sa.Column("unit_price_cents", sa.BigInteger, nullable=False),
    sa.Column("unit_cost_cents", sa.BigInteger, nullable=False),
    sa.Column("stock_on_hand", sa.Integer, nullable=False), sa.Column("reorder_point", sa.Integer, nullable=False),
    sa.Column("reorder_quantity", sa.Integer, nullable=False), sa.Column("supplier", sa.String(200)),
    sa.UniqueConstraint("business_id", "sku"),
    sa.CheckConstraint("stock_on_hand >= 0", name="stock"),
)
purchase_orders = sa.Table(
    "purchase_orders", metadata, _pk(), _biz(),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("product_id", Id, sa.ForeignKey("products.id"), nullable=False, index=True),
    sa.Column("quantity", sa.Integer, nullable=False), sa.Column("unit_cost_cents", sa.BigInteger, nullable=False),
    sa.Column("supplier", sa.String(200)), sa.Column("status", _enum(PurchaseOrderStatus), nullable=False),
    sa.Column("created_at", UTCDateTime), sa.Column("received_at", UTCDateTime),
    sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="SET NULL")),
    sa.UniqueConstraint("business_id", "number"),
    #: a product's open orders (every stock check)
    sa.Index("ix_purchase_orders_business_product_status", "business_id", "product_id", "status"),
)
working_hours = sa.Table(
    "working_hours", metadata, _pk(), _biz(),
    sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("weekday", sa.SmallInteger, nullable=False),
    sa.Column("start", sa.Time, nullable=False), sa.Column("end", sa.Time, nullable=False),
)
tasks = sa.Table(
    "tasks", metadata, _pk(), _biz(),
    sa.Column("kind", _enum(TaskKind), nullable=False), sa.Column("title", sa.String(500), nullable=False),
    sa.Column("due_at", UTCDateTime, nullable=False),
    sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="SET NULL"), index=True),
    sa.Column("contact_id", Id, sa.ForeignKey("contacts.id", ondelete="CASCADE"), index=True),
    sa.Column("job_id", Id, sa.ForeignKey("jobs.id", ondelete="SET NULL")),
    sa.Column("done_at", UTCDateTime), sa.Column("created_at", UTCDateTime),
)
outbox = sa.Table(
    "outbox", metadata, _pk(), _biz(),
    sa.Column("channel", _enum(Channel), nullable=False), sa.Column("to", sa.String(200), nullable=False),
    sa.Column("subject", sa.String(300)), sa.Column("body", sa.Text, nullable=False),
    sa.Column("status", _enum(MessageStatus), nullable=False, index=True),
    sa.Column("contact_id", Id, sa.ForeignKey("contacts.id", ondelete="SET NULL")),
    sa.Column("related", sa.String(100)), sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("error", sa.Text), sa.Column("created_at", UTCDateTime), sa.Column("sent_at", UTCDateTime),
    sa.Column("lease_until", UTCDateTime),
)
activity_log = sa.Table(
    "activity_log", metadata, _pk(), _biz(),
    sa.Column("at", UTCDateTime, nullable=False), sa.Column("action", sa.String(64), nullable=False),
    sa.Column("entity", sa.String(32), nullable=False), sa.Column("entity_id", Id),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="SET NULL")),
)
idempotency_keys = sa.Table(
    "idempotency_keys", metadata, _pk(), _biz(),
    sa.Column("key", sa.String(200), nullable=False), sa.Column("operation", sa.String(64), nullable=False),
    sa.Column("result", sa.Text, nullable=False), sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("business_id", "key"),
)


def _children(cls: type, order: Any) -> Any:
    return relationship(cls, lazy="selectin", cascade="all, delete-orphan", order_by=order)


_mapped = False


def map_domain() -> None:
    """Map the domain classes once; imperative mapping keeps the domain free of SQLAlchemy."""
    global _mapped
    if _mapped:
        return
    _mapped = True
    m = mapper_registry.map_imperatively
    m(Business, businesses)
    m(User, users)
    m(Membership, memberships, properties={
        "business": relationship(Business, lazy="joined", viewonly=True),
        "user": relationship(User, lazy="joined", viewonly=True),
    })
    m(Counter, counters)
    m(ContactPhone, contact_phones)
    m(Contact, contacts, properties={"phones": _children(ContactPhone, contact_phones.c.id)})
    m(Interaction, interactions)
    m(JobStatusChange, job_status_changes)
    m(JobNote, job_notes)
    m(Job, jobs, properties={
        "history": _children(JobStatusChange, job_status_changes.c.id),
        "notes": _children(JobNote, job_notes.c.id),
    })
    m(Milestone, milestones)
    m(Project, projects, properties={"milestones": _children(Milestone, milestones.c.id)})
    m(EstimateLine, estimate_lines)
    m(Estimate, estimates, properties={"lines": _children(EstimateLine, estimate_lines.c.id)})
    m(InvoiceLine, invoice_lines)
    m(Payment, payments)
    m(InvoiceReminder, invoice_reminders)
    m(PaymentPromise, payment_promises)
    m(Invoice, invoices, properties={
        "lines": _children(InvoiceLine, invoice_lines.c.id),
        "payments": _children(Payment, payments.c.id),
        "reminders": _children(InvoiceReminder, invoice_reminders.c.id),
        "promises": _children(PaymentPromise, payment_promises.c.id),
    })
    m(Product, products)
    m(PurchaseOrder, purchase_orders)
    m(WorkingHours, working_hours)
    m(Task, tasks)
    m(OutboxMessage, outbox)
    m(ActivityEntry, activity_log)
    m(IdempotencyRecord, idempotency_keys)
