"""Built-in marketplace plugins, one package each, registered through the "choso" entry points."""
