"""One module per study: its configurations, analyses and declared claims.

Notebooks import these and plot; the algorithms themselves live in the rest of netsim.
"""
