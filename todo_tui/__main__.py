import sys

from todo_tui.cli import main

sys.exit(main())
