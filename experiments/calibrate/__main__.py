"""``python -m experiments.calibrate``."""

import sys

from experiments.calibrate import main

sys.exit(main())
