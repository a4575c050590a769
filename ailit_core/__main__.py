import sys

from ailit_core.cli import main

sys.exit(main())
