"""Builds the plugin manager for an app and connects what plugins register: blueprints, commands, templates."""

from __future__ import annotations

from flask import Flask, before_render_template

from plugins.manager import PluginConflict, Plugins


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
    from core.cli import main

    for command in plugins.commands():
        if command.name in main.commands or command.name in app.cli.commands:
            raise PluginConflict(f"the command `choso {command.name}` is already taken; a plugin tried to add it")
        app.cli.add_command(command)
