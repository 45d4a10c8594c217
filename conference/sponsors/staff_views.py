"""The organizers' sponsor pages (administrators and organizers): the sponsors by tier,
adding, changing (logo included), ordering and deleting them, the tiers, and the sponsor
accounts of each sponsor. A form that fails answers 400 with every message; each action
is a POST with a CSRF token, audited by the service it calls.
"""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from conference.access import Role, roles
from conference.content import services as content
from conference.fields import ConfirmForm
from conference.i18n import translate
from conference.site import services as site
from conference.sponsors import logos, services
from conference.sponsors.forms import AccountForm, MoveForm, SponsorForm, TierForm

bp = Blueprint("sponsors_staff", __name__, url_prefix="/manage/sponsors")

ORGANIZING = (Role.admin, Role.organizer)


def _render(template, form=None, status=None, **context):
    if status is None:
        status = 400 if form is not None and form.is_submitted() and form.errors else 200
    return render_template(template, form=form, **context), status


def _refused(form, exc):
    field = getattr(form, exc.field or "", None)
    (field.errors if field is not None else form.form_errors).append(str(exc))


def _sponsor_or_404(conference, sponsor_id):
    return services.sponsor_of(conference, sponsor_id) or abort(404)


def _sponsor_form(conference):
    form = SponsorForm()
    form.set_choices(
        [(t.key, translate(t.label)) for t in services.tiers_of(conference)],
        [(t.key, translate(t.name)) for t in conference.tracks],
    )
    return form


def _logo(form):
    """The uploaded logo made ready, ``None`` when none was chosen; errors on the form."""
    data = form.logo_data()
    if data is None:
        return None, True
    try:
        return logos.prepare(data), True
    except logos.LogoRefused as exc:
        form.logo.errors = [*form.logo.errors, str(exc)]
        return None, False


@bp.route("")
@roles(*ORGANIZING)
def index():
    """Every sponsor by tier, in the order the public pages show them."""
    conference = content.conference_or_404()
    return render_template(
        "sponsors/staff/index.html",
        conference=conference,
        groups=site.sponsors_by_tier(conference),
        tiers=services.tiers_of(conference),
        move_form=MoveForm(),
    )


@bp.route("/new", methods=["GET", "POST"])
@roles(*ORGANIZING)
def new():
    conference = content.conference_or_404()
    form = _sponsor_form(conference)
    if not form.tier.choices:
        flash(_("Add a tier first: every sponsor is in one."), "error")
        return redirect(url_for(".tiers"), code=303)
    if form.validate_on_submit():
        logo, ok = _logo(form)
        if ok:
            try:
                sponsor = services.create_sponsor(
                    conference, form.values(), logo=logo, actor=current_user
                )
            except services.SponsorError as exc:
                _refused(form, exc)
            else:
                flash(_("%(name)s is added.", name=translate(sponsor.name)), "success")
                return redirect(url_for(".edit", sponsor_id=sponsor.id), code=303)
    elif form.is_submitted():
        _logo(form)  # say what is wrong with the file too
    return _render("sponsors/staff/form.html", form, sponsor=None)


@bp.route("/<int:sponsor_id>", methods=["GET", "POST"])
@roles(*ORGANIZING)
def edit(sponsor_id):
    conference = content.conference_or_404()
    sponsor = _sponsor_or_404(conference, sponsor_id)
    form = _sponsor_form(conference)
    if not form.is_submitted():
        form.fill(sponsor)
    if form.validate_on_submit():
        logo, ok = _logo(form)
        if ok:
            try:
                changed = services.update_sponsor(
                    sponsor,
                    form.values(),
                    logo=logo,
                    remove_logo=form.remove_logo.data,
                    actor=current_user,
                )
            except services.SponsorError as exc:
                _refused(form, exc)
            else:
                flash(_("Saved.") if changed else _("Nothing has changed."), "success")
                return redirect(url_for(".edit", sponsor_id=sponsor.id), code=303)
    elif form.is_submitted():
        _logo(form)
    return _render(
        "sponsors/staff/form.html",
        form,
        sponsor=sponsor,
        accounts=services.accounts_of(sponsor),
        account_form=AccountForm(formdata=None),
        confirm_form=ConfirmForm(),
    )


@bp.post("/<int:sponsor_id>/move")
@roles(*ORGANIZING)
def move(sponsor_id):
    conference = content.conference_or_404()
    sponsor = _sponsor_or_404(conference, sponsor_id)
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    services.move_sponsor(sponsor, form.direction.data, actor=current_user)
    return redirect(url_for(".index") + f"#sponsor-{sponsor.id}", code=303)


