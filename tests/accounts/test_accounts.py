import re
import threading
from datetime import UTC, timedelta

import pyotp
import pytest
import sqlalchemy as sa

from conference.access import Role
from conference.accounts import services, sessions, throttle, two_factor
from conference.accounts.models import StaffSession, User
from conference.audit import AuditEvent
from conference.clock import utcnow
from conference.extensions import db
from conference.mailer import outbox
from conference.mailer.models import OutboxMessage

from ..conftest import STAFF_PASSWORD


def sign_in(client, email, password=STAFF_PASSWORD, **headers):
    return client.post(
        "/manage/login", data={"email": email, "password": password}, headers=headers
    )


def test_passwords_are_stored_with_a_modern_kdf(make_user):
    user = make_user("organizer")

    assert user.password_hash.startswith("scrypt:")
    assert STAFF_PASSWORD not in user.password_hash


def test_sign_in_and_out(client, make_user):
    make_user("organizer")

    signed_in = sign_in(client, "organizer@forsyria.example")
    account = client.get("/manage/account")
    signed_out = client.post("/manage/logout")
    after = client.get("/manage/account")

    assert signed_in.status_code == 302
    assert account.status_code == 200
    assert "no-store" in account.headers["Cache-Control"]
    assert signed_out.headers["Location"] == "/manage/login"
    assert after.status_code == 302
    assert after.headers["Location"].startswith("/manage/login")


@pytest.mark.parametrize("email", ["organizer@forsyria.example", "nobody@forsyria.example"])
def test_a_wrong_password_or_unknown_address_gets_the_same_answer(client, make_user, email):
    make_user("organizer")

    response = sign_in(client, email, "wrong password!!", **{"Accept-Language": "ar"})

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "البريد الإلكتروني أو كلمة المرور غير صحيحة" in html
    assert "wrong password" not in html  # the password field is cleared


def test_addresses_that_differ_only_in_compatibility_forms_are_one_account(make_user):
    user = make_user("organizer", email="alice@forsyria.example")

    assert services.find_user("\uff41lice@forsyria.example") == user
    with pytest.raises(services.AccountError, match="already an account"):
        services.create_user("\uff21LICE@forsyria.example", role="sponsor")


def sign_in_from(client, ip, email, password=STAFF_PASSWORD):
    return client.post(
        "/manage/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": ip},
    )


def test_wrong_passwords_slow_down_that_address_not_the_owner(client, make_user):
    user = make_user("organizer")
    for _ in range(throttle.FREE_FAILURES):
        sign_in_from(client, "203.0.113.9", user.email, "wrong password!!")

    guesser = sign_in_from(client, "203.0.113.9", user.email)  # even the right password
    owner_client = client.application.test_client()
    owner = sign_in_from(owner_client, "198.51.100.7", user.email)

    assert error_of(guesser) == (
        "Too many attempts to sign in with this address from here. Try again in 1 minute."
    )
    assert owner.status_code == 302  # from elsewhere: signed in
    assert owner_client.get("/manage/account").status_code == 200
    assert AuditEvent.query.filter_by(action="user.sign_in_slowed").count() == 1
    later = utcnow() + timedelta(minutes=1, seconds=1)
    assert services.authenticate(user.email, STAFF_PASSWORD, ip="203.0.113.9", now=later)


def test_each_further_wrong_password_doubles_the_wait(app, make_user):
    user = make_user("organizer")
    now = utcnow()
    waits = []
    for attempt in range(throttle.FREE_FAILURES + 3):
        with pytest.raises(services.AccountError):
            services.authenticate(user.email, "wrong password!!", ip="192.0.2.1", now=now)
        wait = throttle.wait(user.email, "192.0.2.1", now=now)
        if attempt >= throttle.FREE_FAILURES - 1:
            waits.append(wait)
            now += wait
        else:
            assert wait is None

    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    # A success clears the count for this address.
    assert services.authenticate(user.email, STAFF_PASSWORD, ip="192.0.2.1", now=now)
    assert throttle.wait(user.email, "192.0.2.1", now=now) is None


