"""volmatch's matching library: pure Python, numpy and scikit-learn; no Flask."""
