"""Who may do what: every route of the app (endpoint and method) and the roles it admits.

Written once, here, and held against the code by
``tests/manage/test_authorization.py::test_every_route_admits_exactly_the_roles_of_the_policy``:
a route missing from this table fails that test, and so does a route that admits a role
the table does not give it (or refuses one it does). Widening a route therefore means
changing this table too, in the same review.
"""

from conference.access import Role

PUBLIC = "public"

ADMIN = frozenset({Role.admin})
# Attendees' personal data in full: lists, details, exports, email, the outbox.
PERSONAL_DATA = frozenset({Role.admin, Role.organizer})
# The check-in desk: names, tracks and a masked address.
DESK = frozenset({Role.admin, Role.organizer, Role.checkin})
# Aggregates only (no names): coordinators see them too.
AGGREGATES = frozenset({Role.admin, Role.organizer, Role.coordinator})
ANY_STAFF = frozenset(Role)
# Volunteers' pages for those who staff shifts; coordinators only within their tracks
# (``volunteers.scope``: another track's ids answer 404).
VOLUNTEER_STAFF = frozenset({Role.admin, Role.organizer, Role.coordinator})
# The sponsor portal: sponsors see their own sponsor's aggregates; organizers and
# administrators preview any sponsor's portal.
SPONSOR_PORTAL = frozenset({Role.sponsor, Role.admin, Role.organizer})

