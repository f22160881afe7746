"""marshmallow schemas: the single place where input is validated, for the API, the forms and CSV import."""
