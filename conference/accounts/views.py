"""Back-office sign-in, the user's own account, and the admins' user list."""

from dataclasses import dataclass

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from conference.access import AFTER_SIGN_IN, PUBLIC, STAFF, Role, access_of, may_open, public, roles
from conference.accounts import services
from conference.accounts import two_factor as factors
from conference.accounts.forms import (
    ROLE_LABELS,
    CodeForm,
    InviteForm,
    LoginForm,
    PasswordForm,
    RoleForm,
)
from conference.accounts.models import User
from conference.extensions import db, limiter
from conference.fields import ConfirmForm
from conference.urls import safe_next

bp = Blueprint("accounts", __name__, url_prefix="/manage")

PENDING = "pending_second_factor"


def _login_limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


def _no_store(body):
    response = make_response(body)
    response.headers["Cache-Control"] = "no-store"
    return response


# The back-office navigation, in the menu's order: (endpoint, label, the other endpoints
# that belong to the same section). Each entry shows to the roles its page admits, once
# the page exists: a feature's page missing from the app (the import page, say) is left
# out rather than breaking the menu.
MORE = "more"  # a section of the second rank (see STAFF_PAGES)

STAFF_PAGES = [
    ("manage.dashboard", _l("Dashboard"), ()),
    (
        "registration_staff.attendees",
        _l("Attendees"),
        (
            "registration_staff.attendee",
            "registration_staff.attendee_edit",
            "registration_staff.attendee_cancel",
        ),
    ),
    ("registration_staff.tracks", _l("Tracks"), ()),
    ("registration_import.upload", _l("Import"), ("registration_import.",)),
    ("checkin.desk", _l("Check-in"), ("checkin.",)),
    ("volunteers_staff.board", _l("Volunteers"), ("volunteers_staff.", "volunteers_setup.")),
    ("showcase_staff.queue", _l("Stories"), ("showcase_staff.",)),
    ("announcements.index", _l("Email attendees"), ("announcements.",)),
    # The rest is opened less often: on a wide screen it folds under "More" when a role
    # has more than one of them, so the row stays one line at a laptop's width.
    ("sponsors_staff.index", _l("Sponsors"), ("sponsors_staff.",), MORE),
    ("outbox.index", _l("Outbox"), ("outbox.",), MORE),
    ("registration_staff.export", _l("Export"), (), MORE),
    ("manage.audit", _l("Audit log"), (), MORE),
    ("accounts.users", _l("Users"), ("accounts.confirm_disable",), MORE),
    ("sponsor_portal.home", _l("Sponsor portal"), ("sponsor_portal.",), MORE),
]
# The signed-in person's own page, shown with their name rather than among the sections.
ACCOUNT_PAGE = ("accounts.account", _l("My account"), ("accounts.two_factor",))


@dataclass(frozen=True)
class StaffLink:
    """One entry of the back-office menu; ``current`` when the page shown belongs to it."""

    endpoint: str
    label: str
    current: bool
    more: bool = False  # of the second rank: under "More" in the wide row


def _belongs(endpoint, own, others):
    if endpoint is None:
        return False
    if endpoint == own:
        return True
    return any(
        endpoint.startswith(other) if other.endswith(".") else endpoint == other for other in others
    )


def _link(endpoint, label, others, rank=None):
    if endpoint not in current_app.view_functions:
        return None  # a page another part of the app adds, not (yet) there
    allowed = access_of(current_app.view_functions[endpoint])
    if allowed == PUBLIC or not may_open(endpoint):
        return None
    return StaffLink(
        endpoint, label, _belongs(request.endpoint, endpoint, others), more=rank == MORE
    )


def staff_links():
    """The back-office sections the signed-in user may open, in the menu's order."""
    links = (_link(*page) for page in STAFF_PAGES)
    return [link for link in links if link is not None]


def account_link():
    """The signed-in person's own account page, as a ``StaffLink`` (or ``None``)."""
    return _link(*ACCOUNT_PAGE)


def staff_home():
    """Where the back office's name leads: the dashboard, else the user's landing page."""
    if may_open("manage.dashboard"):
        return url_for("manage.dashboard")
    return url_for("accounts.home")