POLICY = {
    # Public site
    ("site.home", "GET"): PUBLIC,
    ("site.favicon", "GET"): PUBLIC,
    ("site.healthz", "GET"): PUBLIC,
    ("site.set_language", "GET"): PUBLIC,
    ("site.robots", "GET"): PUBLIC,
    ("site.sitemap", "GET"): PUBLIC,
    ("calendar.programme", "GET"): PUBLIC,
    ("calendar.track", "GET"): PUBLIC,
    ("calendar.session", "GET"): PUBLIC,
    ("calendar.add", "GET"): PUBLIC,
    # Uploaded images, re-encoded; served only while their owner may be shown
    ("media.image", "GET"): PUBLIC,
    # Sponsors: the public page, and SVG logos made safe
    ("sponsors.index", "GET"): PUBLIC,
    ("sponsors.logo_svg", "GET"): PUBLIC,
    # Story submission (the submitter's private link, or the guardian's, is the credential)
    ("showcase.submit", "GET"): PUBLIC,
    ("showcase.submit", "POST"): PUBLIC,
    ("showcase.submitted", "GET"): PUBLIC,
    ("showcase.resend_link", "GET"): PUBLIC,
    ("showcase.resend_link", "POST"): PUBLIC,
    ("showcase.link_sent", "GET"): PUBLIC,
    ("showcase.mine", "GET"): PUBLIC,
    ("showcase.edit", "GET"): PUBLIC,
    ("showcase.edit", "POST"): PUBLIC,
    ("showcase.change_consent", "GET"): PUBLIC,
    ("showcase.change_consent", "POST"): PUBLIC,
    ("showcase.withdraw", "GET"): PUBLIC,
    ("showcase.withdraw", "POST"): PUBLIC,
    ("showcase.guardian", "GET"): PUBLIC,
    ("showcase.guardian", "POST"): PUBLIC,
    # Success stories shown publicly (approved, consented, within their end date)
    ("showcase_gallery.index", "GET"): PUBLIC,
    ("showcase_gallery.story", "GET"): PUBLIC,
    # Volunteers (their private link, or the guardian's, is the credential)
    ("volunteers.signup", "GET"): PUBLIC,
    ("volunteers.signup", "POST"): PUBLIC,
    ("volunteers.signed_up", "GET"): PUBLIC,
    ("volunteers.resend_link", "GET"): PUBLIC,
    ("volunteers.resend_link", "POST"): PUBLIC,
    ("volunteers.link_sent", "GET"): PUBLIC,
    ("volunteers.erased", "GET"): PUBLIC,
    ("volunteer.manage", "GET"): PUBLIC,
    ("volunteer.add_shifts", "GET"): PUBLIC,
    ("volunteer.add_shifts", "POST"): PUBLIC,
    ("volunteer.drop", "GET"): PUBLIC,
    ("volunteer.drop", "POST"): PUBLIC,
    ("volunteer.erase", "GET"): PUBLIC,
    ("volunteer.erase", "POST"): PUBLIC,
    ("volunteer.guardian", "GET"): PUBLIC,
    ("volunteer.guardian", "POST"): PUBLIC,
    ("volunteer_feed.manage", "GET"): PUBLIC,
    ("volunteer_feed.create", "POST"): PUBLIC,
    ("volunteer_feed.stop", "POST"): PUBLIC,
    ("volunteer_feed.ics", "GET"): PUBLIC,
    ("volunteer_certificate.show", "GET"): PUBLIC,
    # Attendees (their private link is the credential)
    ("registration.privacy", "GET"): PUBLIC,
    ("registration.register", "GET"): PUBLIC,
    ("registration.register", "POST"): PUBLIC,
    ("registration.registered", "GET"): PUBLIC,
    ("registration.cancelled", "GET"): PUBLIC,
    ("registration.erased", "GET"): PUBLIC,
    ("registration.resend_link", "GET"): PUBLIC,
    ("registration.resend_link", "POST"): PUBLIC,
    ("registration.link_sent", "GET"): PUBLIC,
    ("registration.manage", "GET"): PUBLIC,
    ("registration.cancel", "GET"): PUBLIC,
    ("registration.cancel", "POST"): PUBLIC,
    ("registration.change_details", "GET"): PUBLIC,
    ("registration.change_details", "POST"): PUBLIC,
    ("registration.change_tracks", "GET"): PUBLIC,
    ("registration.change_tracks", "POST"): PUBLIC,
    ("registration.erase", "GET"): PUBLIC,
    ("registration.erase", "POST"): PUBLIC,
    ("registration.calendar_file", "GET"): PUBLIC,
    ("registration.change_email", "GET"): PUBLIC,
    ("registration.change_email", "POST"): PUBLIC,
    ("registration.confirm_email", "GET"): PUBLIC,
    ("registration.confirm_email", "POST"): PUBLIC,
    ("registration.email_changed", "GET"): PUBLIC,
    ("subscription.unsubscribe", "GET"): PUBLIC,
    ("subscription.unsubscribe", "POST"): PUBLIC,
    ("subscription.resubscribe", "POST"): PUBLIC,
    # Signing in (before anyone is signed in)
    ("accounts.login", "GET"): PUBLIC,
    ("accounts.login", "POST"): PUBLIC,
    ("accounts.code", "GET"): PUBLIC,
    ("accounts.code", "POST"): PUBLIC,
    ("accounts.accept_invitation", "GET"): PUBLIC,
    ("accounts.accept_invitation", "POST"): PUBLIC,
    # Every staff member's own account
    ("accounts.home", "GET"): ANY_STAFF,
    ("accounts.account", "GET"): ANY_STAFF,
    ("accounts.two_factor", "GET"): ANY_STAFF,
    ("accounts.two_factor", "POST"): ANY_STAFF,
    ("accounts.sign_out_everywhere", "POST"): ANY_STAFF,
    ("accounts.end_session", "POST"): ANY_STAFF,  # the service allows only one's own
    ("accounts.logout", "POST"): ANY_STAFF,
    # Other people's accounts: admins only
    ("accounts.users", "GET"): ADMIN,
    ("accounts.users", "POST"): ADMIN,
    ("accounts.change_role", "POST"): ADMIN,
    ("accounts.set_enabled", "POST"): ADMIN,
    ("accounts.confirm_disable", "GET"): ADMIN,
    ("accounts.resend_invitation", "POST"): ADMIN,
    ("manage.audit", "GET"): ADMIN,
    # Aggregates
    ("manage.dashboard", "GET"): AGGREGATES,
    # Volunteers' set-up: roles and shifts within a coordinator's tracks (no names);
    # the settings and the coordinators' tracks for organizers.
    ("volunteers_setup.index", "GET"): AGGREGATES,
    ("volunteers_setup.role_new", "GET"): AGGREGATES,
    ("volunteers_setup.role_new", "POST"): AGGREGATES,
    ("volunteers_setup.role_edit", "GET"): AGGREGATES,
    ("volunteers_setup.role_edit", "POST"): AGGREGATES,
    ("volunteers_setup.shift_new", "GET"): AGGREGATES,
    ("volunteers_setup.shift_new", "POST"): AGGREGATES,
    ("volunteers_setup.shift_edit", "GET"): AGGREGATES,
    ("volunteers_setup.shift_edit", "POST"): AGGREGATES,
    ("volunteers_setup.shift_delete", "GET"): AGGREGATES,
    ("volunteers_setup.shift_delete", "POST"): AGGREGATES,
    ("volunteers_setup.settings", "GET"): PERSONAL_DATA,
    ("volunteers_setup.settings", "POST"): PERSONAL_DATA,
    ("volunteers_setup.coordinators", "GET"): PERSONAL_DATA,
    ("volunteers_setup.coordinators", "POST"): PERSONAL_DATA,
    # Sponsors, tiers and sponsor portal accounts (organizers)
    ("sponsors_staff.index", "GET"): PERSONAL_DATA,
    ("sponsors_staff.new", "GET"): PERSONAL_DATA,
    ("sponsors_staff.new", "POST"): PERSONAL_DATA,
    ("sponsors_staff.edit", "GET"): PERSONAL_DATA,
    ("sponsors_staff.edit", "POST"): PERSONAL_DATA,
    ("sponsors_staff.move", "POST"): PERSONAL_DATA,
    ("sponsors_staff.delete", "GET"): PERSONAL_DATA,
    ("sponsors_staff.delete", "POST"): PERSONAL_DATA,
    ("sponsors_staff.invite", "POST"): PERSONAL_DATA,
    ("sponsors_staff.remove_account", "POST"): PERSONAL_DATA,
    ("sponsors_staff.tiers", "GET"): PERSONAL_DATA,
    ("sponsors_staff.tiers", "POST"): PERSONAL_DATA,
    ("sponsors_staff.tier_edit", "GET"): PERSONAL_DATA,
    ("sponsors_staff.tier_edit", "POST"): PERSONAL_DATA,
    ("sponsors_staff.tier_move", "POST"): PERSONAL_DATA,
    ("sponsors_staff.tier_delete", "POST"): PERSONAL_DATA,
    # Attendees' data
    ("registration_staff.attendees", "GET"): PERSONAL_DATA,
    ("registration_staff.attendee", "GET"): PERSONAL_DATA,
    ("registration_staff.attendee_cancel", "GET"): PERSONAL_DATA,
    ("registration_staff.attendee_cancel", "POST"): PERSONAL_DATA,
    ("registration_staff.attendee_edit", "GET"): PERSONAL_DATA,
    ("registration_staff.attendee_edit", "POST"): PERSONAL_DATA,
    ("registration_staff.attendee_confirm_place", "POST"): PERSONAL_DATA,
    ("registration_staff.attendee_resend", "POST"): PERSONAL_DATA,
    ("registration_staff.export", "GET"): PERSONAL_DATA,
    ("registration_staff.export", "POST"): PERSONAL_DATA,
    ("registration_import.upload", "GET"): PERSONAL_DATA,
    ("registration_import.upload", "POST"): PERSONAL_DATA,
    ("registration_import.preview", "GET"): PERSONAL_DATA,
    ("registration_import.confirm", "POST"): PERSONAL_DATA,
    ("registration_import.skipped", "GET"): PERSONAL_DATA,
    ("announcements.index", "GET"): PERSONAL_DATA,
    ("announcements.compose", "GET"): PERSONAL_DATA,
    ("announcements.compose", "POST"): PERSONAL_DATA,
    ("announcements.broadcast", "GET"): PERSONAL_DATA,
    ("announcements.broadcast_edit", "GET"): PERSONAL_DATA,
    ("announcements.broadcast_edit", "POST"): PERSONAL_DATA,
    ("announcements.broadcast_preview", "GET"): PERSONAL_DATA,
    ("announcements.broadcast_send", "POST"): PERSONAL_DATA,
    ("announcements.broadcast_test", "POST"): PERSONAL_DATA,
    ("outbox.index", "GET"): PERSONAL_DATA,
    ("outbox.message", "GET"): PERSONAL_DATA,
    ("outbox.message_download", "GET"): PERSONAL_DATA,
    ("outbox.retry", "POST"): PERSONAL_DATA,
    ("outbox.retry_failed", "POST"): PERSONAL_DATA,
    ("registration_staff.tracks", "GET"): PERSONAL_DATA,
    ("registration_staff.tracks", "POST"): PERSONAL_DATA,
    # The check-in desk
    ("checkin.desk", "GET"): DESK,
    ("checkin.desk", "POST"): DESK,  # the search: a code typed never enters a URL
    ("checkin.code", "GET"): DESK,
    ("checkin.counts", "GET"): DESK,
    ("checkin.mark", "POST"): DESK,
    ("checkin.undo", "POST"): DESK,
    # Volunteers' coordinators
    # Moderation of success stories: submitters' details, so organizers only
    ("showcase_staff.queue", "GET"): PERSONAL_DATA,
    ("showcase_staff.story", "GET"): PERSONAL_DATA,
    ("showcase_staff.approve", "POST"): PERSONAL_DATA,
    ("showcase_staff.reject", "POST"): PERSONAL_DATA,
    ("showcase_staff.feature", "POST"): PERSONAL_DATA,
    ("showcase_staff.withdraw", "POST"): PERSONAL_DATA,
    ("showcase_staff.edit", "GET"): PERSONAL_DATA,
    ("showcase_staff.edit", "POST"): PERSONAL_DATA,
    ("volunteers_staff.board", "GET"): VOLUNTEER_STAFF,
    ("volunteers_staff.shift", "GET"): VOLUNTEER_STAFF,
    ("volunteers_staff.attendance", "POST"): VOLUNTEER_STAFF,
    ("volunteers_staff.remove", "GET"): VOLUNTEER_STAFF,
    ("volunteers_staff.remove", "POST"): VOLUNTEER_STAFF,
    ("volunteers_staff.move", "GET"): VOLUNTEER_STAFF,
    ("volunteers_staff.move", "POST"): VOLUNTEER_STAFF,
    ("volunteers_staff.email_team", "GET"): VOLUNTEER_STAFF,
    ("volunteers_staff.email_team", "POST"): VOLUNTEER_STAFF,
    ("volunteers_staff.people", "GET"): VOLUNTEER_STAFF,
    ("volunteers_staff.person", "GET"): VOLUNTEER_STAFF,
    ("volunteers_staff.export", "GET"): VOLUNTEER_STAFF,
    ("volunteers_staff.export", "POST"): VOLUNTEER_STAFF,
    ("volunteer_certificate.staff", "GET"): VOLUNTEER_STAFF,
    # The sponsor portal (aggregates and consented stories only)
    ("sponsor_portal.home", "GET"): SPONSOR_PORTAL,
    ("sponsor_portal.showcase", "GET"): SPONSOR_PORTAL,
    ("sponsor_portal.story", "GET"): SPONSOR_PORTAL,
    ("sponsor_portal.track", "GET"): SPONSOR_PORTAL,
    ("sponsor_portal.summary", "GET"): SPONSOR_PORTAL,
}
