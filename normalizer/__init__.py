"""Pure text → structure: no database, no network, no clock. See README.md beside this file."""
