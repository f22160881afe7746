"""Alembic environment: runs against the connection choso hands over (see core/schema.py)."""

from alembic import context

from core import models  # noqa: F401  (registers every table on Base.metadata)
from core.db import Base
from core.jobs import models as job_models  # noqa: F401
from core.metrics import models as metric_models  # noqa: F401
from core.orders import models as order_models  # noqa: F401
from core.publishing import models as publishing_models  # noqa: F401
from payments.bills import models as bill_models  # noqa: F401
from payments.receipts import models as receipt_models  # noqa: F401
from payments.reconcile import models as reconcile_models  # noqa: F401

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
