"""One module per CLI verb. Commands may print, write files and exit; nothing below them does."""