@bp.app_context_processor
def staff_context():
    return {
        "role_labels": ROLE_LABELS,
        "Role": Role,
        "staff_links": staff_links,
        "account_link": account_link,
        "staff_home": staff_home,
    }


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def login():
    """Sign in with email and password; then the authenticator code, if enrolled."""
    if current_user.is_authenticated:
        return redirect(url_for("accounts.home"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        try:
            user = services.authenticate(
                form.email.data, form.password.data, ip=request.remote_addr
            )
        except services.AccountError as exc:
            error = str(exc)
        else:
            session.pop(PENDING, None)
            if user.totp_enabled:
                session[PENDING] = factors.pending_sign_in(user)
                return redirect(url_for(".code"))
            return _signed_in(user)
    form.password.data = ""
    return _no_store(render_template("accounts/login.html", form=form, error=error))


@bp.route("/login/code", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def code():
    """The second step: a code from the authenticator app, or a recovery code."""
    user = factors.load_pending(session.get(PENDING))
    if user is None:
        session.pop(PENDING, None)
        return redirect(url_for(".login"))
    form = CodeForm()
    error = None
    if form.validate_on_submit():
        try:
            right = factors.sign_in_code(user, form.code.data)
        except services.SignInOver as exc:
            session.pop(PENDING, None)
            flash(str(exc), "error")
            return redirect(url_for(".login"))
        if right:
            session.pop(PENDING, None)
            return _signed_in(user)
        error = _("The code is incorrect or has expired. Enter the code your app shows now")
    form.code.data = ""
    return _no_store(render_template("accounts/code.html", form=form, error=error))


def _signed_in(user):
    back = session.get(AFTER_SIGN_IN)  # the page that sent them here (conference.access)
    session.clear()  # a fresh session: nothing from before the sign-in carries over
    session.permanent = True
    services.record_login(user, user_agent=request.user_agent.string)
    login_user(user)  # the cookie names the server-side session record_login opened
    return redirect(safe_next(back, default="accounts.home"))


@bp.route("/")
@roles(*STAFF)
def home():
    """Where staff land: the page their role works on."""
    for endpoint in current_app.config["STAFF_HOME"].get(current_user.role.value, ()):
        if endpoint in current_app.view_functions:
            return redirect(url_for(endpoint))
    return redirect(url_for(".account"))


@bp.post("/logout")
@roles(*STAFF)
def logout():
    """Sign out of this browser."""
    if ConfirmForm().validate_on_submit():
        services.sign_out(current_user)  # a copy of the cookie stops working too
        logout_user()
        session.clear()
        flash(_("You have signed out."), "success")
    return redirect(url_for(".login"))


@bp.route("/account")
@roles(*STAFF)
def account():
    """The signed-in person's own account: two factors, the devices signed in."""
    return _no_store(
        render_template(
            "accounts/account.html",
            form=ConfirmForm(),
            sessions=services.sessions.active(current_user),
        )
    )


@bp.post("/account/sessions/<int:session_id>/end")
@roles(*STAFF)
def end_session(session_id):
    """End one of the signed-in person's sessions (a lost phone, say)."""
    if ConfirmForm().validate_on_submit():
        this_one = session_id == current_user.session_id
        if services.end_session(current_user, session_id):
            if this_one:
                logout_user()
                session.clear()
                flash(_("You have signed out."), "success")
                return redirect(url_for(".login"))
            flash(_("That session has ended."), "success")
    return redirect(url_for(".account"))


@bp.post("/account/sign-out-everywhere")
@roles(*STAFF)
def sign_out_everywhere():
    """End this account's sessions on every device, this one included."""
    if ConfirmForm().validate_on_submit():
        services.sign_out_everywhere(current_user)
        logout_user()
        session.clear()
        flash(_("You have signed out on every device."), "success")
    return redirect(url_for(".login"))


@bp.route("/account/two-factor", methods=["GET", "POST"])
@roles(*STAFF)
def two_factor():
    """Set up an authenticator app: scan the code, type what it shows, keep the recovery codes."""
    if current_user.totp_enabled:
        return redirect(url_for(".account"))
    if not current_user.totp_secret or request.args.get("restart"):
        factors.start_totp(current_user)
    form = CodeForm()
    error = None
    if form.validate_on_submit():
        try:
            codes = factors.confirm_totp(current_user, form.code.data)
        except services.AccountError as exc:
            error = str(exc)
        else:
            return _no_store(render_template("accounts/recovery_codes.html", codes=codes))
    form.code.data = ""
    return _no_store(
        render_template(
            "accounts/two_factor.html",
            form=form,
            error=error,
            qr=factors.totp_qr_svg(current_user),
            secret=current_user.totp_secret,
        )
    )


@bp.route("/users", methods=["GET", "POST"])
@roles(Role.admin)
def users():
    """Admins: everyone with an account, and a form to invite someone."""
    form = InviteForm()
    error = None
    if form.validate_on_submit():
        try:
            user = services.invite_user(
                form.email.data, role=form.role.data, name=form.name.data or "", actor=current_user
            )
        except services.AccountError as exc:
            error = str(exc)
        else:
            flash(_("Invitation sent to %(email)s.", email=user.email), "success")
            return redirect(url_for(".users"))
    return render_template(
        "accounts/users.html",
        form=form,
        error=error,
        users=services.list_users(),
        confirm=ConfirmForm(),
    )


def _user_or_404(user_id):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.post("/users/<int:user_id>/role")
@roles(Role.admin)
def change_role(user_id):
    """Admins: give someone another role."""
    user = _user_or_404(user_id)
    form = RoleForm()
    if form.validate_on_submit():
        try:
            services.change_role(user, form.role.data, actor=current_user)
        except services.AccountError as exc:
            flash(str(exc), "error")
        else:
            flash(
                _(
                    "%(email)s is now: %(role)s.",
                    email=user.email,
                    role=ROLE_LABELS[user.role],
                ),
                "success",
            )
    return redirect(url_for(".users"))


@bp.get("/users/<int:user_id>/disable")
@roles(Role.admin)
def confirm_disable(user_id):
    """Admins: the step before disabling an account, saying what it does."""
    user = _user_or_404(user_id)
    if user.id == current_user.id:
        flash(_("You cannot disable your own account"), "error")
        return redirect(url_for(".users"))
    if not user.is_enabled:
        return redirect(url_for(".users"))
    return render_template("accounts/confirm_disable.html", user=user, form=ConfirmForm())


@bp.post("/users/<int:user_id>/enabled")
@roles(Role.admin)
def set_enabled(user_id):
    """Admins: disable an account (its sessions end; after the confirmation step) or
    enable it again. The form says which (``enabled`` = 1 or 0): pressing twice does
    the same thing twice, never the opposite."""
    user = _user_or_404(user_id)
    wanted = request.form.get("enabled")
    if wanted not in ("0", "1"):
        abort(400)
    enable = wanted == "1"
    if not enable and request.form.get("confirmed") != "yes":
        return redirect(url_for(".confirm_disable", user_id=user.id), code=303)
    if ConfirmForm().validate_on_submit():
        try:
            services.set_enabled(user, enable, actor=current_user)
        except services.AccountError as exc:
            flash(str(exc), "error")
        else:
            if enable:
                flash(_("%(email)s can sign in again.", email=user.email), "success")
            else:
                flash(
                    _(
                        "%(email)s is disabled and signed out everywhere. To undo it, press "
                        "“Enable again” on their row.",
                        email=user.email,
                    ),
                    "success",
                )
    return redirect(url_for(".users"), code=303)


@bp.post("/users/<int:user_id>/invitation")
@roles(Role.admin)
def resend_invitation(user_id):
    """Admins: email someone a new link to set their password."""
    user = _user_or_404(user_id)
    if ConfirmForm().validate_on_submit():
        services.send_invitation(user, actor=current_user)
        flash(_("Invitation sent to %(email)s.", email=user.email), "success")
    return redirect(url_for(".users"))


@bp.route("/invitation/<secret:token>", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def accept_invitation(token):
    """The one-time link from an invitation: choose a password."""
    user = services.find_invited(token)
    if user is None:
        abort(404)
    form = PasswordForm()
    error = None
    if form.validate_on_submit():
        try:
            services.accept_invitation(user, form.password.data)
        except services.AccountError as exc:
            error = str(exc)
        else:
            flash(_("Your password is set. Sign in to continue."), "success")
            return redirect(url_for(".login"))
    response = _no_store(render_template("accounts/accept.html", form=form, error=error, user=user))
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
