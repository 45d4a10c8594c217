"""The public story pages: the submission, its answer, a lost link; the submitter's
private link (status, edit, consent, withdraw) and the guardian's confirmation.

Views load, validate a form, call one ``submission`` service and redirect or render.
The answer to a submission comes from the session, never from the database. Pages at a
private link are never stored by browsers or proxies, send no Referer, are not indexed,
and their token is redacted from every log line (``<secret:token>``). The gallery and
story pages under ``/stories`` are the moderation side's (``gallery_views``).
"""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _

from conference import richtext, text
from conference.access import public
from conference.content import services as content
from conference.extensions import csrf, limiter
from conference.fields import ConfirmForm
from conference.i18n import current_language, direction
from conference.registration.forms import EMAIL_MAX
from conference.showcase import changes, consent, forms, submission
from conference.showcase.models import StoryStatus, TokenPurpose

bp = Blueprint("showcase", __name__)

SUBMITTED = "showcase.submitted"
SENT_ID = "showcase.sent_id"
LINK_EMAIL = "showcase.link_email"
NO_STORE = {
    "showcase.submit",
    "showcase.submitted",
    "showcase.resend_link",
    "showcase.link_sent",
}
# Room for a story's photos and words (``MAX_CONTENT_LENGTH`` is the rest of the site's).
FORM_MARGIN = 1024 * 1024


def _submit_limit():
    return current_app.config["REGISTRATION_RATE_LIMIT"]


def _resend_limit():
    return current_app.config["RESEND_RATE_LIMIT"]


@bp.url_value_preprocessor
def allow_photos(endpoint, values):
    """Before the site-wide size check: a story's form may carry its photos."""
    if endpoint == "showcase.submit" and request.method == "POST":
        photos = current_app.config["IMAGE_MAX_BYTES"] * submission.MAX_PHOTOS
        request.max_content_length = photos + FORM_MARGIN


@bp.after_request
def keep_private(response):
    if request.endpoint in NO_STORE:
        response.cache_control.no_store = True
    if request.view_args and "token" in request.view_args:
        response.cache_control.no_store = True
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.context_processor
def story_helpers():
    return {
        "story_html": richtext.render,
        "story_dir": direction,
        "story_status": changes.status_words,
        "consent_event": consent.consent_event,
    }


# ---------------------------------------------------------------------------------------
# Submitting


# Exempt from the global CSRF check: the form checks its own token, so a page that timed
# out comes back with the answers kept and a line saying what happened.
@bp.route("/stories/submit", methods=["GET", "POST"])
@public
@csrf.exempt
@limiter.limit(_submit_limit, methods=["POST"])
def submit():
    """The story form: the story, its photos, the person, the consent, the submitter."""
    conference = content.conference_or_404()
    language = current_language()
    form = forms.StoryForm.for_conference(conference, language=language)
    if form.is_submitted() and form.is_spam:  # looks like success; nothing is saved
        return _show_submitted(form)
    if (
        form.is_submitted()
        and form.submission_id.data
        and (form.submission_id.data == session.get(SENT_ID))
    ):  # a double click: sent once already
        return _show_submitted(form)
    if form.validate_on_submit():
        try:
            submission.submit(conference, shown_language=language, **form.submission_values())
        except submission.SubmissionError as error:
            form.show_error(error)
        else:
            session[SENT_ID] = form.submission_id.data
            return _show_submitted(form)
    body = render_template(
        "showcase/submit.html",
        conference=conference,
        form=form,
        wording=submission.wording("given", language),
    )
    return body, 400 if form.errors else 200


def _show_submitted(form):
    shown = {"email": (text.clean_text(form.email.data) or "")[:EMAIL_MAX]}
    if form.is_minor:
        shown["guardian"] = (text.clean_text(form.guardian_email.data) or "")[:EMAIL_MAX]
    session[SUBMITTED] = shown
    return redirect(url_for(".submitted"), code=303)


@bp.route("/stories/submitted")
@public
def submitted():
    shown = session.pop(SUBMITTED, None)
    if not isinstance(shown, dict) or "email" not in shown:
        return redirect(url_for(".submit"))
    return render_template(
        "showcase/submitted.html", email=shown["email"], guardian=shown.get("guardian")
    )


@bp.route("/stories/link", methods=["GET", "POST"])
@public
@csrf.exempt  # as the submission form: the form checks its own token
@limiter.limit(_resend_limit, methods=["POST"])
def resend_link():
    """Ask for the private link again; the answer never says whether the address is known."""
    conference = content.conference_or_404()
    form = forms.ResendLinkForm()
    if form.validate_on_submit():
        submission.send_links(conference, form.email.data)
        session[LINK_EMAIL] = form.email.data
        return redirect(url_for(".link_sent"), code=303)
    body = render_template("showcase/resend_link.html", form=form)
    return body, 400 if form.errors else 200


