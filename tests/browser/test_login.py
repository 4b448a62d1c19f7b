"""The shared browser fixture really logs a user in: the console home greets them, the admin knows them."""

from orderhub.roles import WAREHOUSE


def test_logged_in_user_reaches_the_console(live_server, browser_page_as):
    page = browser_page_as(WAREHOUSE)
    page.goto(live_server.url + "/admin/")
    assert page.user.username in page.content()
    assert "/admin/login/" not in page.url
