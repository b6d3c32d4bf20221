"""The Django admin in Chromium: demo-admin gets in with a code from its authenticator app, a
staff member without one enrols by the QR page, and the admin's login page alone gets nobody in.
"""

from __future__ import annotations

import re
from base64 import b32decode

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from loaders.demo import DEMO_PASSWORD, demo_load
from loaders.seeding import seed_load
from programme.models import Action
from stakeholders.models import User
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)

ADMIN_HEADER = "Anti-trafficking action – administration"


def code_for(key_hex: str) -> str:
    return f"{TOTP(bytes.fromhex(key_hex)).token():06d}"


def sign_in(page, live_server, username: str, password: str, next_path: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{live_server.url}{next_path}")
    page.wait_for_url(re.compile(r"/accounts/login/\?next="))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


@pytest.fixture
def demo_data(transactional_db) -> None:
    seed_load()
    demo_load(action=Action.objects.get())


def test_demo_admin_reaches_the_admin_with_a_code_from_its_device(
    page, live_server, demo_data
) -> None:
    sign_in(page, live_server, "demo-admin", DEMO_PASSWORD, "/admin/")
    page.wait_for_url(f"{live_server.url}/accounts/two-factor/?next=/admin/")
    page.get_by_role("heading", name="Second step: your code").wait_for()
    screenshot(page, "admin-two-factor-code")

    device = TOTPDevice.objects.get(user__username="demo-admin")
    page.get_by_label("Code from your authenticator app").fill(code_for(device.key))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{live_server.url}/admin/")
    page.get_by_text(ADMIN_HEADER).first.wait_for()
    page.get_by_role("link", name="Users").first.click()
    page.wait_for_url(re.compile(r"/admin/stakeholders/user/$"))
    screenshot(page, "admin-after-two-factor")


def test_staff_without_a_device_enrol_by_scanning_and_reach_the_admin(
    page, live_server, demo_data
) -> None:
    TOTPDevice.objects.filter(user__username="demo-admin").delete()
    sign_in(page, live_server, "demo-admin", DEMO_PASSWORD, "/admin/")
    page.wait_for_url(f"{live_server.url}/accounts/two-factor/enrol/?next=/admin/")
    qr = page.get_by_role("img", name="QR code for your authenticator app")
    qr.wait_for()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 100")
    screenshot(page, "admin-two-factor-enrol")

    # What a person would type into their app if they could not scan the code.
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_label("Code from your authenticator app").fill(code_for(b32decode(secret).hex()))
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(f"{live_server.url}/admin/")
    page.get_by_text("Your authenticator app is set up.").wait_for()
    device = TOTPDevice.objects.get(user=User.objects.get(username="demo-admin"))
    assert device.confirmed


def test_the_admin_login_page_without_a_code_does_not_reach_the_admin(
    page, live_server, demo_data
) -> None:
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    # The admin has no sign-in form of its own: it is the portal's, then the code.
    page.wait_for_url(f"{live_server.url}/accounts/login/?next=/admin/")
    page.get_by_label("Username").fill("demo-admin")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/accounts/two-factor/?next=/admin/")

    for path in ("/admin/", "/admin/stakeholders/user/", "/admin/login/"):
        page.goto(f"{live_server.url}{path}")
        assert page.url.startswith(f"{live_server.url}/accounts/two-factor/"), path
        assert page.get_by_text(ADMIN_HEADER).count() == 0

    page.get_by_label("Code from your authenticator app").fill("000000")
    page.get_by_role("button", name="Continue").click()
    # Told under the field, and in the summary at the top, which links to the field.
    page.locator("#id_code_error").get_by_text("That code was not accepted").wait_for()
    summary = page.locator("#form-errors a[href='#id_code']")
    assert "That code was not accepted" in summary.inner_text()
    page.goto(f"{live_server.url}/admin/")
    assert page.url.startswith(f"{live_server.url}/accounts/two-factor/")
