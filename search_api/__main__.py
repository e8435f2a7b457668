"""`python -m search_api` is the `advosearch` command."""

from search_api.cli import main

raise SystemExit(main())
