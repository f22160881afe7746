"""Sales figures of a commune's direct orders: what was sold, how much of it without cash, what went back.

Refunds are subtracted where they happened, so a refunded card payment no longer counts as cashless money.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.orders import states
from core.orders.models import OrderPart, OrderPayment


@dataclass(frozen=True)
class SalesFigures:
    paid_orders: int  # order parts paid at least once
    households_selling: int
    sales_vnd: int  # paid minus refunded
    cashless_vnd: int
    cash_vnd: int
    refunded_vnd: int

    @property
    def cashless_share(self) -> float | None:
        return self.cashless_vnd / self.sales_vnd if self.sales_vnd else None


def summary(db: Session, commune_code: str) -> SalesFigures:
    net = OrderPayment.amount_vnd - OrderPayment.refunded_vnd
    rows = db.execute(select(OrderPayment.cashless, func.count(OrderPayment.id), func.coalesce(func.sum(net), 0),
                             func.coalesce(func.sum(OrderPayment.refunded_vnd), 0))
                      .where(OrderPayment.commune_code == commune_code, OrderPayment.state.in_(states.MONEY_IN))
                      .group_by(OrderPayment.cashless)).all()
    cashless = sum(int(r[2]) for r in rows if r[0])
    cash = sum(int(r[2]) for r in rows if not r[0])
    households = db.scalar(select(func.count(func.distinct(OrderPart.household_id)))
                           .join(OrderPayment, OrderPayment.part_id == OrderPart.id)
                           .where(OrderPayment.commune_code == commune_code,
                                  OrderPayment.state.in_(states.MONEY_IN))) or 0
    return SalesFigures(paid_orders=sum(int(r[1]) for r in rows), households_selling=households,
                        sales_vnd=cashless + cash, cashless_vnd=cashless, cash_vnd=cash,
                        refunded_vnd=sum(int(r[3]) for r in rows))
