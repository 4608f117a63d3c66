from deploykit.entry import console

console()
