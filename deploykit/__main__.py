from deploykit.entry import main

main()
