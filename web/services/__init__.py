"""Services: Flask-free functions that take the acting Principal and own their transaction.

They decide through `web.auth.policy`, write through the models (people only through `people`),
and commit, or raise a domain error (`web.errors`) having changed nothing.
"""
