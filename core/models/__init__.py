"""SQLAlchemy 2 typed models of the core. Publishing and jobs keep theirs in their own packages."""

from core.models.audit import AuditLog
from core.models.geo import Commune, Province
from core.models.households import BankAccount, HelperAssignment, HouseholdBusiness
from core.models.integrations import IntegrationSetting, PluginFailure
from core.models.products import OCOP_GROUPS, CatalogVersion, Product, ProductImage
from core.models.users import ROLES, ApiToken, Membership, ProvinceMembership, User, UserSession

__all__ = [
    "OCOP_GROUPS", "ROLES", "ApiToken", "AuditLog", "BankAccount", "CatalogVersion", "Commune",
    "HelperAssignment", "HouseholdBusiness", "IntegrationSetting", "Membership", "PluginFailure", "Product",
    "ProductImage", "Province", "ProvinceMembership", "User", "UserSession",
]
