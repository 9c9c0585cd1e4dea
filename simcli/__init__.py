"""Command line of sahel-sim (Hydra lives here, never in ``sim``)."""
