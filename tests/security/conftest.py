from tests.metrics.conftest import village  # noqa: F401  (a commune with households, products and payments)
from tests.payments.conftest import billing  # noqa: F401  (staff with a collection account, a fee, households)
