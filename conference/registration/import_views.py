"""The import page: organizers upload a CSV or XLSX of sign-ups, see what would happen
(preview, nothing saved), confirm, and get the counts and the skipped rows to download.

Same people as the export (admins and organizers). The rows read are kept in the
database between preview and confirmation (``import_store.PendingImport``), so whichever app
process answers the confirmation finds them. Pages with people's details are never
stored by browsers (``no-store``).
"""

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField

from conference import spreadsheets
from conference.access import PERSONAL_DATA, roles
from conference.content import services as content
from conference.fields import ConfirmForm
from conference.registration import import_store, imports
from conference.web import private

bp = Blueprint("registration_import", __name__, url_prefix="/manage/import")

# Room for the form's other fields and the multipart framing around the file.
UPLOAD_MARGIN = 64 * 1024


class UploadForm(FlaskForm):
    file = FileField(
        _l("Spreadsheet file"),
        description=_l("CSV or Excel workbook (.xlsx), up to 5 MB and 20,000 rows"),
    )


def _pending_or_404(import_id):
    pending = import_store.pending_of(import_id, current_user)
    if pending is None:
        abort(404)
    return pending


@bp.route("", methods=["GET", "POST"])
@roles(*PERSONAL_DATA)
def upload():
    """Choose a file; a readable one goes on to its preview, any other is refused in words."""
    conference = content.conference_or_404()
    if request.method == "POST":
        request.max_content_length = spreadsheets.MAX_READ_BYTES + UPLOAD_MARGIN  # > the site's
    form = UploadForm()
    status = 200
    if form.validate_on_submit():
        upload = form.file.data
        if not upload or not getattr(upload, "filename", None):
            form.file.errors.append(_("Select a CSV or Excel file to import"))
            status = 400
        else:
            try:
                data = upload.stream.read(spreadsheets.MAX_READ_BYTES + 1)
            finally:
                upload.close()  # a large upload is a temporary file
            try:
                table = imports.read(data)
            except imports.ImportRefused as refused:
                form.file.errors.append(str(refused))
                status = 413 if len(data) > spreadsheets.MAX_READ_BYTES else 400
            else:
                pending = import_store.keep(table, file_name=upload.filename, actor=current_user)
                return redirect(url_for(".preview", import_id=pending.id), code=303)
    elif form.is_submitted():
        status = 400
    return private(
        render_template("registration/import.html", form=form, conference=conference), status
    )


@bp.route("/<int:import_id>")
@roles(*PERSONAL_DATA)
def preview(import_id):
    """What the import would do (before confirming), or what it did (after)."""
    conference = content.conference_or_404()
    pending = _pending_or_404(import_id)
    if pending.applied_at is not None:
        if pending.result is None:  # being applied by another request right now
            return private(
                render_template("registration/import_result.html", pending=pending, result=None)
            )
        result = imports.Result.from_dict(pending.result)
        written = imports.email_reader(pending.table["header"])
        return private(
            render_template(
                "registration/import_result.html",
                pending=pending,
                result=result,
                skipped_rows=[(line, written(cells), why) for line, cells, why in result.skipped],
            )
        )
    plan = imports.plan(conference, import_store.table_of(pending))
    return private(
        render_template(
            "registration/import_preview.html",
            pending=pending,
            plan=plan,
            repeat_rows=[(r.line, r.written_email, r.reason) for r in plan.repeats],
            skipped_rows=[(r.line, r.written_email, r.reason) for r in plan.skipped],
            form=ConfirmForm(),
        )
    )


@bp.post("/<int:import_id>/confirm")
@roles(*PERSONAL_DATA)
def confirm(import_id):
    """Apply the previewed import, once; then show what it did."""
    conference = content.conference_or_404()
    pending = _pending_or_404(import_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if import_store.confirm(conference, pending, actor=current_user) is None:
        flash(_("This file has already been imported."), "error")
    return redirect(url_for(".preview", import_id=pending.id), code=303)


@bp.route("/<int:import_id>/skipped.csv")
@roles(*PERSONAL_DATA)
def skipped(import_id):
    """The rows the import skipped, as CSV, with a column for the reason."""
    pending = _pending_or_404(import_id)
    if pending.result is None:
        abort(404)
    result = imports.Result.from_dict(pending.result)
    header, rows = imports.skipped_rows(pending.table["header"], result)
    body = b"".join(data for data, _count in spreadsheets.csv_chunks(header, rows))
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="for-syria-import-{pending.id}-skipped.csv"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response
