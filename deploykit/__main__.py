from deploykit.cli import console

console()
