from deploykit.console import main

main()
