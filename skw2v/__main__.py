"""Run the ``skw2v`` command line tool: ``python -m skw2v``."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
