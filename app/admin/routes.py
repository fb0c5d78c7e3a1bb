"""Admin pages: users, groups, organizations. Thin views: parse a form, call one service, commit once."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from app.admin import bp
from app.admin import services
from app.admin.forms import (
    CreateUserForm, GroupForm, GroupMemberForm, OrganizationForm, RoleForm, UserFilterForm,
)
from app.core.errors import DomainError
from app.core.permissions import require
from app.extensions import db
from app.models import Group, Organization, User

PER_PAGE = 25


def _page():
    return min(max(1, request.args.get("page", 1, type=int) or 1), 100_000)


def _refused(exc, template, **context):
    """A DomainError: nothing is kept; the form comes back with the message."""
    db.session.rollback()
    form = context.get("form")
    field = getattr(form, exc.field, None) if form is not None and exc.field else None
    if field is not None:
        field.errors = list(field.errors) + [exc.message]
    else:
        context["error"] = exc.message
    return render_template(template, **context), exc.status


@bp.get("/")
@require("admin")
def home():
    counts = {
        "users": db.session.scalar(db.select(db.func.count(User.id))),
        "groups": db.session.scalar(db.select(db.func.count(Group.id))),
        "organizations": db.session.scalar(db.select(db.func.count(Organization.id))),
    }
    return render_template("admin/home.html", counts=counts)


# --- users -----------------------------------------------------------------------------------

def _organization_choices():
    orgs = db.session.execute(db.select(Organization.id, Organization.name).order_by(Organization.name)).all()
    return [SelectChoice("", _("None"))] + [SelectChoice(str(o.id), o.name) for o in orgs]


@bp.get("/users/")
@require("admin")
def users():
    filters = UserFilterForm(request.args)
    q, role = (filters.q.data, filters.role.data) if filters.validate() else (None, None)
    page = db.paginate(services.users_query(q, role), page=_page(), per_page=PER_PAGE, error_out=False)
    return render_template("admin/users.html", filters=filters, page=page)


@bp.route("/users/new", methods=["GET", "POST"])
@require("admin")
def new_user():
    form = CreateUserForm()
    form.organization_id.choices = _organization_choices()
    if not form.validate_on_submit():
        return render_template("admin/user_new.html", form=form), (400 if request.method == "POST" else 200)
    organization = db.session.get(Organization, form.organization_id.data) if form.organization_id.data else None
    try:
        user = services.create_user(
            current_user, email=form.email.data, role=form.role.data, name=form.name.data,
            organization=organization, password=form.password.data or None,
        )
    except DomainError as exc:
        return _refused(exc, "admin/user_new.html", form=form)
    db.session.commit()
    if form.password.data:
        flash(_("%(email)s can sign in now.", email=user.email), "success")
    else:
        flash(_("%(email)s was created and sent a link to set a password.", email=user.email), "success")
    return redirect(url_for("admin.user", user_id=user.id))


def _user_page(user, status=200, **context):
    context.setdefault("role_form", RoleForm(role=user.role))
    return render_template("admin/user.html", user=user, **context), status


@bp.get("/users/<int:user_id>")
@require("admin")
def user(user_id):
    return _user_page(services.get_or_404(User, user_id))


def _user_action(user_id, action, done_message):
    user = services.get_or_404(User, user_id)
    try:
        changed = action(user)
    except DomainError as exc:
        db.session.rollback()
        return _user_page(db.session.get(User, user_id), exc.status, error=exc.message)
    db.session.commit()
    if changed:
        flash(done_message(user), "success")
    return redirect(url_for("admin.user", user_id=user.id))


@bp.post("/users/<int:user_id>/role")
@require("admin")
def change_role(user_id):
    form = RoleForm()
    if not form.validate_on_submit():
        user = services.get_or_404(User, user_id)
        return _user_page(user, 400, role_form=form)
    return _user_action(user_id, lambda u: services.change_role(current_user, u, form.role.data),
                        lambda u: _("%(email)s is now: %(role)s.", email=u.email, role=form.role.data))


@bp.post("/users/<int:user_id>/deactivate")
@require("admin")
def deactivate_user(user_id):
    return _user_action(user_id, lambda u: services.deactivate_user(current_user, u),
                        lambda u: _("%(email)s is deactivated and signed out everywhere.", email=u.email))


@bp.post("/users/<int:user_id>/reactivate")
@require("admin")
def reactivate_user(user_id):
    return _user_action(user_id, lambda u: services.reactivate_user(current_user, u),
                        lambda u: _("%(email)s can sign in again.", email=u.email))


@bp.post("/users/<int:user_id>/password-link")
@require("admin")
def send_password_link(user_id):
    return _user_action(user_id, lambda u: services.send_password_link(u) is not None,
                        lambda u: _("A link to set a password was sent to %(email)s.", email=u.email))


# --- groups ----------------------------------------------------------------------------------

@bp.route("/groups/", methods=["GET", "POST"])
@require("admin")
def groups():
    form = GroupForm()
    rows = db.session.scalars(db.select(Group).order_by(Group.name)).all()
    if request.method == "GET":
        return render_template("admin/groups.html", groups=rows, form=form)
    if not form.validate_on_submit():
        return render_template("admin/groups.html", groups=rows, form=form), 400
    try:
        group = services.create_group(current_user, form.name.data, form.description.data)
    except DomainError as exc:
        return _refused(exc, "admin/groups.html", groups=rows, form=form)
    db.session.commit()
    flash(_("Group %(name)s created.", name=group.name), "success")
    return redirect(url_for("admin.group", group_id=group.id))


def _group_page(group, status=200, **context):
    context.setdefault("form", GroupForm(obj=group) if request.method == "GET" else GroupForm(formdata=None, obj=group))
    member_form = context.setdefault("member_form", GroupMemberForm(formdata=None))
    member_form.user_id.choices = [SelectChoice("", _("Choose an agent"))] + [
        SelectChoice(str(u.id), f"{u.display_name} <{u.email}>") for u in services.eligible_members(group)
    ]
    return render_template("admin/group.html", group=group, **context), status


@bp.route("/groups/<int:group_id>", methods=["GET", "POST"])
@require("admin")
def group(group_id):
    group = services.get_or_404(Group, group_id)
    if request.method == "GET":
        return _group_page(group)
    form = GroupForm()
    if not form.validate_on_submit():
        return _group_page(group, 400, form=form)
    try:
        services.update_group(current_user, group, form.name.data, form.description.data)
    except DomainError as exc:
        db.session.rollback()
        form.name.errors = list(form.name.errors) + [exc.message]
        return _group_page(db.session.get(Group, group_id), exc.status, form=form)
    db.session.commit()
    flash(_("Group saved."), "success")
    return redirect(url_for("admin.group", group_id=group.id))


@bp.post("/groups/<int:group_id>/members")
@require("admin")
def add_group_member(group_id):
    group = services.get_or_404(Group, group_id)
    form = GroupMemberForm()
    # Any existing user id is accepted here; the service says why someone cannot join.
    form.user_id.choices = [SelectChoice(str(form.user_id.data))] if form.user_id.data else []
    member = db.session.get(User, form.user_id.data) if form.validate_on_submit() else None
    if member is None:
        form = GroupMemberForm(formdata=None)
        form.user_id.errors = [_("Choose an agent.")]
        return _group_page(group, 400, member_form=form)
    try:
        services.add_group_member(current_user, group, member)
    except DomainError as exc:
        db.session.rollback()
        form = GroupMemberForm(formdata=None)
        form.user_id.errors = [exc.message]
        return _group_page(db.session.get(Group, group_id), exc.status, member_form=form)
    db.session.commit()
    flash(_("%(email)s joined %(group)s.", email=member.email, group=group.name), "success")
    return redirect(url_for("admin.group", group_id=group.id))


@bp.post("/groups/<int:group_id>/members/<int:user_id>/remove")
@require("admin")
def remove_group_member(group_id, user_id):
    group = services.get_or_404(Group, group_id)
    member = services.get_or_404(User, user_id)
    if services.remove_group_member(current_user, group, member):
        db.session.commit()
        flash(_("%(email)s left %(group)s.", email=member.email, group=group.name), "success")
    return redirect(url_for("admin.group", group_id=group.id))


# --- organizations ---------------------------------------------------------------------------

@bp.get("/organizations/")
@require("admin")
def organizations():
    q = (request.args.get("q") or "").strip()[:200]
    page = db.paginate(services.organizations_query(q), page=_page(), per_page=PER_PAGE, error_out=False)
    return render_template("admin/organizations.html", page=page, q=q)


def _organization_form(organization=None):
    form = OrganizationForm(obj=organization if request.method == "GET" else None)
    if organization is not None and request.method == "GET":
        # These two are lists on the model and text in the form.
        form.domains.data = "\n".join(organization.domain_names)
        form.segment_tags.data = ", ".join(organization.segment_tags or [])
    form.owner_id.choices = [SelectChoice("", _("Nobody"))] + [
        SelectChoice(str(u.id), f"{u.display_name} <{u.email}>") for u in services.owner_choices()
    ]
    if organization is not None and organization.owner is not None and not any(
        choice.value == str(organization.owner_id) for choice in form.owner_id.choices
    ):
        # A former CSM still shown as the owner until someone picks another.
        form.owner_id.choices.append(SelectChoice(str(organization.owner_id), organization.owner.email))
    return form


def _save_organization(organization, form):
    owner = db.session.get(User, form.owner_id.data) if form.owner_id.data else None
    return services.save_organization(
        current_user, organization, name=form.name.data, domains=form.domains.data, plan=form.plan.data,
        mrr=form.mrr.data, stage=form.stage.data, renewal_date=form.renewal_date.data, owner=owner,
        segment_tags=form.segment_tags.data, shared_tickets=form.shared_tickets.data,
    )


@bp.route("/organizations/new", methods=["GET", "POST"])
@require("admin")
def new_organization():
    form = _organization_form()
    if not form.validate_on_submit():
        return render_template("admin/organization.html", form=form, organization=None), (
            400 if request.method == "POST" else 200)
    try:
        organization = _save_organization(None, form)
    except DomainError as exc:
        return _refused(exc, "admin/organization.html", form=form, organization=None)
    db.session.commit()
    flash(_("Organization %(name)s created.", name=organization.name), "success")
    return redirect(url_for("admin.organization", organization_id=organization.id))


@bp.route("/organizations/<int:organization_id>", methods=["GET", "POST"])
@require("admin")
def organization(organization_id):
    organization = services.get_or_404(Organization, organization_id)
    form = _organization_form(organization)
    if not form.validate_on_submit():
        return render_template("admin/organization.html", form=form, organization=organization), (
            400 if request.method == "POST" else 200)
    try:
        _save_organization(organization, form)
    except DomainError as exc:
        return _refused(exc, "admin/organization.html", form=form,
                        organization=db.session.get(Organization, organization_id))
    db.session.commit()
    flash(_("Organization saved."), "success")
    return redirect(url_for("admin.organization", organization_id=organization_id))


from app.admin import jobs as _jobs  # noqa: E402,F401  failed jobs and the outbox
from app.admin import sla as _sla  # noqa: E402,F401  business calendars and SLA policies
from app.admin import macros as _macros  # noqa: E402,F401  macros and blocked senders