def test_the_account_cap_spares_the_owner_s_usual_address(app, make_user, monkeypatch):
    monkeypatch.setattr(throttle, "ACCOUNT_CAP", 6)
    user = make_user("organizer")
    services.authenticate(user.email, STAFF_PASSWORD, ip="198.51.100.7")  # the owner's place
    for n in range(throttle.ACCOUNT_CAP):  # one guess each from many addresses
        with pytest.raises(services.AccountError):
            services.authenticate(user.email, "wrong password!!", ip=f"203.0.113.{n}")

    with pytest.raises(services.AccountError, match="Too many attempts"):
        services.authenticate(user.email, STAFF_PASSWORD, ip="192.0.2.200")
    assert services.authenticate(user.email, STAFF_PASSWORD, ip="198.51.100.7")
    later = utcnow() + throttle.ACCOUNT_WINDOW + timedelta(seconds=1)
    assert services.authenticate(user.email, STAFF_PASSWORD, ip="192.0.2.200", now=later)


def test_unknown_and_known_addresses_get_the_same_answers_after_the_same_work(
    client, make_user, monkeypatch
):
    make_user("organizer")
    hashes = []
    real = services.check_password_hash
    monkeypatch.setattr(
        services, "check_password_hash", lambda *args: hashes.append(1) or real(*args)
    )
    answers = {}
    for email in ("organizer@forsyria.example", "nobody@forsyria.example"):
        answers[email] = []
        for _ in range(throttle.FREE_FAILURES + 2):
            hashes.clear()
            response = sign_in_from(client, "203.0.113.5", email, "wrong password!!")
            answers[email].append((response.status_code, error_of(response), len(hashes)))

    known, unknown = answers.values()
    assert known == unknown
    assert {work for _, _, work in known} == {1}  # one password hash, throttled or not
    assert "Too many attempts" in known[-1][1]
    assert "incorrect" in known[0][1]


def error_of(response):
    html = response.get_data(as_text=True)
    found = re.search(r'<p class="error-summary__text">(.*?)</p>', html, re.S)
    return found[1].strip() if found else None


def test_the_count_is_shared_by_every_process(make_app, database_url, tmp_path):
    url = f"sqlite:///{tmp_path / 'throttle.db'}" if database_url.startswith("sqlite") else None
    one = make_app(**({"SQLALCHEMY_DATABASE_URI": url} if url else {}))
    other = make_app(**({"SQLALCHEMY_DATABASE_URI": url} if url else {}))  # same database
    with one.app_context():
        services.create_user("vol@example.org", role="checkin", password=STAFF_PASSWORD)
    for n in range(throttle.FREE_FAILURES):
        app = (one, other)[n % 2]
        sign_in_from(app.test_client(), "203.0.113.9", "vol@example.org", "wrong password!!")

    answer = sign_in_from(other.test_client(), "203.0.113.9", "vol@example.org")

    assert "Too many attempts" in answer.get_data(as_text=True)


def test_login_is_rate_limited(make_app, make_user):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    with app.app_context():
        for _ in range(3):
            sign_in(client, "x@forsyria.example", "wrong password!!")

        limited = sign_in(client, "x@forsyria.example", "wrong password!!")

    assert limited.status_code == 429


def test_two_factor_enrolment_and_sign_in(client, login_as):
    user = login_as("organizer")
    page = client.get("/manage/account/two-factor")
    secret = db.session.get(User, user.id).totp_secret
    code = pyotp.TOTP(secret).now()

    enrolled = client.post("/manage/account/two-factor", data={"code": code})
    client.post("/manage/logout")
    first_step = sign_in(client, user.email)
    before_code = client.get("/manage/account")
    wrong = client.post("/manage/login/code", data={"code": "000000"})
    reused = client.post("/manage/login/code", data={"code": code})  # already used to enrol
    recovery = enrolled.get_data(as_text=True).split("<li><code>")[1].split("</code>")[0]
    by_recovery = client.post("/manage/login/code", data={"code": recovery})

    assert "data:image/svg+xml" in page.get_data(as_text=True)
    assert "Two-factor sign-in is on" in enrolled.get_data(as_text=True)
    assert first_step.headers["Location"].startswith("/manage/login/code")
    assert before_code.status_code == 302
    assert "The code is incorrect" in wrong.get_data(as_text=True)
    assert "The code is incorrect" in reused.get_data(as_text=True)
    assert by_recovery.status_code == 302
    assert client.get("/manage/account").status_code == 200
    assert len(db.session.get(User, user.id).recovery_codes) == two_factor.RECOVERY_CODES - 1


