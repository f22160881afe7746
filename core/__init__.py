"""choso core: the Flask application (factory in core.app, models, services, web and API blueprints)."""