@bp.route("/stories/link/sent")
@public
def link_sent():
    email = session.pop(LINK_EMAIL, None)
    if email is None:
        return redirect(url_for(".resend_link"))
    return render_template("showcase/link_sent.html", email=email)


# ---------------------------------------------------------------------------------------
# The submitter's private link


def _story_or_404(token, purpose=TokenPurpose.manage):
    story = submission.find_by_token(token, purpose)
    if story is None or story.conference.slug != current_app.config["CONFERENCE_SLUG"]:
        abort(404)
    return story


def _open_or_409(story, token):
    """A withdrawn or declined story cannot change: its page says so."""
    if story.status in submission.OPEN:
        return None
    flash(_("This story was withdrawn or declined: it can no longer change."), "error")
    return redirect(url_for(".mine", token=token), code=303)


@bp.route("/stories/mine/<secret:token>")
@public
def mine(token):
    """My story: where it stands, what it says, where it may appear, and what I can do."""
    story = _story_or_404(token)
    return render_template(
        "showcase/mine.html",
        story=story,
        token=token,
        editable=story.status in submission.OPEN,
        given=story.consents[-1] if story.consents else None,
    )


@bp.route("/stories/mine/<secret:token>/edit", methods=["GET", "POST"])
@public
def edit(token):
    """Change the words, the links and the photos' descriptions."""
    story = _story_or_404(token)
    closed = _open_or_409(story, token)
    if closed is not None:
        return closed
    if request.method == "GET":
        form = forms.EditStoryForm.for_story(story)
    else:
        form = forms.EditStoryForm.posted()
    if form.validate_on_submit():
        try:
            changed = changes.edit(story, **form.edit_values(story))
        except submission.SubmissionError as error:
            form.show_error(error)
        else:
            if changed:
                flash(_("Your changes are saved. An organizer will read them again."), "success")
            return redirect(url_for(".mine", token=token), code=303)
    body = render_template("showcase/edit.html", story=story, token=token, form=form)
    return body, 400 if form.errors else 200


@bp.route("/stories/mine/<secret:token>/consent", methods=["GET", "POST"])
@public
def change_consent(token):
    """Change how the person is named, where the story may appear and until when."""
    story = _story_or_404(token)
    closed = _open_or_409(story, token)
    if closed is not None:
        return closed
    form = forms.ConsentForm.for_story(story) if request.method == "GET" else forms.ConsentForm()
    language = current_language()
    if form.validate_on_submit():
        try:
            changed = changes.change_consent(story, language=language, **form.scope_values())
        except submission.SubmissionError as error:
            form.show_error(error)
        else:
            if changed:
                flash(_("Your choices are saved."), "success")
            return redirect(url_for(".mine", token=token), code=303)
    body = render_template(
        "showcase/consent.html",
        story=story,
        token=token,
        form=form,
        wording=submission.wording("given", language),
    )
    return body, 400 if form.errors else 200


@bp.route("/stories/mine/<secret:token>/withdraw", methods=["GET", "POST"])
@public
def withdraw(token):
    """Withdraw consent, after a confirmation: the story leaves every page at once."""
    story = _story_or_404(token)
    if story.status is StoryStatus.withdrawn:
        return redirect(url_for(".mine", token=token), code=303)
    form = ConfirmForm()
    language = current_language()
    if form.validate_on_submit():
        changes.withdraw(story, by_role=consent.SUBMITTER, language=language)
        flash(_("Your consent is withdrawn. The story is shown nowhere now."), "success")
        return redirect(url_for(".mine", token=token), code=303)
    return render_template(
        "showcase/withdraw.html",
        story=story,
        token=token,
        form=form,
        wording=submission.wording("withdraw", language),
    )


# ---------------------------------------------------------------------------------------
# The guardian


@bp.route("/stories/guardian/<secret:token>", methods=["GET", "POST"])
@public
def guardian(token):
    """The guardian sees the story and the consent asked of them; confirms or refuses."""
    story = submission.find_by_token(token, TokenPurpose.guardian)
    if story is None or story.conference.slug != current_app.config["CONFERENCE_SLUG"]:
        return render_template("showcase/guardian_unknown.html"), 404
    form = ConfirmForm()
    language = current_language()
    if form.validate_on_submit():
        if request.form.get("decision") == "refuse":
            changes.withdraw(story, by_role=consent.GUARDIAN, language=language)
            return render_template("showcase/guardian_refused.html")
        changes.confirm_guardian(story, language=language)
        return redirect(url_for(".guardian", token=token), code=303)
    return render_template(
        "showcase/guardian.html",
        story=story,
        token=token,
        form=form,
        wording=submission.wording("guardian", language),
    )
