"""`python -m interviewer.cli ...` is the `mock-interview` command."""

import sys

from interviewer.cli import main

if __name__ == "__main__":
    sys.exit(main())
