"""Console login throttling with django-axes: after AXES_FAILURE_LIMIT wrong passwords for one username
from one address, that pair is locked out for AXES_COOLOFF_TIME (HTTP 429), whatever the password.

Only logins over HTTP are throttled: an `authenticate()` without a request (a management command, a
test's force_login) has no address to count, so this backend steps aside and Django's ModelBackend
decides as before.
"""

from axes.backends import AxesStandaloneBackend


class ConsoleLoginThrottle(AxesStandaloneBackend):
    def authenticate(self, request=None, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


# AccessAttempt.username is a varchar(255): a longer username typed at the login form made PostgreSQL
# refuse the failure record, a 500 instead of "wrong credentials" (found by the schemathesis test).
USERNAME_MAX_LENGTH = 255


def throttle_username(request, credentials) -> str:
    """The username django-axes counts failures by (settings.AXES_USERNAME_CALLABLE), cut to fit."""
    if credentials and credentials.get("username") is not None:
        username = credentials.get("username")
    else:
        username = request.POST.get("username", "") if request is not None else ""
    return str(username)[:USERNAME_MAX_LENGTH]
