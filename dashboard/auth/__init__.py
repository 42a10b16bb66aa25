"""Who is looking: accounts (Argon2id passwords, API tokens), login and logout, sessions, CSRF, throttling, the
security headers and what the public may see. Layers: accounts (the users in the application database) →
sessions (Flask-Login, CSRF, single sign-on) → login (the login page, throttling) → access (roles, region scopes,
public or internal) → install(app). docs/accounts.md describes it for operators."""

from __future__ import annotations

import dash

from dashboard.auth import texts  # noqa: F401  (registers the package's interface texts)


def install(app: dash.Dash) -> None:
    """Sessions, CSRF, throttling, security headers and the login and logout routes on the app's server."""
    from dashboard import data
    from dashboard.auth import access, headers, login, sessions

    data.choose_layer(access.layer)
    sessions.install(app)
    login.install(app)
    headers.install(app)
