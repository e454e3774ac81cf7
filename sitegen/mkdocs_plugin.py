"""The ``sitegen`` MkDocs plugin: ``mkdocs build``, ``serve`` and ``gh-deploy`` run sitegen's pipeline.

MkDocs cleans ``site_dir`` before it writes anything and renders pages one by
one, so a failed ``mkdocs build`` would leave a half-empty site. The plugin
therefore keeps MkDocs away from the real site: ``on_config`` remembers the
real ``site_dir`` and points MkDocs at a scratch folder, ``on_files`` hands
MkDocs no files to render, and ``on_pre_build`` runs ``sitegen.build`` into
the real folder, which replaces the previous site in one step or not at all.
After the build (``on_post_build``, or ``on_build_error``) the real
``site_dir`` is put back into the configuration, for ``gh-deploy`` to publish,
and the scratch folder is deleted.

Under ``mkdocs serve`` the real folder is MkDocs' temporary serve folder, the
pages are built for the serve address, and the theme's folders are watched;
when it ends, the spare that builds keep beside that folder is deleted with it.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, get_plugin_logger
from mkdocs.structure.files import Files

from .config import OPTIONS, Option, SiteConfig, load_config
from .errors import SitegenError

log = get_plugin_logger(__name__)


def _config_option(option: Option) -> base.BaseConfigOption:
    """MkDocs' check of one option: only that it has the type mkdocs.yml should hold."""
    if option.type is list:
        return c.ListOfItems(c.Type(str), default=list(option.default))
    return c.Type(option.type, default=option.default)


def options_class(options: tuple[Option, ...]) -> type[base.Config]:
    """A MkDocs config class with one entry per option, of its type and with its default."""
    return type("SitegenOptions", (base.Config,), {
        "__doc__": "The sitegen plugin's options, generated from SiteConfig's field metadata.",
        "__module__": __name__,
        **{o.name: _config_option(o) for o in options},
    })


# Exactly sitegen's own options (config.OPTIONS). MkDocs only checks that they are known and
# of the right type; sitegen reads them again from the same mkdocs.yml, with line numbers.
SitegenOptions = options_class(OPTIONS)


class SitegenPlugin(BasePlugin[SitegenOptions]):
    """Run sitegen's build in place of MkDocs' own page rendering."""

    def __init__(self) -> None:
        self.command: str | None = None
        self.real_site_dir: str | None = None
        self.scratch: str | None = None

    def on_startup(self, *, command: str, dirty: bool) -> None:
        # Defining on_startup also keeps this one plugin object for all rebuilds of `mkdocs serve`.
        self.command = command

    def on_config(self, config):
        self._forget_scratch()
        self.real_site_dir = config.site_dir
        self.scratch = tempfile.mkdtemp(prefix="sitegen-discarded-mkdocs-output-")
        config.site_dir = self.scratch
        return config

    def on_pre_build(self, *, config) -> None:
        from .build import build

        site_config = self._site_config(config)
        try:
            result = build(site_config)
        except SitegenError as exc:
            raise PluginError(f"{exc.format_message()}\nthe previous site in '{self.real_site_dir}' is unchanged") from None
        for warning in result.warnings:
            log.warning(warning.format())
        log.info(f"built {result.pages} pages ({result.files} files) into {self.real_site_dir}")

    def on_files(self, files, *, config):
        return Files([])  # sitegen wrote the whole site; MkDocs renders and copies nothing

    def on_serve(self, server, *, config, builder):
        for folder in self._site_config(config).theme_dirs:
            if folder.is_dir():
                server.watch(str(folder))
        return server

    def on_post_build(self, *, config) -> None:
        self._restore(config)

    def on_build_error(self, *, error) -> None:
        self._forget_scratch()

    def on_shutdown(self) -> None:
        self._forget_scratch()
        if self.command == "serve" and self.real_site_dir:  # MkDocs deletes its serve folder next
            from .write.staging import SiteLock, remove_spare

            try:
                with SiteLock(Path(self.real_site_dir)) as lock:
                    remove_spare(Path(self.real_site_dir), lock)
            except SitegenError as exc:  # a spare left in the temporary folder's parent costs only disk
                log.warning(exc.format_message())

    def _site_config(self, config) -> SiteConfig:
        """sitegen's configuration from the same file, with what MkDocs' command line changed."""
        if not config.config_file_path:
            raise PluginError("the sitegen plugin needs mkdocs.yml as a file, not on standard input")
        try:
            site_config = load_config(config.config_file_path)
        except SitegenError as exc:
            raise PluginError(exc.format_message()) from None
        changes = {"site_dir": Path(self.real_site_dir or config.site_dir).resolve()}
        if config.strict:
            changes["strict"] = True  # `mkdocs build --strict` must fail before the site is replaced
        if self.command == "serve" and config.site_url:
            changes["site_url"] = config.site_url  # MkDocs' serve address, mount path included
        return site_config.with_options(**changes)

    def _restore(self, config) -> None:
        if self.real_site_dir is not None:
            config.site_dir = self.real_site_dir
        self._forget_scratch()

    def _forget_scratch(self) -> None:
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None
