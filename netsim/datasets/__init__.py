"""Dataset implementations behind :mod:`netsim.data`.

Import from :mod:`netsim.data`, the public entry point; the modules here hold one
dataset family each (``sprites``, ``mnist1d``, ``digits``, ...) so that each stays small.
"""
