"""Command line of sahel-sim (Hydra lives here, never in ``sim``).

The Hydra configuration tree ships inside this package (``simcli/configs/``), so a wheel
installed anywhere finds its presets; :data:`CONFIG_DIR` is the one place that says where.
Importing this package imports neither Hydra nor the model.
"""

from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parent / "configs"
