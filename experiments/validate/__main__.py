"""``python -m experiments.validate``: run the suite and write the report."""

import sys

from experiments.validate.report import main

sys.exit(main())
