"""`python -m cli`, for where the `cdp` script is not installed (the Docker image)."""

import sys

from cli.main import main

sys.exit(main())
