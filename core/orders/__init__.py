"""Orders: direct orders from the commune catalog and orders that come back from marketplaces."""
