"""The `ykt` command line: the same services the web application calls."""
