from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from app.auth import bp
from app.auth.forms import ForgotPasswordForm, LoginForm, SetPasswordForm
from app.auth.services import authenticate, password_link, set_password, user_from_password_token
from app.core.errors import DomainError
from app.extensions import db, limiter
from app.mail import queue_mail
from app.models import User
from app.models.base import utcnow


def safe_next(target):
    """Only on-site paths: no scheme, no host, no '//evil', no backslashes or control characters
    (browsers read '/\\evil' and '/\\t/evil' as another host)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def home_for(user):
    if user.role == "customer":
        return url_for("support.portal")
    if user.role == "csm":
        return url_for("success.home")
    if user.role == "admin":
        return url_for("admin.home")
    return url_for("support.agent_queue")


def _login_key():
    return "login:" + (request.form.get("email") or "").strip().lower()


def _failed(response):
    # Only failed attempts count against the account's limit.
    return response.status_code == 401


@bp.errorhandler(RateLimitExceeded)
def _too_many(exc):
    seconds = exc.limit.limit.get_expiry() if exc.limit is not None else 900
    minutes = max(1, round(seconds / 60))
    if request.endpoint == "auth.login":
        form = LoginForm()
        form.password.errors = [_(
            "Too many failed sign-in attempts for this account. Try again in %(minutes)d minutes.",
            minutes=minutes)]
        return render_template("auth/login.html", form=form), 429
    form = ForgotPasswordForm()
    form.email.errors = [_("Too many requests. Try again in %(minutes)d minutes.", minutes=minutes)]
    return render_template("auth/forgot.html", form=form), 429


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], key_func=_login_key,
               methods=["POST"], deduct_when=_failed)
def login():
    form = LoginForm()
    target = safe_next(request.args.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(target or home_for(current_user))
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            user.last_login_at = utcnow()
            db.session.commit()
            login_user(user)
            return redirect(target or home_for(user))
        form.password.errors = [_("That e-mail and password do not match an active account.")]
        return render_template("auth/login.html", form=form), 401
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        logout_user()
        flash(_("You are signed out."), "info")
    return redirect(url_for("support.home"))


@bp.get("/logout")
def logout_get():
    # A GET cannot sign out (a link on another site must not log people out): confirm with a form.
    return render_template("auth/logout.html")


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("5 per minute", methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.scalar(select(User).where(User.email == email))
        if user is not None and user.active:
            queue_mail(user.email, "password_reset", kind="password_reset", locale=user.locale,
                       user=user, url=password_link(user))
            db.session.commit()
        # The same answer either way, so the form does not reveal who has an account.
        flash(_("If that address has an account, we sent it a link to set a new password."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form), (400 if request.method == "POST" else 200)


@bp.route("/password/set/<token>", methods=["GET", "POST"], endpoint="set_password")
def set_password_view(token):
    try:
        user = user_from_password_token(token)
    except DomainError as exc:
        return render_template("auth/link_invalid.html", message=exc.message), 400
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            set_password(user, form.password.data)
        except DomainError as exc:
            db.session.rollback()
            form.password.errors = [exc.message]
        else:
            db.session.commit()
            login_user(user)
            flash(_("Your password is set."), "success")
            return redirect(home_for(user))
    return render_template("auth/set_password.html", form=form, user=user), (400 if request.method == "POST" else 200)
