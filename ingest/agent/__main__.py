import sys

from ingest.agent.cli import main

sys.exit(main())
