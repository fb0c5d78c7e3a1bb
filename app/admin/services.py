"""Admin use cases: users, groups, organizations. They flush, never commit; the view commits once.

Every rule is checked before the first change, so a refused request leaves nothing half-written.
"""

import re
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from app.auth import services as auth_services
from app.core.errors import DomainError, NotFound
from app.extensions import db
from app.mail import queue_mail
from app.models import ROLES, Group, Organization, OrganizationDomain, User
from app.models.organization import STAGES
from app.support import rules as support_rules

GROUP_MEMBER_ROLES = ("agent", "admin")
OWNER_ROLES = ("csm", "admin")
SEGMENT_TAGS_MAX = 20
_DOMAIN = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")


def get_or_404(model, row_id):
    row = db.session.get(model, row_id)
    if row is None:
        raise NotFound(_("Not found."))
    return row


# --- users -----------------------------------------------------------------------------------

def users_query(q=None, role=None):
    query = select(User)
    if q:
        pattern = f"%{q.strip().lower()}%"
        query = query.where(or_(func.lower(User.email).like(pattern), func.lower(User.name).like(pattern)))
    if role:
        query = query.where(User.role == role)
    return query.order_by(User.email)


def send_password_link(user):
    """E-mail a one-time link to set the password (used for new accounts and on request)."""
    if not user.active:
        raise DomainError(_("%(email)s is deactivated; reactivate the account first.", email=user.email))
    return queue_mail(user.email, "password_reset", kind="set_password", locale=user.locale,
                      user=user, url=auth_services.password_link(user))


def create_user(actor, *, email, role, name="", organization=None, password=None, now=None):
    """A new account; without a password the person gets a set-password link by e-mail."""
    user = auth_services.create_user(email, role, password=password or None, name=name,
                                     organization=organization, now=now)
    if not password:
        send_password_link(user)
    return user


def _ensure_another_admin(user):
    """Refuse when `user` is the last active admin (rows locked on PostgreSQL against a race)."""
    others = db.session.scalars(
        select(User.id).where(User.role == "admin", User.active.is_(True), User.id != user.id).with_for_update()
    ).all()
    if not others:
        raise DomainError(_("%(email)s is the last active admin; make someone else an admin first.",
                            email=user.email))


def change_role(actor, user, role):
    if role not in ROLES:
        raise DomainError(_("Unknown role %(role)r.", role=role), field="role")
    if role == user.role:
        return False
    if actor is not None and actor.id == user.id:
        raise DomainError(_("You cannot change your own role; ask another admin."), field="role")
    if user.role == "admin" and user.active:
        _ensure_another_admin(user)
    if role not in GROUP_MEMBER_ROLES:
        # Groups hold the people who work tickets; a former agent leaves them.
        for group in db.session.scalars(select(Group).where(Group.members.contains(user))):
            group.members.remove(user)
    user.role = role
    db.session.flush()
    return True


def deactivate_user(actor, user):
    if not user.active:
        return False
    if actor is not None and actor.id == user.id:
        raise DomainError(_("You cannot deactivate yourself."))
    if user.role == "admin":
        _ensure_another_admin(user)
    user.active = False
    # A new auth version ends every session and spends every password link at once.
    user.auth_version += 1
    db.session.flush()
    return True


def reactivate_user(actor, user):
    if user.active:
        return False
    user.active = True
    db.session.flush()
    return True


# --- groups ----------------------------------------------------------------------------------

def _unique_group_name(name, exclude_id=None):
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Enter a name."), field="name")
    query = select(Group.id).where(func.lower(Group.name) == name.lower())
    if exclude_id is not None:
        query = query.where(Group.id != exclude_id)
    if db.session.scalar(query) is not None:
        raise DomainError(_("A group called %(name)s already exists.", name=name), field="name")
    return name


def create_group(actor, name, description=""):
    group = Group(name=_unique_group_name(name), description=(description or "").strip())
    db.session.add(group)
    db.session.flush()
    return group


def update_group(actor, group, name, description=""):
    group.name = _unique_group_name(name, exclude_id=group.id)
    group.description = (description or "").strip()
    db.session.flush()
    return group


def eligible_members(group):
    member_ids = [m.id for m in group.members]
    query = select(User).where(User.role.in_(GROUP_MEMBER_ROLES), User.active.is_(True))
    if member_ids:
        query = query.where(User.id.not_in(member_ids))
    return db.session.scalars(query.order_by(User.email)).all()


