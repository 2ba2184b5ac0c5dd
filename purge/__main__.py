import sys

from purge.cli import main

sys.exit(main())