def enrolled(user):
    two_factor.start_totp(user)
    two_factor.confirm_totp(user, pyotp.TOTP(user.totp_secret).now())
    return pyotp.TOTP(user.totp_secret)


def code_at(totp, moment):
    return totp.at(int(moment.replace(tzinfo=UTC).timestamp()))


def test_wrong_codes_are_limited_per_account_and_audited(app, make_user):
    user = make_user("organizer")
    totp = enrolled(user)
    browsers = [app.test_client() for _ in range(3)]  # the limit is the account's
    for browser in browsers:
        assert sign_in(browser, user.email).headers["Location"].startswith("/manage/login/code")
    codes = iter(browsers * 2)
    for _ in range(two_factor.MAX_WRONG_CODES - 1):
        wrong = next(codes).post("/manage/login/code", data={"code": "000000"})
        assert "The code is incorrect" in wrong.get_data(as_text=True)

    last = next(codes).post("/manage/login/code", data={"code": "000001"}, follow_redirects=True)
    right_but_closed = browsers[0].post("/manage/login/code", data={"code": totp.now()})

    assert "Too many wrong codes. Sign in again in 1 minute." in last.get_data(as_text=True)
    assert last.request.path == "/manage/login"  # this sign-in must start over
    assert right_but_closed.headers["Location"] == "/manage/login"
    assert browsers[0].get("/manage/account").status_code == 302  # not signed in
    actions = [e.action for e in AuditEvent.query.order_by(AuditEvent.id)]
    assert actions.count("user.code_failed") == two_factor.MAX_WRONG_CODES
    assert actions.count("user.code_step_closed") == 1


def test_the_code_step_waits_longer_each_round_and_a_right_code_resets_it(app, make_user):
    user = make_user("organizer")
    totp = enrolled(user)
    now = utcnow()
    waits = []
    for _ in range(3):
        for _ in range(two_factor.MAX_WRONG_CODES - 1):
            assert not two_factor.sign_in_code(user, "000000", now=now)
        with pytest.raises(services.SignInOver):
            two_factor.sign_in_code(user, "000000", now=now)
        waits.append(db.session.get(User, user.id).codes_blocked_until - now)
        with pytest.raises(services.SignInOver):  # closed: even a right code
            two_factor.sign_in_code(user, code_at(totp, now), now=now)
        now = db.session.get(User, user.id).codes_blocked_until

    assert waits == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert two_factor.sign_in_code(user, code_at(totp, now), now=now)
    assert db.session.get(User, user.id).failed_codes == 0


def test_a_pending_sign_in_lapses_and_ends_with_its_round(app, make_user):
    user = make_user("organizer")
    enrolled(user)
    pending = two_factor.pending_sign_in(user)

    assert two_factor.load_pending(pending) == user
    assert two_factor.load_pending(pending, now=utcnow() + timedelta(minutes=11)) is None
    assert two_factor.load_pending("1:0") is None
    for _ in range(two_factor.MAX_WRONG_CODES - 1):
        two_factor.sign_in_code(user, "000000")
    with pytest.raises(services.SignInOver):
        two_factor.sign_in_code(user, "000000")
    assert two_factor.load_pending(pending) is None  # a copy of the old cookie cannot go on


def test_codes_in_arabic_indic_digits_are_accepted(app, make_user):
    user = make_user("organizer")
    two_factor.start_totp(user)
    code = pyotp.TOTP(user.totp_secret).now()
    arabic = "".join("٠١٢٣٤٥٦٧٨٩"[int(d)] for d in code)

    assert two_factor.verify_code(user, f"{arabic[:3]} {arabic[3:]}")


@pytest.mark.parametrize(
    ("role", "required"),
    [
        ("admin", True),
        ("organizer", True),
        ("checkin", True),  # names at the desk
        ("coordinator", False),  # aggregates only
        ("sponsor", False),
    ],
)
def test_two_factor_can_be_required_for_every_role_that_sees_names(
    make_app, make_user, role, required
):
    app = make_app(TWO_FACTOR_REQUIRED=True)
    client = app.test_client()
    with app.app_context():
        make_user(role)
        sign_in(client, f"{role}@forsyria.example")

        page = client.get("/manage/account")

    if required:
        assert page.headers["Location"] == "/manage/account/two-factor"
    else:
        assert page.status_code == 200


