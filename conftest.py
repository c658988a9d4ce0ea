# The kit's pytest plugin: version gates, claim links, observations, database, results.
pytest_plugins = ["djspec.pytest_plugin"]
