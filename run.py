#!/usr/bin/env python
"""Entry point: ``python run.py`` starts the web app; ``python run.py --help`` lists commands."""

import sys

from matcher.cli import main

if __name__ == "__main__":
    sys.exit(main())
