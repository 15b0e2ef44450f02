"""The catalog's paths and types from the store's key groups (services/profile/catalog.py)."""

from services.profile.catalog import CatalogField, fields


def test_paths_go_two_levels_deep_with_their_json_types() -> None:
    groups = [
        {"_id": {"k": "price"}, "t": ["int", "double", "string"], "s": [[]]},
        {"_id": {"k": "product"}, "t": ["object"], "s": [[{"k": "sku", "t": "string"}], [{"k": "sku", "t": "null"},
                                                                                          {"k": "on", "t": "bool"}]]},
        {"_id": {"k": "price"}, "t": ["long"], "s": []},  # the same key from another source (profiles, identify)
    ]
    assert fields(groups) == [
        CatalogField("price", ("number", "string")),
        CatalogField("product", ("object",)),
        CatalogField("product.on", ("boolean",)),
        CatalogField("product.sku", ("null", "string")),
    ]
