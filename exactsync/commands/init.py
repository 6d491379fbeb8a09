"""`exactsync init`: write a new config file with every key documented."""

from __future__ import annotations

import click

from exactsync import config as config_mod
from exactsync import i18n
from exactsync.app import App, pass_app
from exactsync.commands import _output
from exactsync.connect import check_redirect_uri
from exactsync.errors import ExactsyncError
from exactsync.i18n import msg


@click.command("init")
@click.option("--client-id", default="", help="Client ID of your app in the Exact App Center.")
@click.option("--base-url", default=None, help="Exact Online site, e.g. https://start.exactonline.be.")
@click.option("--redirect-uri", default="",
              help="Redirect URI of your app in the Exact App Center: the https address registered there.")
@click.option("--language", type=click.Choice(i18n.LANGUAGES), default=None,
              help="[interface] language: the language of everything exactsync prints (default en).")
@click.option("--force", is_flag=True, help="Overwrite an existing config file.")
@pass_app
def init_command(app: App, client_id: str, base_url: str | None, redirect_uri: str, language: str | None,
                 force: bool):
    """Create the config file (mode 0600) with every key and its default.

    The client secret is best kept out of the file: set EXACTSYNC_CLIENT_SECRET.

    \b
    Example:
      exactsync init --client-id 0f3c...e1 --redirect-uri https://www.example.nl/exactsync
    """
    path = app.config_path
    if path.exists() and not force:
        raise ExactsyncError(msg("{path} already exists: edit it, or pass --force to start again from the defaults",
                                 path=str(path)))
    if redirect_uri:
        check_redirect_uri(redirect_uri)
    exact = {k: v for k, v in {"client_id": client_id, "base_url": base_url, "redirect_uri": redirect_uri}.items()
             if v}
    overrides = {"exact": exact} if exact else {}
    if language:
        overrides["interface"] = {"language": language}
    config_mod.write_new(path, overrides)
    if language and not app.language_chosen:  # the new config's language, as every next command will speak
        i18n.use(language)
    todo = msg("the client secret") if redirect_uri else msg("the client secret and [exact] redirect_uri")
    _output.echo(msg("wrote {path}; next: set {todo} and run `exactsync connect`", path=str(path), todo=todo).render())
