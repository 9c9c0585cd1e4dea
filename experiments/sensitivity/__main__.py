"""``python -m experiments.sensitivity``: Morris, Sobol or the report."""

import sys

from experiments.sensitivity.report import main

sys.exit(main())
