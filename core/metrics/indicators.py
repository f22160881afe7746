"""The built-in indicators. Each is a `plugins.Metric`, exactly as a plugin's would be."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import lazy_gettext as _l

from plugins.metric import SHARE, VND, Metric, Share


class HouseholdsTotal(Metric):
    id = "households_total"
    label = _l("Household businesses")
    definition = _l("Active household businesses registered in choso.")
    formula = "households_active"

    def compute(self, facts: Mapping[str, int]) -> int:
        return facts.get("households_active", 0)


class EcommerceHouseholdShare(Metric):
    id = "ecommerce_household_share"
    label = _l("Households selling online")
    definition = _l("Household businesses with at least one live marketplace listing, out of the active ones.")
    formula = "households_online ÷ households_active"
    unit = SHARE
    target, near = 0.5, 0.3
    target_basis = _l("choso default (half of households online); set your province's target")

    def compute(self, facts: Mapping[str, int]) -> Share:
        return Share(facts.get("households_online", 0), facts.get("households_active", 0))


class OcopProductsTotal(Metric):
    id = "ocop_products_total"
    label = _l("OCOP products")
    definition = _l("Active OCOP-certified products, by number of stars.")
    formula = "ocop_products_active"
    breakdown = "ocop_products_active."

    def compute(self, facts: Mapping[str, int]) -> int:
        return facts.get("ocop_products_active", 0)


class OcopOnlineShare(Metric):
    id = "ocop_online_share"
    label = _l("OCOP products online")
    definition = _l("Active OCOP-certified products live on at least one marketplace, out of all of them.")
    formula = "ocop_products_online ÷ ocop_products_active"
    unit = SHARE
    target, near = 0.8, 0.5
    target_basis = _l("choso default; set your province's target")

    def compute(self, facts: Mapping[str, int]) -> Share:
        return Share(facts.get("ocop_products_online", 0), facts.get("ocop_products_active", 0))


class CashlessReadyHouseholdShare(Metric):
    id = "cashless_ready_household_share"
    label = _l("Households ready for VietQR")
    definition = _l("Household businesses with a verified bank account (so a VietQR code), out of the active ones.")
    formula = "households_cashless_ready ÷ households_active"
    unit = SHARE
    target, near = 0.8, 0.5
    target_basis = _l("choso default; set your province's target")

    def compute(self, facts: Mapping[str, int]) -> Share:
        return Share(facts.get("households_cashless_ready", 0), facts.get("households_active", 0))


class BillsCashlessShareCount(Metric):
    id = "bills_cashless_share_count"
    label = _l("Bills paid without cash (count)")
    definition = _l("Payments on bills in the month made by VietQR transfer or card, out of all bill payments.")
    formula = "bill_payments_cashless ÷ bill_payments"
    unit = SHARE
    target, near = 0.5, 0.3
    target_basis = _l("Decision 645/QĐ-TTg (2020): half of payments without cash by 2025")

    def compute(self, facts: Mapping[str, int]) -> Share:
        return Share(facts.get("bill_payments_cashless", 0), facts.get("bill_payments", 0))


class BillsCashlessShareValue(Metric):
    id = "bills_cashless_share_value"
    label = _l("Bills paid without cash (value)")
    definition = _l("The đồng paid on bills in the month by VietQR transfer or card, out of all đồng paid on bills.")
    formula = "bill_payments_cashless_vnd ÷ bill_payments_vnd"
    unit = SHARE
    target, near = 0.5, 0.3
    target_basis = _l("Decision 645/QĐ-TTg (2020): half of payments without cash by 2025")

    def compute(self, facts: Mapping[str, int]) -> Share:
        return Share(facts.get("bill_payments_cashless_vnd", 0), facts.get("bill_payments_vnd", 0))


class OrdersTotal(Metric):
    id = "orders_total"
    label = _l("Orders")
    definition = _l("Orders placed in the month, on the commune catalog or on marketplaces, not cancelled, "
                    "by channel.")
    formula = "orders"
    breakdown = "orders."

    def compute(self, facts: Mapping[str, int]) -> int:
        return facts.get("orders", 0)


class GmvByChannel(Metric):
    id = "gmv_vnd"
    label = _l("Sales")
    definition = _l("Value of the month's paid orders in đồng, refunds taken off, by channel and by product group.")
    formula = "Σ (quantity − refunded) × unit price"
    unit = VND
    breakdown = "gmv_vnd."

    def compute(self, facts: Mapping[str, int]) -> int:
        return facts.get("gmv_vnd", 0)


class ActiveSellers30d(Metric):
    id = "active_sellers_30d"
    label = _l("Active sellers (30 days)")
    definition = _l("Households with a listing change or an order in the last 30 days of the month, by channel "
                    "(a household may sell on several).")
    formula = "active_sellers_30d"
    breakdown = "active_sellers_30d."

    def compute(self, facts: Mapping[str, int]) -> int:
        return facts.get("active_sellers_30d", 0)


class AssistedHouseholds(Metric):
    id = "assisted_households"
    label = _l("Households helped")
    definition = _l("Households the community digital team acted for in the month, under staff assignments "
                    "(from the audit log).")
    formula = "assisted_households"

    def compute(self, facts: Mapping[str, int]) -> int:
        return facts.get("assisted_households", 0)


class TransfersMatchedAutomaticallyCount(Metric):
    id = "transfers_auto_share_count"
    label = _l("Transfers matched by themselves (count)")
    definition = _l("Incoming bank transfers of the month that paid their bill or order without anyone's help, out "
                    "of all incoming transfers; the others by why they waited for staff.")
    formula = "transfers_auto ÷ transfers_in"
    unit = SHARE
    target, near = 0.9, 0.7
    target_basis = _l("choso default; set your province's target")
    breakdown = "transfers_waited."

    def compute(self, facts: Mapping[str, int]) -> Share:
        return Share(facts.get("transfers_auto", 0), facts.get("transfers_in", 0))


class TransfersMatchedAutomaticallyValue(Metric):
    id = "transfers_auto_share_value"
    label = _l("Transfers matched by themselves (value)")
    definition = _l("The đồng of the month's incoming transfers that matched without anyone's help, out of all "
                    "đồng that came in.")
    formula = "transfers_auto_vnd ÷ transfers_in_vnd"
    unit = SHARE
    target, near = 0.9, 0.7
    target_basis = _l("choso default; set your province's target")

    def compute(self, facts: Mapping[str, int]) -> Share:
        return Share(facts.get("transfers_auto_vnd", 0), facts.get("transfers_in_vnd", 0))


BUILT_IN: tuple[type[Metric], ...] = (
    HouseholdsTotal, EcommerceHouseholdShare, OcopProductsTotal, OcopOnlineShare, CashlessReadyHouseholdShare,
    BillsCashlessShareCount, BillsCashlessShareValue, OrdersTotal, GmvByChannel, ActiveSellers30d,
    AssistedHouseholds, TransfersMatchedAutomaticallyCount, TransfersMatchedAutomaticallyValue,
)