def test_sign_out_everywhere_ends_other_sessions(app, make_user):
    user = make_user("organizer")
    phone, laptop = app.test_client(), app.test_client()
    sign_in(phone, user.email)
    sign_in(laptop, user.email)

    laptop.post("/manage/account/sign-out-everywhere")

    assert phone.get("/manage/account").status_code == 302


PHONE = "Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0"
LAPTOP = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


def copy_of_cookie(app, client):
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def test_signing_out_ends_the_session_on_the_server(app, make_user):
    user = make_user("organizer")
    client = app.test_client()
    sign_in(client, user.email)
    thief = copy_of_cookie(app, client)
    assert thief.get("/manage/account").status_code == 200  # a copy works while signed in

    client.post("/manage/logout")

    assert thief.get("/manage/account").status_code == 302
    assert thief.get("/manage/account").headers["Location"].startswith("/manage/login")


def test_staff_see_their_sessions_and_end_one(app, make_user):
    user = make_user("organizer")
    phone, laptop = app.test_client(), app.test_client()
    sign_in(phone, user.email, **{"User-Agent": PHONE})
    sign_in(laptop, user.email, **{"User-Agent": LAPTOP})

    page = laptop.get("/manage/account").get_data(as_text=True)
    rows = re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</th>", page, re.S)
    phone_id = re.search(r"/manage/account/sessions/(\d+)/end", page.split(rows[1])[1])[1]
    ended = laptop.post(f"/manage/account/sessions/{phone_id}/end", follow_redirects=True)

    assert "Chrome · Windows" in rows[0]
    assert "(this device)" in rows[0]
    assert "Firefox · Android" in rows[1]
    assert "this device" not in rows[1]
    assert "That session has ended." in ended.get_data(as_text=True)
    assert "Firefox · Android" not in ended.get_data(as_text=True)
    assert phone.get("/manage/account").status_code == 302
    assert laptop.get("/manage/account").status_code == 200
    assert AuditEvent.query.filter_by(action="user.session_ended").count() == 1


def test_no_one_ends_someone_else_s_session(app, make_user):
    mine, theirs = make_user("organizer"), make_user("checkin")
    me, them = app.test_client(), app.test_client()
    sign_in(me, mine.email)
    sign_in(them, theirs.email)
    [their_session] = sessions.active(theirs)

    me.post(f"/manage/account/sessions/{their_session.id}/end")
    huge = me.post("/manage/account/sessions/99999999999999999999/end")

    assert them.get("/manage/account").status_code == 200
    assert huge.status_code in (302, 404)


def test_last_seen_is_written_at_most_once_a_minute_after_the_view(app, make_user):
    user = make_user("organizer")
    token = services.record_login(user)
    [row] = sessions.active(user)
    started = row.last_seen_at

    def request_at(seconds):
        with app.test_request_context():
            sessions.load(token, now=started + timedelta(seconds=seconds))
            sessions.note_seen(None)  # what after_request does
        db.session.expire_all()
        return db.session.get(StaffSession, row.id).last_seen_at

    assert request_at(50) == started
    assert request_at(70) == started + timedelta(seconds=70)
    assert request_at(100) == started + timedelta(seconds=70)


def test_the_user_loader_never_writes_in_the_middle_of_a_transaction(app, make_user):
    # An audit event asks who is signed in while its transaction is still open.
    user = make_user("organizer")
    token = services.record_login(user)
    with app.test_request_context():
        user.name = "changed, not yet committed"
        assert sessions.load(token, now=utcnow() + timedelta(minutes=5)) is not None
        sessions.note_seen(None)  # unfinished work: noted on a later request instead
        db.session.rollback()  # the caller gives up

    db.session.expire_all()
    assert db.session.get(User, user.id).name == ""
    [row] = sessions.active(user)
    assert row.last_seen_at == row.created_at


def test_only_a_token_of_an_open_session_signs_in(app, make_user):
    user = make_user("organizer")
    token = services.record_login(user)

    assert sessions.load(token) == user
    assert sessions.load(f"{user.id}:1") is None  # a cookie from before, say
    assert sessions.load(token + "x") is None
    assert sessions.load(None) is None
    assert db.session.scalar(sa.select(StaffSession.token_hash)) != token  # only its hash


