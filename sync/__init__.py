"""The sync protocol as a library: change feed, batch apply, conflicts and a Python client.

It works against a SQLAlchemy session it is given and knows nothing of HTTP.
"""
