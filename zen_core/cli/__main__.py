from zen_core.cli import main

main()