@pytest.mark.parametrize(
    ("agent", "device"),
    [
        (PHONE, "Firefox · Android"),
        (LAPTOP, "Chrome · Windows"),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            "Safari · iPhone",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like "
            "Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            "Edge · macOS",
        ),
        ("curl/8.5.0", ""),
        ("", ""),
    ],
)
def test_devices_are_summarised_by_name_only(agent, device):
    assert sessions.device_of(agent) == device


def test_sessions_expire(make_app, make_user):
    app = make_app(PERMANENT_SESSION_LIFETIME=timedelta(seconds=-1))
    client = app.test_client()
    with app.app_context():
        make_user("organizer")
        sign_in(client, "organizer@forsyria.example")

        assert client.get("/manage/account").status_code == 302


def invitation_link(message):
    """Render ``message`` as the deliverer does (minting its link); return the link."""
    rendering = outbox.Rendering()
    text = outbox.render(message, rendering).text
    rendering.write()
    db.session.commit()
    return next(line for line in text.split() if "/manage/invitation/" in line)


def test_an_invitation_link_is_minted_when_sent_and_a_new_one_ends_the_old(client, login_as):
    admin = login_as("admin")
    invited = services.create_user("invited@forsyria.example", role="organizer")
    services.send_invitation(invited, actor=admin)
    first = invitation_link(OutboxMessage.query.filter_by(kind="accounts.invitation").one())
    shown = outbox.render_for_display(
        OutboxMessage.query.filter_by(kind="accounts.invitation").one()
    ).text

    services.send_invitation(invited, actor=admin)  # "send again"
    first_path = first.split("conference.test", 1)[1]

    assert "/manage/invitation/" not in shown
    assert client.get(first_path).status_code == 404
    [_, again] = OutboxMessage.query.filter_by(kind="accounts.invitation").all()
    second_path = invitation_link(again).split("conference.test", 1)[1]
    client.post("/manage/logout")
    assert client.get(second_path).status_code == 200


def test_admins_invite_people_who_then_choose_a_password(client, login_as):
    login_as("admin")

    client.post("/manage/users", data={"email": "New@ForSyria.example", "role": "checkin"})
    [message] = OutboxMessage.query.filter_by(kind="accounts.invitation").all()
    assert "/manage/invitation/" not in str(message.snapshot)  # no link waits in the outbox
    link = invitation_link(message)
    path = link.split("conference.test", 1)[1]
    client.post("/manage/logout")
    weak = client.post(path, data={"password": "short"})
    accepted = client.post(path, data={"password": "a long enough passphrase"})
    reused = client.get(path)
    signed_in = sign_in(client, "new@forsyria.example", "a long enough passphrase")

    assert "at least 12 characters" in weak.get_data(as_text=True)
    assert accepted.headers["Location"] == "/manage/login"
    assert reused.status_code == 404
    assert signed_in.status_code == 302
    assert User.query.filter_by(email="new@forsyria.example").one().role.value == "checkin"


def test_admins_change_roles_and_disable_accounts(client, login_as, make_user, app):
    admin = login_as("admin")
    other = make_user("organizer")
    other_client = app.test_client()
    sign_in(other_client, other.email)

    client.post(f"/manage/users/{other.id}/role", data={"role": "checkin"})
    disable = {"enabled": "0", "confirmed": "yes"}
    client.post(f"/manage/users/{other.id}/enabled", data=disable)
    own = client.post(f"/manage/users/{admin.id}/enabled", data=disable, follow_redirects=True)

    other = db.session.get(User, other.id)
    assert other.role.value == "checkin"
    assert not other.is_enabled
    assert other_client.get("/manage/account").status_code == 302  # their session ended
    assert "You cannot disable your own account" in own.get_data(as_text=True)
    actions = [e.action for e in AuditEvent.query.order_by(AuditEvent.id)]
    assert "user.role_changed" in actions
    assert "user.disabled" in actions


