"""Command-line commands; each module exposes `register(subparsers)`."""
