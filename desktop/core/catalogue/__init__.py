"""The matter catalogue: parse (validation of an imported or published file) and storage (versions, the
matter cache, search)."""

from desktop.core.catalogue.parse import Catalogue, catalogue_to_json, matter_from_json, parse_catalogue

__all__ = ["Catalogue", "catalogue_to_json", "matter_from_json", "parse_catalogue"]
