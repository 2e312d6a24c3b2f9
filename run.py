#!/usr/bin/env python
"""Entry point: ``python run.py`` starts the web app; ``python run.py --help`` lists commands."""

import sys

from cli.main import main

if __name__ == "__main__":
    sys.exit(main())
