"""The catalog's paths and types from the store's path groups (services/profile/catalog.py)."""

from services.profile.catalog import CatalogField, fields


def test_paths_go_two_levels_deep_with_their_json_types() -> None:
    groups = [
        {"_id": {"k": "price"}, "t": ["int", "double", "string"]},
        {"_id": {"k": "product"}, "t": ["object"]},
        {"_id": {"k": "product.sku"}, "t": ["string", "null"]},
        {"_id": {"k": "product.on"}, "t": ["bool"]},
        {"_id": {"k": "price"}, "t": ["long"]},  # the same path from another source (profiles, identify calls)
    ]
    assert fields(groups) == [
        CatalogField("price", ("number", "string")),
        CatalogField("product", ("object",)),
        CatalogField("product.on", ("boolean",)),
        CatalogField("product.sku", ("null", "string")),
    ]