def add_group_member(actor, group, user):
    if user.role not in GROUP_MEMBER_ROLES:
        raise DomainError(_("%(email)s is not an agent.", email=user.email), field="user_id")
    if not user.active:
        raise DomainError(_("%(email)s is deactivated.", email=user.email), field="user_id")
    if user in group.members:
        return False
    group.members.append(user)
    db.session.flush()
    return True


def remove_group_member(actor, group, user):
    if user not in group.members:
        return False
    group.members.remove(user)
    db.session.flush()
    return True


# --- organizations ---------------------------------------------------------------------------

def organizations_query(q=None):
    query = select(Organization)
    if q:
        query = query.where(func.lower(Organization.name).like(f"%{q.strip().lower()}%"))
    return query.order_by(Organization.name)


def parse_domains(raw):
    """'acme.example, @Acme.co.uk' → ['acme.co.uk', 'acme.example']."""
    domains = []
    for part in re.split(r"[\s,;]+", raw or ""):
        domain = part.strip().lstrip("@").lower().rstrip(".")
        if not domain:
            continue
        if not _DOMAIN.match(domain):
            raise DomainError(_("%(domain)r is not an e-mail domain such as example.com.", domain=part),
                              field="domains")
        if domain not in domains:
            domains.append(domain)
    return sorted(domains)


def parse_segment_tags(raw):
    tags = []
    for part in (raw or "").split(","):
        tag = support_rules.normalize_tag(part)
        if not tag:
            continue
        if len(tag) > support_rules.TAG_MAX:
            raise DomainError(_("The tag %(tag)r is too long (at most %(n)d characters).",
                                tag=part.strip(), n=support_rules.TAG_MAX), field="segment_tags")
        if tag not in tags:
            tags.append(tag)
    if len(tags) > SEGMENT_TAGS_MAX:
        raise DomainError(_("At most %(n)d segment tags.", n=SEGMENT_TAGS_MAX), field="segment_tags")
    return tags


def owner_choices():
    return db.session.scalars(
        select(User).where(User.role.in_(OWNER_ROLES), User.active.is_(True)).order_by(User.email)
    ).all()


def save_organization(actor, organization, *, name, domains="", plan="", mrr=0, stage="onboarding",
                      renewal_date=None, owner=None, segment_tags="", shared_tickets=False):
    """Create (`organization` None) or update an organization with all its fields at once."""
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Enter a name."), field="name")
    clash = select(Organization.id).where(func.lower(Organization.name) == name.lower())
    if organization is not None:
        clash = clash.where(Organization.id != organization.id)
    if db.session.scalar(clash) is not None:
        raise DomainError(_("An organization called %(name)s already exists.", name=name), field="name")
    domain_names = parse_domains(domains)
    if domain_names:
        taken = select(OrganizationDomain.domain).where(OrganizationDomain.domain.in_(domain_names))
        if organization is not None:
            taken = taken.where(OrganizationDomain.organization_id != organization.id)
        taken = db.session.scalars(taken).all()
        if taken:
            raise DomainError(_("The domain %(domain)s already belongs to another organization.",
                                domain=taken[0]), field="domains")
    mrr = Decimal(mrr or 0)
    if mrr < 0:
        raise DomainError(_("The MRR cannot be negative."), field="mrr")
    if stage not in STAGES:
        raise DomainError(_("Unknown lifecycle stage %(stage)r.", stage=stage), field="stage")
    if owner is not None and (owner.role not in OWNER_ROLES or not owner.active):
        raise DomainError(_("%(email)s cannot own accounts (customer success managers and admins can).",
                            email=owner.email), field="owner_id")
    tags = parse_segment_tags(segment_tags)

    if organization is None:
        organization = Organization(name=name)
        db.session.add(organization)
    organization.name = name
    organization.plan = (plan or "").strip() or None
    organization.mrr = mrr
    organization.stage = stage
    organization.renewal_date = renewal_date
    organization.owner = owner
    organization.segment_tags = tags
    organization.shared_tickets = bool(shared_tickets)
    _replace_domains(organization, domain_names)
    db.session.flush()
    return organization


def _replace_domains(organization, domain_names):
    current = {d.domain: d for d in organization.domains}
    for domain, row in current.items():
        if domain not in domain_names:
            organization.domains.remove(row)
    if len(current) != len(organization.domains):
        # Deletes go out before inserts, so a domain moved between spellings never clashes.
        db.session.flush()
    for domain in domain_names:
        if domain not in current:
            organization.domains.append(OrganizationDomain(domain=domain))
