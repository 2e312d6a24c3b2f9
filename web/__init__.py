"""Web app: a thin Flask shell over the ``matcher`` planning library.

``web.planner`` is the only module that imports ``matcher``; everything else handles
accounts, uploads, runs (solved in a separate worker process), pages and the audit log.
"""
