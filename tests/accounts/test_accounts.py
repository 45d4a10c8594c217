from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa

from conference.accounts import services
from conference.accounts.models import AuditEvent, User
from conference.extensions import db
from conference.mailer import outbox
from conference.mailer.models import OutboxMessage
from conference.mailer.outbox import utcnow

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


def test_repeated_failures_lock_the_account(client, make_user):
    user = make_user("organizer")
    for _ in range(services.MAX_FAILED_LOGINS):
        sign_in(client, user.email, "wrong password!!")

    locked = sign_in(client, user.email)

    assert "Wait 15 minutes" in locked.get_data(as_text=True)
    assert db.session.get(User, user.id).locked_until > utcnow()
    assert AuditEvent.query.filter_by(action="user.locked").count() == 1
    with pytest.raises(services.AccountError):
        services.authenticate(user.email, STAFF_PASSWORD, now=utcnow() + timedelta(minutes=14))
    assert services.authenticate(user.email, STAFF_PASSWORD, now=utcnow() + timedelta(minutes=16))


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
    assert len(db.session.get(User, user.id).recovery_codes) == services.RECOVERY_CODES - 1


def test_codes_in_arabic_indic_digits_are_accepted(app, make_user):
    user = make_user("organizer")
    services.start_totp(user)
    code = pyotp.TOTP(user.totp_secret).now()
    arabic = "".join("٠١٢٣٤٥٦٧٨٩"[int(d)] for d in code)

    assert services.verify_code(user, f"{arabic[:3]} {arabic[3:]}")


def test_two_factor_can_be_required_for_roles_with_personal_data(make_app, make_user):
    app = make_app(TWO_FACTOR_REQUIRED=True)
    client = app.test_client()
    with app.app_context():
        make_user("organizer")
        make_user("checkin")
        sign_in(client, "organizer@forsyria.example")

        organizer = client.get("/manage/account")
        client.post("/manage/logout")
        sign_in(client, "checkin@forsyria.example")
        checkin = client.get("/manage/account")

    assert organizer.headers["Location"] == "/manage/account/two-factor"
    assert checkin.status_code == 200


def test_sign_out_everywhere_ends_other_sessions(app, make_user):
    user = make_user("organizer")
    phone, laptop = app.test_client(), app.test_client()
    sign_in(phone, user.email)
    sign_in(laptop, user.email)

    laptop.post("/manage/account/sign-out-everywhere")

    assert phone.get("/manage/account").status_code == 302


def test_sessions_expire(make_app, make_user):
    app = make_app(PERMANENT_SESSION_LIFETIME=timedelta(seconds=-1))
    client = app.test_client()
    with app.app_context():
        make_user("organizer")
        sign_in(client, "organizer@forsyria.example")

        assert client.get("/manage/account").status_code == 302


def test_admins_invite_people_who_then_choose_a_password(client, login_as):
    login_as("admin")

    client.post("/manage/users", data={"email": "New@ForSyria.example", "role": "checkin"})
    [message] = OutboxMessage.query.filter_by(kind="accounts.invitation").all()
    text = outbox.render(message).text
    link = next(line for line in text.split() if "/manage/invitation/" in line)
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
    client.post(f"/manage/users/{other.id}/enabled")
    own = client.post(f"/manage/users/{admin.id}/enabled", follow_redirects=True)

    other = db.session.get(User, other.id)
    assert other.role.value == "checkin"
    assert not other.is_enabled
    assert other_client.get("/manage/account").status_code == 302  # their session ended
    assert "You cannot disable your own account" in own.get_data(as_text=True)
    actions = [e.action for e in AuditEvent.query.order_by(AuditEvent.id)]
    assert "user.role_changed" in actions
    assert "user.disabled" in actions


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
                    .values(failed_logins=User.failed_logins + 1)
                )
                other.commit()

        another_worker_writes()
        user = services.authenticate("vol@example.org", STAFF_PASSWORD)
        another_worker_writes()
        services.record_login(user)

        assert user.last_login_at is not None
        assert db.session.scalars(sa.select(AuditEvent.action)).all()[-1] == "user.signed_in"
