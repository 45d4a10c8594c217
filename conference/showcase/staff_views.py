"""The organizers' moderation pages: the queue of stories, and each story with both its
texts, photos, consent history, revisions and the decisions (approve, reject with a
reason, edit, feature, withdraw on request).

For administrators and organizers only (submitters' addresses are on them); never
stored by browsers (``private``). Each action is a POST with a CSRF token; the service
it calls audits it and takes it off every public page in the same commit.
"""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from conference import images, richtext
from conference.access import Role, roles
from conference.content import services as content
from conference.extensions import db
from conference.i18n import direction
from conference.showcase import consent, moderation, publication, staff_queries
from conference.showcase.models import StoryStatus
from conference.showcase.staff_forms import (
    STATUS_LABELS,
    ApproveForm,
    EditForm,
    FeatureForm,
    QueueFilterForm,
    RejectForm,
    WithdrawForm,
)
from conference.web import private

bp = Blueprint("showcase_staff", __name__, url_prefix="/manage/stories")

STAFF = (Role.admin, Role.organizer)
MAX_PAGE = 10_000


def _story_or_404(story_id):
    story = staff_queries.story_of(content.conference_or_404(), story_id)
    if story is None:
        abort(404)
    return story


def _back(story):
    return redirect(url_for(".story", story_id=story.id), code=303)


@bp.route("")
@roles(*STAFF)
def queue():
    """The stories by status and track, those waiting longest first, with counts."""
    conference = content.conference_or_404()
    tracks = {track.key: track for track in conference.tracks}
    form = QueueFilterForm(request.args).offer(conference.tracks)
    page = request.args.get("page", 1, type=int)
    page = page if 1 <= page <= MAX_PAGE else 1
    status = track = None
    result = None
    if form.validate():
        status = StoryStatus(form.status.data) if form.status.data else None
        track = tracks.get(form.track.data) if form.track.data else None
        result = staff_queries.queue(conference, status=status, track=track, page=page)
    args = {"status": form.status.data or None, "track": form.track.data or None}
    if form.errors:
        args = {}
    return private(
        render_template(
            "showcase/staff/queue.html",
            form=form,
            result=result,
            counts=staff_queries.counts(conference),
            status_labels=STATUS_LABELS,
            filtered=bool(status or track),
            prev_url=url_for(".queue", **args, page=page - 1)
            if result and result.page > 1
            else None,
            next_url=url_for(".queue", **args, page=page + 1)
            if result and result.page < result.pages
            else None,
        ),
        400 if form.errors else 200,
    )


def _render_story(story, *, reject_form=None, withdraw_form=None, status=200):
    today = publication.conference_today(story.conference)
    sizes = images.sizes_of([photo.image_key for photo in story.photos])
    texts = [(story.language, story.title, story.body)]
    if story.other_title or story.other_body:
        texts.append((story.other_language, story.other_title, story.other_body))
    return private(
        render_template(
            "showcase/staff/story.html",
            story=story,
            consent_event=consent.consent_event,
            role_words=consent.role_words,
            field_words=consent.field_words,
            revision_value=consent.revision_value,
            texts=[
                {
                    "lang": lang,
                    "dir": direction(lang),
                    "title": title,
                    "html": richtext.render(body),
                }
                for lang, title, body in texts
            ],
            photos=[
                (
                    photo,
                    images.img_tag(
                        photo.image_key,
                        sizes.get(photo.image_key, []),
                        alt=photo.alt,
                        sizes="20rem",
                        largest=400,
                    ),
                )
                for photo in story.photos
            ],
            shown_publicly=story.shown_publicly(today),
            shown_to_sponsors=story.shown_to_sponsors(today),
            status_labels=STATUS_LABELS,
            may_approve=moderation.may_approve(story),
            may_reject=moderation.may_reject(story),
            approve_form=ApproveForm(),
            reject_form=reject_form or RejectForm(formdata=None),
            feature_form=FeatureForm(formdata=None),
            withdraw_form=withdraw_form or WithdrawForm(formdata=None),
        ),
        status,
    )


@bp.route("/<int:story_id>")
@roles(*STAFF)
def story(story_id):
    """One story with everything an organizer needs to decide."""
    return _render_story(_story_or_404(story_id))


def _act(story, action, success):
    try:
        action()
    except moderation.ModerationError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(success, "success")
    return _back(story)


@bp.post("/<int:story_id>/approve")
@roles(*STAFF)
def approve(story_id):
    story = _story_or_404(story_id)
    if not ApproveForm().validate_on_submit():
        abort(400)
    return _act(
        story,
        lambda: moderation.approve(story, actor=current_user),
        _("Approved: the story is shown wherever its consent allows."),
    )


@bp.post("/<int:story_id>/reject")
@roles(*STAFF)
def reject(story_id):
    story = _story_or_404(story_id)
    form = RejectForm()
    if not form.validate_on_submit():
        return _render_story(story, reject_form=form, status=400)
    return _act(
        story,
        lambda: moderation.reject(story, reason=form.reason.data, actor=current_user),
        _("Rejected: the submitter has been emailed the reason."),
    )


@bp.post("/<int:story_id>/feature")
@roles(*STAFF)
def feature(story_id):
    story = _story_or_404(story_id)
    form = FeatureForm()
    if not form.validate_on_submit():
        abort(400)
    featured = form.featured.data == "1"
    return _act(
        story,
        lambda: moderation.set_featured(story, featured, actor=current_user),
        _("Featured on the conference page.") if featured else _("No longer featured."),
    )


@bp.post("/<int:story_id>/withdraw")
@roles(*STAFF)
def withdraw(story_id):
    story = _story_or_404(story_id)
    form = WithdrawForm()
    if not form.validate_on_submit():
        return _render_story(story, withdraw_form=form, status=400)
    return _act(
        story,
        lambda: moderation.withdraw_on_request(story, actor=current_user),
        _("Consent withdrawn: the story is no longer shown anywhere."),
    )


@bp.route("/<int:story_id>/edit", methods=["GET", "POST"])
@roles(*STAFF)
def edit(story_id):
    """Change a story's texts or track; the change is recorded with its before and after."""
    story = _story_or_404(story_id)
    conference = story.conference
    tracks = {track.key: track for track in conference.tracks}
    if request.method == "POST":
        form = EditForm()
    else:
        form = EditForm(
            title=story.title,
            body=story.body,
            other_title=story.other_title or "",
            other_body=story.other_body or "",
            track=story.track.key if story.track else "",
        )
    form.offer(conference.tracks)
    if story.status is StoryStatus.withdrawn:
        flash(_("A withdrawn story cannot be edited."), "error")
        return _back(story)
    if form.validate_on_submit():
        values = {
            "title": form.title.data,
            "body": form.body.data,
            "other_title": form.other_title.data,
            "other_body": form.other_body.data,
            "track": tracks.get(form.track.data),
        }
        try:
            revision = moderation.edit(story, actor=current_user, **values)
        except moderation.ModerationError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Saved: the change is recorded.") if revision else _("Nothing changed."))
            return _back(story)
    status = 400 if form.errors else 200
    return private(render_template("showcase/staff/edit.html", story=story, form=form), status)
