"""The web UI and HTTP API: `create_app(settings)` builds a Flask app (see Flask's tutorial, flaskr).

One module per concern: `auth` (login), `incidents` (pages), `events` (the webhook hot path), `api` (read API),
`health` (/healthz, /healthz/intake), `security` (cookies, headers), `errors` (JSON or HTML answers), `services`
(the long-lived database, intake and Redis client each app holds).

As in flaskr, `create_app` imports them (and Flask) when it runs: `switchboard web` (web/cli.py) imports this
package, and its `--help` should not wait for Flask, SQLAlchemy and every blueprint (see hub/cli.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.config import Settings

if TYPE_CHECKING:
    from flask import Flask

    from hub.db import Database

__all__ = ["create_app"]


def create_app(settings: Settings, *, db: Database | None = None) -> Flask:
    """Build the app for `settings`; pass `db` to share a Database (tests), else one is opened lazily here."""
    from hub import people, timeline_words
    from hub.accounts import IntegrationKeys
    from hub.changes import web_link
    from hub.db import Database
    from hub.domain import KIND_WORDS
    from ingest.pipeline import make_intake
    from web import (
        account,
        acknowledge,
        api,
        approvals,
        approvals_api,
        ask_desk,
        audit,
        auth,
        calendars,
        catalogue,
        changes,
        changes_api,
        cis,
        cis_api,
        copied_api,
        dashboard,
        errors,
        events,
        groups,
        health,
        heartbeats,
        help_centre,
        incident_actions,
        incident_export,
        incident_notes,
        incidents,
        integration_settings,
        integrations,
        knowledge,
        knowledge_api,
        local_time,
        mail_choices_api,
        mail_view,
        mailboxes,
        major_api,
        metrics,
        my_requests,
        navigation,
        new_incident,
        observe,
        oncall,
        oncall_api,
        openapi_route,
        opsgenie,
        outbox,
        pagerduty,
        permissions,
        problems,
        records_api,
        reports,
        request_status,
        request_types,
        request_types_api,
        requesters,
        reviews,
        reviews_api,
        rule_editor,
        rules,
        rules_api,
        satisfaction,
        saved_replies,
        security,
        security_keys,
        services_api,
        silences,
        silences_api,
        sla_api,
        sso,
        status_page,
        status_subscriptions,
        steps_api,
        suggest,
        tokens,
        tokens_api,
        two_factor,
        unprocessable,
        users,
    )
    from web.extensions import csrf
    from web.forms import csrf_field, here
    from web.responses import RequestJSON
    from web.services import EXTENSION_KEY, Services
    from web.url_rules import SwitchboardFlask

    app = SwitchboardFlask(__name__)
    # Titles, descriptions and email bodies come from strangers: escape in every template, whatever its name.
    app.jinja_options = {**app.jinja_options, "autoescape": True, "trim_blocks": True, "lstrip_blocks": True}
    # Flask refuses larger bodies with 413 before a view reads them; events are the largest thing we accept.
    app.config["MAX_CONTENT_LENGTH"] = settings.max_event_bytes
    app.json = RequestJSON(app)
    security.configure(app, settings)

    database = db if db is not None else Database.connect(settings.database_url, timeout=settings.db_timeout)
    app.extensions[EXTENSION_KEY] = app_services = Services(
        settings=settings,
        db=database,
        intake=make_intake(settings, database),
        integrations=IntegrationKeys(database),
        owns_db=db is None,
    )
    # With REDIS_URL set, webhooks and logins count against limits in Redis: its client (and library) is made as the
    # worker starts, not by its first such request. Without it, the worker never imports redis.
    app_services.redis()

    csrf.init_app(app)
    auth.init_app(app)
    two_factor.init_app(app)
    sso.init_app(app, settings)
    errors.init_app(app)
    observe.init_app(app)
    permissions.init_app(app)
    app.jinja_env.globals.update(nav_work=navigation.WORK, nav_admin=navigation.ADMIN, here=here, csrf_field=csrf_field)
    app.jinja_env.filters["web_link"] = web_link  # links stored before hub/changes.py refused other schemes
    app.jinja_env.globals["kinds"] = KIND_WORDS  # an incident or a service request, in words (hub.domain)
    app.jinja_env.globals["person_label"] = people.label  # a person in text where markup cannot go (a tooltip)
    app.jinja_env.filters["with_names"] = people.with_names  # a summary's colleagues, for _person.html's `naming`
    app.jinja_env.filters["said"] = timeline_words.said  # a timeline entry in words, as `incident show` prints it

    # Token-authenticated endpoints: no cookie, so no cross-site request can ride on one.
    for blueprint in (
        events.bp,
        heartbeats.bp,
        pagerduty.bp,
        opsgenie.bp,
        api.bp,
        silences_api.bp,
        problems.api_bp,
        records_api.bp,
        knowledge_api.bp,
        health.bp,
        metrics.bp,
        openapi_route.bp,
        changes_api.bp,
        rules_api.bp,
        oncall_api.bp,
        oncall_api.feed_bp,
        cis_api.bp,
        mail_choices_api.bp,
        major_api.bp,
        copied_api.bp,
        approvals_api.bp,
        steps_api.bp,
        reviews_api.bp,
        request_types_api.bp,
        services_api.bp,
        sla_api.bp,
        tokens_api.bp,
    ):
        csrf.exempt(blueprint)
        app.register_blueprint(blueprint)
    app.register_blueprint(auth.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(two_factor.bp)
    app.register_blueprint(security_keys.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(incidents.bp)
    app.register_blueprint(incident_actions.bp)
    app.register_blueprint(incident_notes.bp)
    app.register_blueprint(approvals.bp)
    app.register_blueprint(new_incident.bp)
    app.register_blueprint(incident_export.bp)
    app.register_blueprint(saved_replies.bp)
    app.register_blueprint(integrations.bp)
    app.register_blueprint(integration_settings.bp)
    app.register_blueprint(silences.bp)
    app.register_blueprint(users.bp)
    app.register_blueprint(requesters.bp)
    app.register_blueprint(groups.bp)
    app.register_blueprint(tokens.bp)
    app.register_blueprint(oncall.bp)
    app.register_blueprint(mailboxes.bp)
    app.register_blueprint(outbox.bp)
    app.register_blueprint(problems.bp)
    app.register_blueprint(reviews.bp)
    app.register_blueprint(audit.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(changes.bp)
    app.register_blueprint(rules.bp)
    app.register_blueprint(rule_editor.bp)
    app.register_blueprint(mail_view.bp)
    app.register_blueprint(unprocessable.bp)
    app.register_blueprint(knowledge.bp)
    app.register_blueprint(cis.bp)
    app.register_blueprint(catalogue.bp)
    app.register_blueprint(calendars.bp)
    app.register_blueprint(request_types.bp)
    app.register_blueprint(suggest.bp)
    suggest.init_app(app)
    mail_view.init_app(app)
    # Pages anyone may open without a login. They show times in the installation's zone, the same for everyone
    # (some are kept by shared caches); every other page in the viewer's own.
    public = (
        sso.bp,  # logging in with the identity provider (404 when none is set)
        satisfaction.bp,  # the requester's "How did we do?" page
        acknowledge.bp,  # an agent's "Acknowledge" link from a mail
        approvals.link_bp,  # an approver's "Approve or reject" link from a mail
        status_page.bp,  # how the public services are doing
        status_subscriptions.bp,  # its updates by mail
        help_centre.bp,  # the published knowledge articles
        ask_desk.bp,  # "Ask the desk", the help centre's form that reaches the desk
        request_status.bp,  # a requester's own request, from a link in a mail
        my_requests.bp,  # "My requests", a requester's list of theirs, from a link mailed on asking
    )
    for blueprint in public:
        app.register_blueprint(blueprint)
    # The one public form post without a CSRF token: the identity provider's, server to server, whose signed
    # Logout Token is the proof (web/sso_backchannel.py). The rest of single sign-on's door keeps the check.
    csrf.exempt(sso.backchannel_logout)
    local_time.init_app(app, public)
    if settings.trusted_proxies:
        _behind_proxies(app, settings.trusted_proxies)
    return app


def _behind_proxies(app: Flask, hops: int) -> None:
    """Believe the last `hops` entries of X-Forwarded-For, -Proto, -Host, -Port and -Prefix: the client's address
    (which per-client limits count), and the scheme and host its links are built with. Outermost, so every other
    layer sees the client as the proxies saw it; entries further left anyone may write, so they are never read."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
        app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops
    )
