"""``python -m sim``: hands over to the Hydra command line in :mod:`simcli`.

The model package itself never imports Hydra; only this entry point reaches it.
"""

from simcli.app import main

if __name__ == "__main__":
    main()
