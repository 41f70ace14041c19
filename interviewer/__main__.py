"""`python -m interviewer ...` is the `mock-interview` command."""

import sys

from interviewer.cli import main

sys.exit(main())
