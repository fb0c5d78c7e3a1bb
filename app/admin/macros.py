"""Admin pages for the agent desk's tools: macros, and the senders blocked as spammers."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.admin import bp
from app.core.errors import DomainError
from app.core.permissions import require
from app.extensions import db
from app.models import BlockedSender, Group, Macro, User
from app.support import macros, spam
from app.support.agent_forms import ActionForm, MacroForm


def _macro_form(macro=None):
    form = MacroForm() if request.method == "POST" else MacroForm(formdata=None)
    form.group.choices = [("", _("No change"))] + [(g.name, g.name) for g in db.session.scalars(
        db.select(Group).order_by(Group.name))]
    agents = db.session.scalars(db.select(User).where(User.role.in_(("agent", "admin")), User.active.is_(True))
                                .order_by(User.name, User.email))
    form.assignee.choices = [("", _("No change")), ("me", _("The agent applying it")), ("none", _("Nobody"))] + [
        (a.email, f"{a.display_name} <{a.email}>") for a in agents]
    if macro is not None and request.method != "POST":
        actions = macro.actions or {}
        form.name.data, form.body.data, form.active.data = macro.name, macro.body, macro.active
        form.public.data = "reply" if macro.public else "note"
        form.status.data, form.priority.data = actions.get("status", ""), actions.get("priority", "")
        form.add_tags.data = ", ".join(actions.get("add_tags", []))
        form.group.data, form.assignee.data = actions.get("group", ""), actions.get("assignee", "")
    return form


def _render(form, macro=None, status=200, error=None):
    return render_template("admin/macro.html", form=form, macro=macro, error=error,
                           placeholders=macros.PLACEHOLDERS), status


def _save(form, macro):
    """Validate and save; a refusal re-renders the form with the message next to its field."""
    if not form.validate_on_submit():
        return _render(form, macro, 400)
    try:
        saved = macros.save_macro(current_user, macro, name=form.name.data, body=form.body.data,
                                  public=form.public.data == "reply", actions=form.actions(), active=form.active.data)
    except DomainError as exc:
        db.session.rollback()
        target = getattr(form, exc.field, None) if exc.field and exc.field != "actions" else None
        if target is None and exc.field == "add_tags":
            target = form.add_tags
        if target is not None:
            target.errors = list(target.errors) + [exc.message]
            return _render(form, macro and db.session.get(Macro, macro.id), exc.status)
        return _render(form, macro and db.session.get(Macro, macro.id), exc.status, error=exc.message)
    db.session.commit()
    flash(_("Macro “%(name)s” saved.", name=saved.name), "success")
    return redirect(url_for("admin.macros"))


@bp.get("/macros", endpoint="macros")
@require("admin")
def macros_list():
    rows = db.session.scalars(db.select(Macro).order_by(db.func.lower(Macro.name))).all()
    return render_template("admin/macros.html", macros=rows, action_form=ActionForm())


@bp.route("/macros/new", methods=["GET", "POST"])
@require("admin")
def new_macro():
    form = _macro_form()
    if request.method == "GET":
        form.active.data = True
        return _render(form)
    return _save(form, None)


@bp.route("/macros/<int:macro_id>", methods=["GET", "POST"])
@require("admin")
def edit_macro(macro_id):
    macro = db.get_or_404(Macro, macro_id)
    form = _macro_form(macro)
    if request.method == "GET":
        return _render(form, macro)
    return _save(form, macro)


@bp.post("/macros/<int:macro_id>/delete")
@require("admin")
def delete_macro(macro_id):
    macro = db.get_or_404(Macro, macro_id)
    if ActionForm().validate_on_submit():
        name = macro.name
        macros.delete_macro(current_user, macro)
        db.session.commit()
        flash(_("Macro “%(name)s” deleted.", name=name), "success")
    return redirect(url_for("admin.macros"))


@bp.get("/blocked-senders")
@require("admin")
def blocked_senders():
    return render_template("admin/blocked_senders.html", senders=spam.blocked_senders(), action_form=ActionForm())


@bp.post("/blocked-senders/<int:sender_id>/delete")
@require("admin")
def unblock_sender(sender_id):
    blocked = db.get_or_404(BlockedSender, sender_id)
    if ActionForm().validate_on_submit():
        email = blocked.email
        spam.unblock(current_user, blocked)
        db.session.commit()
        flash(_("%(email)s may send requests again.", email=email), "success")
    return redirect(url_for("admin.blocked_senders"))
