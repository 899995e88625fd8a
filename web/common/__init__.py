"""Pieces shared by every resource: validation of personal data, places, times, paging."""
