from tests.publishing.own_shops import shopee, tiktok  # noqa: F401 (fixtures for this folder)
