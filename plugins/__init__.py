"""choso's plugin system (hookspecs, manager, SDK). Built out by the plugin-system issue."""