@bp.route("/<int:sponsor_id>/delete", methods=["GET", "POST"])
@roles(*ORGANIZING)
def delete(sponsor_id):
    """Asks first; the POST deletes the sponsor, its logo and its accounts' access."""
    conference = content.conference_or_404()
    sponsor = _sponsor_or_404(conference, sponsor_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        name = translate(sponsor.name)
        services.delete_sponsor(sponsor, actor=current_user)
        flash(_("%(name)s is deleted.", name=name), "success")
        return redirect(url_for(".index"), code=303)
    return _render(
        "sponsors/staff/delete.html", form, sponsor=sponsor, accounts=services.accounts_of(sponsor)
    )


@bp.post("/<int:sponsor_id>/accounts")
@roles(*ORGANIZING)
def invite(sponsor_id):
    """Invite someone at the sponsor to the sponsor portal (an email with a link)."""
    conference = content.conference_or_404()
    sponsor = _sponsor_or_404(conference, sponsor_id)
    account_form = AccountForm()
    if account_form.validate_on_submit():
        try:
            account = services.invite_account(
                sponsor, account_form.email.data, account_form.name.data, actor=current_user
            )
        except services.SponsorError as exc:
            _refused(account_form, exc)
        else:
            flash(_("An invitation is on its way to %(email)s.", email=account.user.email))
            return redirect(url_for(".edit", sponsor_id=sponsor.id) + "#accounts", code=303)
    form = _sponsor_form(conference)
    form.fill(sponsor)
    return _render(
        "sponsors/staff/form.html",
        form,
        status=400,
        sponsor=sponsor,
        accounts=services.accounts_of(sponsor),
        account_form=account_form,
        confirm_form=ConfirmForm(),
    )


@bp.post("/<int:sponsor_id>/accounts/<int:account_id>/remove")
@roles(*ORGANIZING)
def remove_account(sponsor_id, account_id):
    conference = content.conference_or_404()
    sponsor = _sponsor_or_404(conference, sponsor_id)
    account = services.account_of(sponsor, account_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    email = account.user.email
    services.remove_account(account, actor=current_user)
    flash(_("%(email)s no longer has access to the sponsor portal.", email=email), "success")
    return redirect(url_for(".edit", sponsor_id=sponsor.id) + "#accounts", code=303)


# --- Tiers -----------------------------------------------------------------------------


@bp.route("/tiers", methods=["GET", "POST"])
@roles(*ORGANIZING)
def tiers():
    """The tiers in order, each with its sponsors' count; a form to add one."""
    conference = content.conference_or_404()
    form = TierForm()
    if form.validate_on_submit():
        tier = services.create_tier(conference, form.values(), actor=current_user)
        flash(_("The tier “%(label)s” is added.", label=translate(tier.label)), "success")
        return redirect(url_for(".tiers"), code=303)
    return _tiers_page(conference, form)


def _tiers_page(conference, form, status=None):
    counts = {}
    for sponsor in conference.sponsors:
        counts[sponsor.tier] = counts.get(sponsor.tier, 0) + 1
    return _render(
        "sponsors/staff/tiers.html",
        form,
        status=status,
        tiers=services.tiers_of(conference),
        counts=counts,
        move_form=MoveForm(formdata=None),
        confirm_form=ConfirmForm(formdata=None),
    )


def _tier_or_404(conference, tier_id):
    return services.tier_of(conference, tier_id) or abort(404)


@bp.route("/tiers/<int:tier_id>", methods=["GET", "POST"])
@roles(*ORGANIZING)
def tier_edit(tier_id):
    conference = content.conference_or_404()
    tier = _tier_or_404(conference, tier_id)
    form = TierForm()
    if not form.is_submitted():
        form.fill(tier)
    if form.validate_on_submit():
        services.update_tier(conference, tier, form.values(), actor=current_user)
        flash(_("Saved."), "success")
        return redirect(url_for(".tiers"), code=303)
    return _render("sponsors/staff/tier_form.html", form, tier=tier)


@bp.post("/tiers/<int:tier_id>/move")
@roles(*ORGANIZING)
def tier_move(tier_id):
    conference = content.conference_or_404()
    tier = _tier_or_404(conference, tier_id)
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    services.move_tier(conference, tier, form.direction.data, actor=current_user)
    return redirect(url_for(".tiers"), code=303)


@bp.post("/tiers/<int:tier_id>/delete")
@roles(*ORGANIZING)
def tier_delete(tier_id):
    conference = content.conference_or_404()
    tier = _tier_or_404(conference, tier_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.delete_tier(conference, tier, actor=current_user)
    except services.SponsorError as exc:
        flash(str(exc), "error")
        return _tiers_page(conference, TierForm(formdata=None), status=409)
    flash(_("The tier “%(label)s” is deleted.", label=translate(tier.label)), "success")
    return redirect(url_for(".tiers"), code=303)
