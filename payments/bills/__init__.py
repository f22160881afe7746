"""Fees and bills: fee types per commune, bills to one household or thousands, references that survive banking apps."""
