from emu.cli.app import main

main()
