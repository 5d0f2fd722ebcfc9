from port443.cli import main

main()
