"""Allow ``python -m graftkg``."""

from graftkg.cli import main

raise SystemExit(main())