@pytest.mark.parametrize("role", ["organizer", "sponsor"])
def test_the_last_admin_cannot_give_up_the_role(client, login_as, role):
    admin = login_as("admin")

    refused = client.post(
        f"/manage/users/{admin.id}/role", data={"role": role}, follow_redirects=True
    )

    assert refused.status_code == 200
    assert "There must always be an administrator" in refused.get_data(as_text=True)
    assert db.session.get(User, admin.id).role.value == "admin"
    assert client.get("/manage/users").status_code == 200  # still signed in, still admin


def test_an_admin_can_step_down_once_there_is_another(client, login_as, make_user):
    admin = login_as("admin")
    make_user("admin", email="second@forsyria.example")

    client.post(f"/manage/users/{admin.id}/role", data={"role": "organizer"})

    assert db.session.get(User, admin.id).role.value == "organizer"


def test_the_last_enabled_admin_is_kept_whoever_asks(app, make_user):
    admin = make_user("admin")
    disabled = make_user("admin", email="gone@forsyria.example")
    services.set_enabled(disabled, False, actor=admin)

    with pytest.raises(services.AccountError):
        services.change_role(admin, "checkin", actor=None)  # from the command line, say
    with pytest.raises(services.AccountError):
        services.set_enabled(admin, False, actor=None)
    assert db.session.get(User, admin.id).role.value == "admin"
    assert db.session.get(User, admin.id).is_enabled


def test_two_admins_demoting_each_other_at_once_leave_one(make_app, database_url, tmp_path):
    url = f"sqlite:///{tmp_path / 'admins.db'}" if database_url.startswith("sqlite") else None
    app = make_app(**({"SQLALCHEMY_DATABASE_URI": url} if url else {}))
    with app.app_context():
        ids = [services.create_user(f"admin{n}@forsyria.example", role="admin").id for n in (1, 2)]
    start = threading.Barrier(2)
    outcomes = []

    def demote(me, other):
        with app.app_context():
            actor, user = db.session.get(User, me), db.session.get(User, other)
            start.wait()
            try:
                services.change_role(user, "organizer", actor=actor)
                outcomes.append("changed")
            except services.AccountError:
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=demote, args=pair) for pair in (ids, ids[::-1])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    with app.app_context():
        admins = db.session.scalars(sa.select(User.id).filter_by(role=Role.admin)).all()
    assert sorted(outcomes) == ["changed", "refused"]
    assert len(admins) == 1


@pytest.mark.parametrize("role", ["organizer", "checkin", "sponsor", "coordinator"])
def test_only_admins_manage_users(client, login_as, role):
    login_as(role)

    assert client.get("/manage/users").status_code == 403


def test_users_cli_creates_accounts_and_a_demo_organizer(runner):
    created = runner.invoke(
        args=["users", "create", "Admin@ForSyria.example", "--role", "admin"],
        input="a long admin passphrase\na long admin passphrase\n",
    )
    demo = runner.invoke(args=["users", "demo"])

    assert "Created admin@forsyria.example (admin)." in created.output
    assert "Accounts exist already" in demo.output


def test_the_demo_organizer_is_made_on_an_empty_installation(runner):
    demo = runner.invoke(args=["users", "demo"])

    password = demo.output.split("password: ")[1].split()[0]
    assert services.authenticate("organizer@example.org", password).role.value == "organizer"


def test_staff_sign_in_while_another_process_writes(make_app, database_url, tmp_path):
    # Check-in volunteers sign in together: on SQLite, a sign-in that read first could
    # not record itself once another process had written meanwhile ("database is locked").
    url = (
        f"sqlite:///{tmp_path / 'staff.db'}" if database_url.startswith("sqlite") else database_url
    )
    app = make_app(SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        services.create_user("vol@example.org", role="checkin", password=STAFF_PASSWORD)
        services.create_user("other@example.org", role="checkin", password=STAFF_PASSWORD)

        def another_worker_writes():
            db.session.scalar(sa.select(User.id))  # this request has read: a read transaction
            with db.engine.connect() as other:
                other.execute(
                    sa.update(User)
                    .where(User.email == "other@example.org")
                    .values(failed_codes=User.failed_codes + 1)
                )
                other.commit()

        another_worker_writes()
        user = services.authenticate("vol@example.org", STAFF_PASSWORD)
        another_worker_writes()
        services.record_login(user)

        assert user.last_login_at is not None
        assert db.session.scalars(sa.select(AuditEvent.action)).all()[-1] == "user.signed_in"
