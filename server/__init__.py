"""errorscape's application layer: command line now, the web server next to it."""
