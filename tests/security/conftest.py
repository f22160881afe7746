from tests.payments.conftest import billing  # noqa: F401  (staff with a collection account, a fee, households)
