"""Builds the plugin manager for an app and connects what plugins register: blueprints, commands, templates."""

from __future__ import annotations

from flask import Flask, before_render_template

from plugins.manager import Plugins


def init_app(app: Flask) -> Plugins:
    plugins = Plugins(
        disabled=app.config.get("DISABLED_PLUGINS", ()),
        safe_mode=app.config.get("SAFE_MODE", False),
        trace=app.config.get("TRACE_PLUGINS", False),
        extra=app.config.get("EXTRA_PLUGINS", ()),
        use_entry_points=app.config.get("PLUGIN_ENTRY_POINTS", True),
    )
    app.extensions["choso.plugins"] = plugins
    for blueprint in plugins.blueprints:
        app.register_blueprint(blueprint)
    _add_commands(app, plugins)

    def _extra_vars(sender, template, context, **_extra) -> None:
        context.update(plugins.template_vars(template.name or ""))

    before_render_template.connect(_extra_vars, app, weak=False)
    return plugins


def _add_commands(app: Flask, plugins: Plugins) -> None:
    import click

    from core.cli import main

    for plugin, command in plugins.commands():
        name = getattr(command, "name", None)
        if not isinstance(command, click.Command) or not name:
            plugins.problem(plugin, f"register_commands returned {command!r}, not a click command")
        elif name in main.commands or name in app.cli.commands:
            plugins.problem(plugin, f"the command `choso {name}` is already taken; the plugin's was left out")
        else:
            app.cli.add_command(command)
