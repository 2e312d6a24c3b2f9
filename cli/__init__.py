"""The command line: ``python run.py [command] ...`` (SPEC §8).

A package of its own, outside the library: ``cli`` imports ``matcher`` (and ``web`` for
the accounts and the server), never the other way round. :mod:`cli.base` holds the exit
codes and the command table, each command group is a module that registers itself
(:mod:`cli.validate`, :mod:`cli.generate`, :mod:`cli.plan`, :mod:`cli.bench`,
:mod:`cli.users`), :mod:`cli.web` starts the server, and :mod:`cli.main` imports them all
and runs :func:`cli.main.main`.
"""
