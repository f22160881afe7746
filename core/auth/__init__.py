"""Authentication (sessions for pages, bearer tokens for the API) and the access policy."""
