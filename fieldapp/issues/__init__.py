"""Issues over HTTP."""
