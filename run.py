#!/usr/bin/env python3
"""Lapor Gateway's single entry point: `python run.py [serve|init-db|import-units] …`."""

import sys

from gateway.cli import main

if __name__ == "__main__":
    sys.exit(main())
