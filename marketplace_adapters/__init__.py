"""Built-in marketplace plugins (Postmart-style, Voso-style), one package each. Built by the publishing issue."""
